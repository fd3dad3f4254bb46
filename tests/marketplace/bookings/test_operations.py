"""Booking operations: rules, voucher holds through the life of a booking, and their refusals."""

from __future__ import annotations

import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from marketplace.bookings import operations as bookings
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.bookings.rules import SlotRuleError
from marketplace.errors import DomainError, NotAllowedError
from marketplace.extensions import db, utcnow
from marketplace.ledger import queries as ledger_queries
from marketplace.ledger.models import HoldStatus, LedgerTransfer
from marketplace.organizations.models import MemberRole, Membership
from marketplace.vouchers import operations as vouchers
from marketplace.vouchers.models import accounts
from tests.factories import make_organization, make_user
from tests.marketplace.bookings.helpers import assert_ledger_balanced, local, make_world


def book(world, start, end, *, programme="default", user=None, org=None, key=None, now=None):
    return bookings.create_booking(
        world.instrument, org or world.sme, user or world.sme_user, start, end,
        programme=world.programme if programme == "default" else programme, purpose="断口分析",
        request_key=key or uuid.uuid4().hex, now=now or utcnow())


def available(world, quota=None):
    quota = quota or world.quota
    return sum(ledger_queries.available(db.session, accounts.voucher(world.sme.id, quota.id, layer.id))
               for layer in world.programme.layers)


def test_voucher_split_follows_the_layers_and_the_threshold(db):
    world = make_world()
    programme = world.programme
    assert vouchers.voucher_entitlement(programme, 120_000) == [60_000, 24_000]
    programme.full_payment_threshold_fen = 1_000_000
    assert sum(vouchers.voucher_entitlement(programme, 120_000)) == 120_000
    assert vouchers.split_by_shares(10, [5000, 2000]) == [7, 3]
    assert sum(vouchers.split_by_shares(999_999, [3333, 3333, 3334])) == 999_999


def test_booking_with_vouchers_holds_their_share_and_posts_on_completion(db):
    world = make_world()
    before = available(world)
    booking = book(world, local(1, "09:00"), local(1, "11:00"))  # 2 h × ¥600 = ¥1,200
    db.session.commit()
    assert booking.status == BookingStatus.REQUESTED
    assert booking.price_fen == 120_000
    assert booking.voucher_held_fen == 84_000  # 50 % + 20 %
    assert booking.self_paid_quote_fen == 36_000
    assert available(world) == before - 84_000
    assert {h.transfer.status for h in booking.holds} == {HoldStatus.PENDING}

    bookings.approve_booking(booking, world.lab_user, utcnow())
    db.session.commit()
    # the provider records 90 minutes: ¥900, vouchers pay 70 % of it
    bookings.complete_booking(booking, world.lab_user, 90, "断口形貌 12 张", "INV-1",
                              booking.ends_at + timedelta(hours=1))  # after the slot, whatever the hour now
    db.session.commit()
    assert booking.status == BookingStatus.COMPLETED
    assert (booking.charged_fen, booking.voucher_paid_fen, booking.self_paid_fen) == (90_000, 63_000, 27_000)
    assert available(world) == before - 63_000  # the rest of the hold is released
    receivable = sum(ledger_queries.balance(
        db.session, accounts.receivable(world.lab.id, world.programme.id, layer.id))
        for layer in world.programme.layers)
    assert receivable == 63_000
    assert_ledger_balanced()


def test_rejection_and_cancellation_release_the_holds(db):
    world = make_world()
    before = available(world)
    first = book(world, local(2, "09:00"), local(2, "10:00"))
    second = book(world, local(3, "09:00"), local(3, "10:00"))
    db.session.commit()
    bookings.reject_booking(first, world.lab_user, "仪器维护", utcnow())
    bookings.cancel_booking(second, world.sme_user, "计划变更", utcnow())
    db.session.commit()
    assert first.status == BookingStatus.REJECTED and second.status == BookingStatus.CANCELLED
    assert second.charged_fen == 0
    assert available(world) == before
    assert_ledger_balanced()


