"""Free pledged instrument hours: an accepted pledge of instrument hours becomes a grant when the
campaign succeeds; the maker's organisation books those hours at price 0 through the step-3
booking flow; the minutes are taken with the booking and returned on rejection/cancellation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.bookings import operations as bookings
from marketplace.bookings.models import Booking, BookingHold, BookingStatus
from marketplace.campaigns import operations
from marketplace.campaigns.models import CampaignState, PledgedHours, PledgedHoursUse
from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from tests.marketplace.bookings.helpers import assert_ledger_balanced, local, make_world
from tests.marketplace.campaigns.helpers import after_deadline, go_live, make_campaign_world


@pytest.fixture
def setting():
    """A lab pledges 3 hours of its instrument to a maker's campaign; the maker accepts."""
    lab = make_world(requires_approval=False)
    w = make_campaign_world(money_goal_fen=0, expertise=(), resources=(("电镜机时", "3小时", None),))
    go_live(w)
    pledge = operations.pledge_resource(
        db.session, w.campaign, lab.lab_user, kind="instrument_hours", description="扫描电镜机时",
        quantity=1, hours=3, listing_id=lab.instrument.id, organization_id=lab.lab.id,
        need_id=w.campaign.resource_needs[0].id, now=utcnow())
    operations.decide_contribution(db.session, pledge, w.maker, True, "", utcnow())
    db.session.commit()
    return lab, w


def _book(lab, w, start, end, key, day=1):
    return bookings.create_booking(lab.instrument, w.maker_org, w.maker, local(day, start),
                                   local(day, end), programme=None, purpose="样品表征",
                                   request_key=key, now=utcnow(), use_pledged_hours=True)


def _succeed(w):
    closed = operations.close_due(db.session, after_deadline(w.campaign))
    db.session.commit()
    assert closed[0].state == CampaignState.SUCCEEDED


def test_refused_before_the_campaign_succeeded(setting):
    lab, w = setting
    with pytest.raises(DomainError, match="no pledged hours"):
        _book(lab, w, "09:00", "10:00", "k-before")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0


def test_failed_campaign_grants_nothing(setting, hooks):
    lab, w = setting
    w.campaign.money_goal_fen = 1  # now needs money, and none was raised
    db.session.commit()
    operations.close_due(db.session, after_deadline(w.campaign))
    db.session.commit()
    assert w.campaign.run.state == CampaignState.FAILED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PledgedHours)) == 0


def test_free_booking_after_success_within_the_grant(setting):
    lab, w = setting
    _succeed(w)
    grant = db.session.scalars(sa.select(PledgedHours)).one()
    assert (grant.organization_id, grant.instrument_id, grant.minutes_granted) == (
        w.maker_org.id, lab.instrument.id, 180)
    booking = _book(lab, w, "09:00", "11:00", "k-1")
    db.session.commit()
    assert booking.status == BookingStatus.APPROVED
    assert (booking.price_fen, booking.voucher_held_fen, booking.programme_id) == (0, 0, None)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BookingHold)) == 0
    assert grant.minutes_used == 120
    # the same request again is the same booking, and takes nothing more
    assert _book(lab, w, "09:00", "11:00", "k-1").id == booking.id
    db.session.commit()
    assert grant.minutes_used == 120
    with pytest.raises(DomainError, match="Only 1 pledged hours are left"):  # beyond the grant
        _book(lab, w, "13:00", "15:00", "k-2")
    db.session.rollback()
    last = _book(lab, w, "13:00", "14:00", "k-3")
    db.session.commit()
    assert last.price_fen == 0 and grant.minutes_used == 180
    bookings.complete_booking(last, lab.lab_user, 60, "", None, local(1, "14:00"))
    db.session.commit()
    assert (last.charged_fen, last.self_paid_fen) == (0, 0)
    assert_ledger_balanced()
    print(f"pledged hours: 180 min granted, 120 + 60 booked at 0 fen, 120 beyond refused")


