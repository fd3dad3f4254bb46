"""Settlement: batches collect completed voucher-paid bookings once, and paying them moves the
receivables to reimbursed and settles the bookings."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import timedelta

import pytest

from marketplace.bookings import operations as bookings
from marketplace.bookings.models import BookingStatus
from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from marketplace.ledger import queries as ledger_queries
from marketplace.settlement import operations as settlement
from marketplace.settlement.models import BatchStatus
from marketplace.vouchers.models import accounts
from tests.marketplace.bookings.helpers import assert_ledger_balanced, local, make_world


def completed_booking(world, day, minutes=60, invoice="INV-1"):
    booking = bookings.create_booking(
        world.instrument, world.sme, world.sme_user, local(day, "09:00"), local(day, "10:00"),
        programme=world.programme, purpose="", request_key=uuid.uuid4().hex, now=utcnow())
    bookings.approve_booking(booking, world.lab_user, utcnow())
    bookings.complete_booking(booking, world.lab_user, minutes, "ok", invoice,
                              booking.starts_at + timedelta(hours=1))
    db.session.commit()
    return booking


def period(booking):
    day = booking.completed_at.astimezone(settlement.SHANGHAI).date()
    return day - timedelta(days=7), day + timedelta(days=7)


def test_batch_settles_each_booking_once(db):
    world = make_world()
    first = completed_booking(world, 1)
    second = completed_booking(world, 2, invoice=None)
    start, end = period(first)
    batch = settlement.create_batch(world.programme, world.officer, start, end, utcnow())
    db.session.commit()
    assert {i.booking_id for i in batch.items} == {first.id, second.id}
    assert batch.total_fen == first.voucher_paid_fen + second.voucher_paid_fen == 84_000
    with pytest.raises(settlement.NothingToSettleError):
        settlement.create_batch(world.programme, world.officer, start, end, utcnow())
    db.session.rollback()

    with pytest.raises(DomainError, match="invoice"):
        settlement.approve_batch(batch, world.officer, utcnow())
    db.session.rollback()
    item = next(i for i in batch.items if i.booking_id == second.id)
    settlement.set_invoice_number(item, world.officer, "INV-2")
    settlement.approve_batch(batch, world.officer, utcnow())
    settlement.pay_batch(batch, world.officer, "财政直达 2027-001", utcnow())
    db.session.commit()
    assert batch.status == BatchStatus.PAID
    assert {first.status, second.status} == {BookingStatus.SETTLED}
    receivable = sum(ledger_queries.balance(
        db.session, accounts.receivable(world.lab.id, world.programme.id, layer.id))
        for layer in world.programme.layers)
    reimbursed = sum(ledger_queries.balance(db.session, accounts.reimbursed(world.programme.id, layer.id))
                     for layer in world.programme.layers)
    assert (receivable, reimbursed) == (0, 84_000)
    with pytest.raises(DomainError):
        settlement.pay_batch(batch, world.officer, "again", utcnow())
    db.session.rollback()
    rows = list(csv.reader(io.StringIO(settlement.batch_csv(batch).lstrip("\ufeff"))))
    assert len(rows) == 1 + 2 + 1 and rows[-1][-1] == "84000"
    assert_ledger_balanced()


def test_discarded_batch_releases_its_bookings(db):
    world = make_world()
    booking = completed_booking(world, 1)
    start, end = period(booking)
    batch = settlement.create_batch(world.programme, world.officer, start, end, utcnow())
    db.session.commit()
    settlement.discard_batch(batch, world.officer)
    db.session.commit()
    again = settlement.create_batch(world.programme, world.officer, start, end, utcnow())
    db.session.commit()
    assert [i.booking_id for i in again.items] == [booking.id]
    assert_ledger_balanced()