def test_late_cancellation_and_no_show_are_charged_to_the_booker_not_the_voucher(db):
    world = make_world(requires_approval=False)
    late = book(world, local(1, "09:00"), local(1, "10:00"))  # confirmed at once
    missed = book(world, local(1, "14:00"), local(1, "16:00"))
    db.session.commit()
    assert late.status == BookingStatus.APPROVED
    bookings.cancel_booking(late, world.sme_user, "", late.starts_at - timedelta(hours=2))
    bookings.record_no_show(missed, world.lab_user, missed.starts_at + timedelta(minutes=30))
    db.session.commit()
    assert (late.charged_fen, late.self_paid_fen, late.voucher_paid_fen) == (30_000, 30_000, 0)
    assert (missed.charged_fen, missed.self_paid_fen) == (120_000, 120_000)
    assert available(world) == 1_000_000 * 7000 // 7000  # every hold went back
    assert_ledger_balanced()


@pytest.mark.parametrize(("start", "end", "field"), [
    (("1", "07:30"), ("1", "09:00"), "starts_at"),  # before opening
    (("1", "11:30"), ("1", "13:30"), "starts_at"),  # across the lunch break
    (("1", "09:00"), ("1", "09:15"), "ends_at"),  # shorter than the minimum / off the grid
    (("1", "08:00"), ("1", "08:20"), "ends_at"),
    (("1", "09:10"), ("1", "10:10"), "starts_at"),  # off the 30-minute grid
    (("120", "09:00"), ("120", "10:00"), "starts_at"),  # beyond the 90-day horizon
    (("-1", "09:00"), ("-1", "10:00"), "starts_at"),  # in the past
])
def test_slots_that_break_a_rule_are_refused_with_the_reason(db, start, end, field):
    world = make_world()
    with pytest.raises(SlotRuleError) as info:
        book(world, local(int(start[0]), start[1]), local(int(end[0]), end[1]))
    assert info.value.field == field
    assert str(info.value.message)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0
    assert_ledger_balanced()


def test_closed_dates_lead_time_and_maximum_length(db):
    world = make_world(lead_time_hours=48, max_booking_minutes=120)
    with pytest.raises(SlotRuleError, match="48"):
        book(world, local(1, "09:00"), local(1, "10:00"))
    with pytest.raises(SlotRuleError, match="120"):
        book(world, local(3, "13:00"), local(3, "16:00"))
    closed_day = local(4, "09:00").astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
    world.instrument.closed_dates = [closed_day]
    db.session.commit()
    with pytest.raises(SlotRuleError, match=closed_day):
        book(world, local(4, "09:00"), local(4, "10:00"))


def test_a_taken_slot_is_refused_but_back_to_back_is_fine(db):
    world = make_world()
    book(world, local(1, "09:00"), local(1, "10:00"))
    db.session.commit()
    with pytest.raises(bookings.SlotTakenError):
        book(world, local(1, "09:30"), local(1, "10:30"))
    db.session.rollback()
    book(world, local(1, "10:00"), local(1, "11:00"))
    db.session.commit()
    assert_ledger_balanced()


def test_training_required(db):
    world = make_world(requires_training=True)
    with pytest.raises(bookings.TrainingRequiredError):
        book(world, local(1, "09:00"), local(1, "10:00"))
    db.session.rollback()
    bookings.grant_qualification(world.instrument, world.sme_user.email, world.lab_user)
    book(world, local(1, "09:00"), local(1, "10:00"))
    db.session.commit()


def test_same_request_key_books_once(db):
    world = make_world()
    key = uuid.uuid4().hex
    first = book(world, local(1, "09:00"), local(1, "10:00"), key=key)
    db.session.commit()
    again = book(world, local(1, "09:00"), local(1, "10:00"), key=key)
    db.session.commit()
    assert again.id == first.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerTransfer).where(
        LedgerTransfer.reference_type == "booking")) == 2  # one hold per layer, once