def test_cancelled_or_rejected_booking_returns_the_hours(setting):
    lab, w = setting
    _succeed(w)
    grant = db.session.scalars(sa.select(PledgedHours)).one()
    booking = _book(lab, w, "09:00", "12:00", "k-all")
    db.session.commit()
    assert grant.minutes_left == 0
    bookings.cancel_booking(booking, w.maker, "改期", utcnow())
    db.session.commit()
    assert grant.minutes_used == 0 and booking.charged_fen == 0
    use = db.session.scalars(sa.select(PledgedHoursUse)).one()
    assert use.returned_at is not None
    lab.instrument.requires_approval = True
    db.session.commit()
    again = _book(lab, w, "09:00", "11:00", "k-again", day=2)
    db.session.commit()
    assert again.status == BookingStatus.REQUESTED and grant.minutes_used == 120
    bookings.reject_booking(again, lab.lab_user, "设备维护", utcnow())
    db.session.commit()
    assert grant.minutes_used == 0
    assert_ledger_balanced()


def test_other_organisation_or_vouchers_cannot_use_the_grant(setting):
    lab, w = setting
    _succeed(w)
    with pytest.raises(DomainError, match="no pledged hours"):  # the SME has no grant
        bookings.create_booking(lab.instrument, lab.sme, lab.sme_user, local(1, "09:00"),
                                local(1, "10:00"), programme=None, purpose="", request_key="k-sme",
                                now=utcnow(), use_pledged_hours=True)
    db.session.rollback()
    with pytest.raises(DomainError) as refused:  # free hours and vouchers together
        bookings.create_booking(lab.instrument, w.maker_org, w.maker, local(1, "09:00"),
                                local(1, "10:00"), programme=lab.programme, purpose="",
                                request_key="k-v", now=utcnow(), use_pledged_hours=True)
    assert refused.value.field == "programme_id"
    db.session.rollback()
    # without asking for pledged hours the booking is priced as usual
    paid = bookings.create_booking(lab.instrument, w.maker_org, w.maker, local(1, "09:00"),
                                   local(1, "10:00"), programme=None, purpose="",
                                   request_key="k-paid", now=utcnow())
    db.session.commit()
    assert paid.price_fen == lab.instrument.rate_external_fen


def test_two_bookings_racing_for_the_last_hours_take_them_once(app, setting):
    """Two requests of 2 hours each against a 3-hour grant, at the same moment, on different
    slots: one is booked free, the other refused; the grant never goes over."""
    from tests.marketplace.bookings.concurrency import run_in_threads

    lab, w = setting
    _succeed(w)
    instrument_id, org_id, user_id = lab.instrument.id, w.maker_org.id, w.maker.id

    def book(index):
        from listings.models import Instrument
        from marketplace.auth.models import User
        from marketplace.organizations.models import Organization

        start, end = (("09:00", "11:00"), ("14:00", "16:00"))[index]
        booking = bookings.create_booking(
            db.session.get(Instrument, instrument_id), db.session.get(Organization, org_id),
            db.session.get(User, user_id), local(1, start), local(1, end), programme=None,
            purpose="", request_key=f"race-{index}", now=utcnow(), use_pledged_hours=True)
        db.session.commit()
        return booking.price_fen

    outcomes = run_in_threads(app, 2, book)
    booked = [o for o in outcomes if o.error is None]
    refused = [o for o in outcomes if isinstance(o.error, DomainError)]
    assert len(booked) == 1 and len(refused) == 1 and booked[0].value == 0
    db.session.expire_all()
    grant = db.session.scalars(sa.select(PledgedHours)).one()
    assert grant.minutes_used == 120
    print(f"pledged hours race ({db.engine.dialect.name}): 2 × 120 min against 180 → "
          f"1 booked, 1 refused, used {grant.minutes_used}")
