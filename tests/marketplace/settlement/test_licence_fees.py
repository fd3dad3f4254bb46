"""Settlement of licence fees: a reimbursement batch also collects the voucher part of the
programme's paid licence fees (the licensor as provider, the layer amounts the holds posted),
each fee at most once in any batch; a discarded draft frees them; paying the batch moves the
licensor's receivable to reimbursed; exports and pages name the agreement."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta

import pytest
import sqlalchemy as sa

from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from marketplace.ledger.models import LedgerAccount
from marketplace.checks import check_settlement
from marketplace.payments import operations as payments
from marketplace.settlement import operations as settlement
from marketplace.settlement.models import BatchStatus, ReimbursementBatch, ReimbursementItem
from marketplace.vouchers.models import accounts
from tests.factories import grant, make_organization, make_user
from tests.marketplace.bookings.concurrency import fast_passwords  # noqa: F401  (fixture)
from tests.marketplace.licensing.test_fee_world import assert_clean, build_fee_world, take

VOUCHER = 1_400_000  # city 50 % + district 20 % of ¥20,000


@pytest.fixture(autouse=True)
def _cheap_hashes(fast_passwords):
    yield


def balance(code: str) -> int:
    return db.session.scalar(sa.select(LedgerAccount.posted_balance)
                             .where(LedgerAccount.code == code)) or 0


def receivable(world) -> int:
    return sum(balance(accounts.receivable(world.university.id, world.programme.id, layer.id))
               for layer in world.programme.layers)


def reimbursed(world) -> int:
    return sum(balance(accounts.reimbursed(world.programme.id, layer.id))
               for layer in world.programme.layers)


def pay(world, fee, now=None):
    payments.confirm_bank_transfer(db.session, fee.payment, user=world.owner, now=now)
    db.session.commit()
    db.session.expire_all()
    return fee


def second_licensee(world):
    """Another enterprise with quota in the world's programme (the licence is non-exclusive)."""
    user = make_user(name="赵总")
    enterprise = make_organization(user, name_zh="晋东南精细化工", actual_controller="赵总")
    grant(world.programme, enterprise, 2_000_000, officer=world.officer)
    db.session.commit()
    return user, enterprise


def today():
    return utcnow().astimezone(settlement.SHANGHAI).date()


def this_month():
    return today() - timedelta(days=3), today() + timedelta(days=3)


def create(world, start=None, end=None):
    if start is None:
        start, end = this_month()
    batch = settlement.create_batch(world.programme, world.officer, start, end, utcnow())
    db.session.commit()
    return batch


def test_a_paid_fee_is_collected_once_an_unpaid_one_not_and_paying_reimburses_the_licensor(db):
    world = build_fee_world()
    paid = pay(world, take(world))
    user, enterprise = second_licensee(world)
    unpaid = take(world, user=user, organization=enterprise)
    assert receivable(world) == VOUCHER  # the unpaid fee's holds are not posted

    batch = create(world)
    [item] = batch.items
    assert item.licence_fee_id == paid.id and item.booking_id is None and item.is_licence_fee
    assert item.provider_id == world.university.id
    assert item.amount_fen == batch.total_fen == paid.voucher_fen == VOUCHER
    assert item.layer_amounts == {str(h.layer_id): h.amount_fen for h in paid.holds}
    assert paid.agreement.number in item.usage_summary and item.invoice_number is None
    assert settlement.list_unsettled_fees(world.programme, *this_month()) == []
    with pytest.raises(settlement.NothingToSettleError):  # in a batch already; the other unpaid
        create(world)
    db.session.rollback()

    # the second fee, once paid, goes into a batch of its own, the first not again
    pay(world, unpaid)
    second = create(world)
    assert [i.licence_fee_id for i in second.items] == [unpaid.id]
    with pytest.raises(settlement.NothingToSettleError):
        create(world)
    db.session.rollback()
    assert receivable(world) == 2 * VOUCHER

    # evidence, approval, payment: the licensor's receivable moves to reimbursed
    with pytest.raises(DomainError, match=paid.agreement.number):
        settlement.approve_batch(batch, world.officer, utcnow())
    db.session.rollback()
    settlement.set_invoice_number(batch.items[0], world.officer, "LF-2026-001")
    settlement.approve_batch(batch, world.officer, utcnow())
    settlement.pay_batch(batch, world.officer, "长财科〔2026〕201号", utcnow())
    db.session.commit()
    db.session.expire_all()
    assert batch.status == BatchStatus.PAID
    assert (receivable(world), reimbursed(world)) == (VOUCHER, VOUCHER)
    assert_clean()
    with pytest.raises(DomainError):
        settlement.pay_batch(batch, world.officer, "again", utcnow())
    db.session.rollback()
    assert (receivable(world), reimbursed(world)) == (VOUCHER, VOUCHER)


def test_discarding_the_draft_or_taking_the_fee_out_frees_it(db):
    world = build_fee_world()
    fee_id = pay(world, take(world)).id
    batch = create(world)
    settlement.remove_item(batch.items[0], world.officer)
    db.session.commit()
    assert batch.items == [] and batch.total_fen == 0
    for _ in range(2):
        settlement.discard_batch(batch, world.officer)
        db.session.commit()
        reload(world)  # SQLite may give the next batch the discarded one's id
        batch = create(world)
        assert [i.licence_fee_id for i in batch.items] == [fee_id]
    assert_clean()