def test_voucher_refusals_say_why(db):
    world = make_world(admitted=False)
    with pytest.raises(vouchers.VoucherError, match="admitted"):
        book(world, local(1, "09:00"), local(1, "10:00"))
    db.session.rollback()
    # the same booking paid by the enterprise itself is fine
    booking = book(world, local(1, "09:00"), local(1, "10:00"), programme=None)
    db.session.commit()
    assert booking.voucher_held_fen == 0 and booking.programme_id is None

    related = make_world(quota_fen=500_000)
    related.sme.actual_controller = "长治学院"  # same controller as the lab
    db.session.commit()
    with pytest.raises(vouchers.VoucherError, match="related party"):
        book(related, local(2, "09:00"), local(2, "10:00"))
    db.session.rollback()

    shared = make_world(quota_fen=500_000)
    shared.lab.memberships.append(Membership(user=shared.sme_user, role=MemberRole.MEMBER))
    db.session.commit()  # the SME's owner also works in the lab
    with pytest.raises(vouchers.VoucherError, match="related party"):
        book(shared, local(2, "09:00"), local(2, "10:00"))
    db.session.rollback()

    exhausted = make_world(quota_fen=None)
    with pytest.raises(vouchers.VoucherError, match="quota"):
        book(exhausted, local(2, "09:00"), local(2, "10:00"))


def test_quota_smaller_than_the_share_pays_what_is_left(db):
    world = make_world(quota_fen=50_000)
    booking = book(world, local(1, "09:00"), local(1, "11:00"))  # entitled 84,000, has 50,000
    db.session.commit()
    assert booking.voucher_held_fen == 50_000
    assert available(world) == 0
    with pytest.raises(vouchers.VoucherError, match="no voucher quota left"):
        book(world, local(2, "09:00"), local(2, "10:00"))
    db.session.rollback()
    assert_ledger_balanced()


def test_only_the_right_people_act(db):
    world = make_world()
    booking = book(world, local(1, "09:00"), local(1, "10:00"))
    db.session.commit()
    stranger = make_user()
    make_organization(stranger)
    with pytest.raises(NotAllowedError):
        bookings.approve_booking(booking, world.sme_user, utcnow())
    with pytest.raises(NotAllowedError):
        bookings.cancel_booking(booking, stranger, "", utcnow())
    with pytest.raises(NotAllowedError):
        book(world, local(2, "09:00"), local(2, "10:00"), user=stranger)
    with pytest.raises(DomainError):
        bookings.complete_booking(booking, world.lab_user, 60, "", None, utcnow())  # not approved


def test_expired_quota_returns_to_the_budget_including_holds_released_later(db):
    world = make_world(quota_fen=200_000)
    booking = book(world, local(1, "09:00"), local(1, "10:00"))
    db.session.commit()
    layer_budget = sum(vouchers.remaining_budget_fen(layer) for layer in world.programme.layers)
    later = world.quota.expires_at + timedelta(seconds=1)
    summary = vouchers.expire_quotas(later)
    db.session.commit()
    assert summary == {"quotas": 1, "returned_fen": 200_000 - 42_000}
    assert vouchers.expire_quotas(later) == {"quotas": 0, "returned_fen": 0}  # idempotent
    bookings.reject_booking(booking, world.lab_user, "停机", later)
    db.session.commit()
    assert world.quota.returned_fen == 200_000
    assert sum(vouchers.remaining_budget_fen(layer) for layer in world.programme.layers) == \
        layer_budget + 200_000
    assert_ledger_balanced()


def test_unanswered_requests_expire_at_their_start(db):
    world = make_world()
    booking = book(world, local(1, "09:00"), local(1, "10:00"))
    db.session.commit()
    assert bookings.expire_unanswered(booking.starts_at) == 1
    db.session.commit()
    assert booking.status == BookingStatus.REJECTED
    assert bookings.expire_unanswered(booking.starts_at) == 0
    assert_ledger_balanced()
