"""Paying the self-paid share at booking time (bank transfer), squared with the charge once it
is known: the excess refunded from the lab's payable, a pending prepayment cancelled."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.bookings import operations as bookings
from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from marketplace.payments import accounts
from marketplace.payments import operations as payments
from marketplace.payments.booking_payments import (
    PURPOSE,
    amount_due,
    paid_fen,
    settle_self_paid,
    start_booking_payment,
)
from marketplace.payments.models import PaymentMethod, PaymentStatus, Refund, RefundStatus
from tests.marketplace.bookings.helpers import local, make_world
from tests.marketplace.payments.helpers import assert_ledger_balanced, balance

BANK = PaymentMethod.BANK_TRANSFER


def _book(*, requires_approval: bool = False, day: int = 3):
    """A two-hour booking at ¥600/h paid by the SME itself: ¥1,200 quoted."""
    world = make_world(quota_fen=None, requires_approval=requires_approval)
    start = local(day, "09:00")
    booking = bookings.create_booking(
        world.instrument, world.sme, world.sme_user, start, start + timedelta(hours=2),
        programme=None, purpose="断口分析", request_key=uuid.uuid4().hex, now=utcnow())
    db.session.commit()
    assert booking.self_paid_quote_fen == 120_000
    return world, booking


def _prepay(world, booking, *, confirm: bool = True):
    payment = start_booking_payment(db.session, booking, world.sme_user, BANK)
    db.session.commit()
    assert payment.amount_fen == 120_000 and payment.status == PaymentStatus.PENDING
    if confirm:
        payments.confirm_bank_transfer(db.session, payment, user=world.lab_user)
        db.session.commit()
        assert payment.status == PaymentStatus.PAID
        assert booking.self_paid_received_at is None  # the charge is not known yet
    return payment


def _the_refund(payment) -> Refund:
    found = list(db.session.scalars(sa.select(Refund).where(Refund.payment_id == payment.id)))
    assert len(found) == 1, found
    return found[0]


def test_prepay_then_complete_for_less_refunds_the_difference(db):
    world, booking = _book()
    payable = accounts.payable(world.lab.id)
    assert amount_due(db.session, booking) == 120_000
    payment = _prepay(world, booking)
    assert balance(payable) == 120_000
    assert amount_due(db.session, booking) == 0  # paid: nothing more to pay in advance
    with pytest.raises(DomainError, match="Nothing is owed"):
        start_booking_payment(db.session, booking, world.sme_user, BANK)
    db.session.rollback()

    bookings.complete_booking(booking, world.lab_user, 60, "", None,
                              booking.starts_at + timedelta(hours=2))
    db.session.commit()
    assert booking.self_paid_fen == 60_000
    refund = _the_refund(payment)
    assert refund.amount_fen == 60_000 and refund.status == RefundStatus.PENDING
    assert refund.debit_account == payable
    assert refund.idempotency_key == f"booking:{booking.id}:prepaid-refund:{payment.id}"
    assert balance(payable) == 60_000 and balance(accounts.REFUNDS_DUE) == 60_000
    assert booking.self_paid_received_at is not None  # paid net exactly what is owed
    assert amount_due(db.session, booking) == 0

    payments.confirm_bank_refund(db.session, refund, user=world.lab_user)
    db.session.commit()
    assert refund.status == RefundStatus.SUCCEEDED
    assert payment.status == PaymentStatus.PAID and payment.refunded_fen == 60_000
    assert balance(payable) == booking.self_paid_fen == 60_000
    assert balance(accounts.REFUNDS_DUE) == 0 and balance(accounts.CLEARING_BANK) == -60_000
    assert booking.self_paid_received_at is not None
    assert paid_fen(db.session, booking) == 60_000
    assert_ledger_balanced()


def test_prepay_then_complete_in_full_marks_the_share_received(db):
    world, booking = _book()
    payment = _prepay(world, booking)
    bookings.complete_booking(booking, world.lab_user, 120, "", None,
                              booking.starts_at + timedelta(hours=2))
    db.session.commit()
    assert booking.self_paid_fen == 120_000 and booking.self_paid_received_at is not None
    assert payment.refunded_fen == 0 and balance(accounts.REFUNDS_DUE) == 0
    assert balance(accounts.payable(world.lab.id)) == 120_000
    assert amount_due(db.session, booking) == 0
    assert_ledger_balanced()


def test_prepay_then_free_cancellation_refunds_everything(db):
    world, booking = _book(requires_approval=True)
    payment = _prepay(world, booking)
    bookings.cancel_booking(booking, world.sme_user, "plans changed", utcnow())
    db.session.commit()
    refund = _the_refund(payment)
    assert refund.amount_fen == 120_000
    payments.confirm_bank_refund(db.session, refund, user=world.lab_user)
    db.session.commit()
    assert payment.status == PaymentStatus.REFUNDED
    assert balance(accounts.payable(world.lab.id)) == 0
    assert booking.self_paid_fen == 0 and booking.self_paid_received_at is None
    assert_ledger_balanced()


def test_prepay_then_late_cancellation_keeps_the_charge(db):
    world, booking = _book()
    payment = _prepay(world, booking)
    # within the free-cancellation limit (24 h) before the start: half the price is charged
    bookings.cancel_booking(booking, world.sme_user, "", booking.starts_at - timedelta(hours=2))
    db.session.commit()
    assert booking.self_paid_fen == 60_000
    refund = _the_refund(payment)
    assert refund.amount_fen == 60_000
    payments.confirm_bank_refund(db.session, refund, user=world.lab_user)
    db.session.commit()
    assert balance(accounts.payable(world.lab.id)) == 60_000
    assert booking.self_paid_received_at is not None
    assert_ledger_balanced()


def test_prepay_then_reject_refunds_everything(db):
    world, booking = _book(requires_approval=True)
    payment = _prepay(world, booking)
    bookings.reject_booking(booking, world.lab_user, "maintenance", utcnow())
    db.session.commit()
    refund = _the_refund(payment)
    assert refund.amount_fen == 120_000
    payments.confirm_bank_refund(db.session, refund, user=world.lab_user)
    db.session.commit()
    assert payment.status == PaymentStatus.REFUNDED
    assert balance(accounts.payable(world.lab.id)) == 0
    assert_ledger_balanced()


def test_prepay_then_no_show_keeps_the_no_show_charge(db):
    world, booking = _book()
    payment = _prepay(world, booking)
    bookings.record_no_show(booking, world.lab_user, booking.starts_at + timedelta(minutes=30))
    db.session.commit()
    assert booking.self_paid_fen == 120_000  # the factory's instrument charges 100 % for a no-show
    assert payments.list_payments_for(db.session, PURPOSE, booking.id) == [payment]
    assert booking.self_paid_received_at is not None
    assert balance(accounts.payable(world.lab.id)) == 120_000
    assert_ledger_balanced()


def test_pending_prepayment_is_cancelled_on_rejection(db):
    world, booking = _book(requires_approval=True)
    payment = _prepay(world, booking, confirm=False)
    bookings.reject_booking(booking, world.lab_user, "maintenance", utcnow())
    db.session.commit()
    assert payment.status == PaymentStatus.CANCELLED
    assert amount_due(db.session, booking) == 0
    assert balance(accounts.payable(world.lab.id)) == 0
    assert_ledger_balanced()


def test_pending_prepayment_confirmed_after_completion_refunds_the_excess(db):
    world, booking = _book()
    payment = _prepay(world, booking, confirm=False)
    bookings.complete_booking(booking, world.lab_user, 90, "", None,
                              booking.starts_at + timedelta(hours=2))
    db.session.commit()
    assert booking.self_paid_fen == 90_000 and payment.status == PaymentStatus.PENDING
    payments.confirm_bank_transfer(db.session, payment, user=world.lab_user)
    db.session.commit()
    refund = _the_refund(payment)
    assert refund.amount_fen == 30_000
    payments.confirm_bank_refund(db.session, refund, user=world.lab_user)
    db.session.commit()
    assert balance(accounts.payable(world.lab.id)) == 90_000
    assert booking.self_paid_received_at is not None
    assert_ledger_balanced()


def test_double_clicked_prepay_makes_one_payment(db):
    world, booking = _book(requires_approval=True)
    first = start_booking_payment(db.session, booking, world.sme_user, BANK)
    db.session.commit()
    second = start_booking_payment(db.session, booking, world.sme_user, BANK)
    db.session.commit()
    assert first.id == second.id
    assert len(payments.list_payments_for(db.session, PURPOSE, booking.id)) == 1
    assert first.idempotency_key == f"booking:{booking.id}:prepay:1:120000"
    assert_ledger_balanced()


def test_retried_rejection_refunds_once(db):
    world, booking = _book(requires_approval=True)
    payment = _prepay(world, booking)
    bookings.reject_booking(booking, world.lab_user, "maintenance", utcnow())
    settle_self_paid(db.session, booking, now=utcnow())  # again: nothing more to do
    db.session.commit()
    assert _the_refund(payment).amount_fen == 120_000
    assert balance(accounts.REFUNDS_DUE) == 120_000
    assert_ledger_balanced()


def test_pay_page_and_booking_page_offer_the_prepayment(client, auth, db):
    world, booking = _book(requires_approval=True)
    auth.login_as(world.sme_user)
    html = client.get(f"/bookings/{booking.id}").get_data(as_text=True)
    assert 'data-testid="pay-online"' in html and "¥1,200" in html
    page = client.get(f"/payments/bookings/{booking.id}/pay")
    assert page.status_code == 200
    assert 'data-testid="pay-in-advance"' in page.get_data(as_text=True)
    auth.logout()
    auth.login_as(world.lab_user)
    assert client.get(f"/payments/bookings/{booking.id}/pay").status_code == 403