def reload(world) -> None:
    """Forget every loaded object; the world's programme and officer loaded afresh."""
    from marketplace.auth.models import User
    from marketplace.vouchers.models import VoucherProgramme

    programme_id, officer_id = world.programme.id, world.officer.id
    db.session.expunge_all()
    world.programme = db.session.get(VoucherProgramme, programme_id)
    world.officer = db.session.get(User, officer_id)


def test_the_period_is_read_in_beijing_dates_and_a_fee_without_vouchers_is_not_collected(db):
    world = build_fee_world()
    midnight = datetime.combine(today(), time(0), settlement.SHANGHAI)
    pay(world, take(world), now=midnight + timedelta(minutes=30))  # yesterday 16:30 UTC
    yesterday = today() - timedelta(days=1)
    with pytest.raises(settlement.NothingToSettleError):
        create(world, yesterday - timedelta(days=5), yesterday)
    db.session.rollback()
    user, enterprise = second_licensee(world)
    pay(world, take(world, user=user, organization=enterprise, programme=None))  # no vouchers
    batch = create(world, today(), today())
    assert len(batch.items) == 1 and batch.items[0].licence_fee.voucher_fen == VOUCHER


def test_an_item_is_a_booking_or_a_licence_fee_never_both_nor_neither(db):
    world = build_fee_world()
    fee = pay(world, take(world))
    batch = create(world)
    with pytest.raises(sa.exc.IntegrityError):  # neither a booking nor a fee
        with db.session.begin_nested():
            db.session.add(ReimbursementItem(batch_id=batch.id, provider_id=world.university.id,
                                             amount_fen=1, layer_amounts={}))
            db.session.flush()
    with pytest.raises(sa.exc.IntegrityError):  # a fee in two batches
        with db.session.begin_nested():
            other = ReimbursementBatch(programme_id=world.programme.id, period_start=today(),
                                       period_end=today(), created_by_id=world.officer.id)
            other.items.append(ReimbursementItem(
                licence_fee_id=fee.id, provider_id=world.university.id, amount_fen=VOUCHER,
                layer_amounts=dict(batch.items[0].layer_amounts)))
            db.session.add(other)
            db.session.flush()
    db.session.rollback()


def test_the_check_reports_a_licence_fee_item_that_disagrees(db):
    world = build_fee_world()
    pay(world, take(world))
    batch = create(world)
    assert check_settlement(db.session) == []
    item = batch.items[0]
    layer = next(iter(item.layer_amounts))
    item.layer_amounts = {**item.layer_amounts, layer: item.layer_amounts[layer] - 1}
    db.session.flush()
    assert [b.check for b in check_settlement(db.session)] == ["settlement_licence_fee_amount"]
    db.session.rollback()
    # a paid batch whose item moved nothing
    settlement.set_invoice_number(batch.items[0], world.officer, "LF-1")
    settlement.approve_batch(batch, world.officer, utcnow())
    db.session.flush()
    db.session.execute(sa.update(ReimbursementBatch).values(status=BatchStatus.PAID))
    assert [b.check for b in check_settlement(db.session)] == ["settlement_state"]
    db.session.rollback()


def test_csv_print_and_page_name_the_agreement_and_the_csv_is_formula_safe(client, auth, db):
    world = build_fee_world()
    world.technology.title_zh = "=HYPERLINK(\"http://x\")"
    world.officer.locale = "en"
    db.session.commit()
    fee = pay(world, take(world))
    number = fee.agreement.number
    auth.login_as(world.officer)
    start, end = this_month()
    response = client.post("/office/settlement/new", data={
        "programme_id": str(world.programme.id), "period_start": start.isoformat(),
        "period_end": end.isoformat()})
    assert response.status_code == 302
    batch = db.session.scalars(sa.select(ReimbursementBatch)).one()
    assert [i.licence_fee_id for i in batch.items] == [fee.id]

    page = client.get(f"/office/settlement/{batch.id}").get_data(as_text=True)
    assert "Technology licence fee" in page and number in page
    assert f"/licensing/agreements/{fee.agreement_id}" in page
    assert world.enterprise.name_zh in page and world.university.name_zh in page

    text = client.get(f"/office/settlement/{batch.id}/export.csv").get_data(as_text=True)
    header, row, total = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert header[3:6] == ["Booking or licence", "Enterprise", "Instrument or technology"]
    assert row[3] == f"Technology licence fee {number}" and row[4] == world.enterprise.name_zh
    assert row[5].startswith("'=")  # no formula reaches the spreadsheet
    assert int(row[-1]) == int(total[-1]) == VOUCHER

    printed = client.get(f"/office/settlement/{batch.id}/print").get_data(as_text=True)
    assert number in printed and "Technology licence fee" in printed and "¥14,000" in printed
    zh = client.get(f"/office/settlement/{batch.id}?lang=zh").get_data(as_text=True)
    assert number in zh
