"""The offline method end to end: bank transfer (对公转账) with a reference code, confirmed by
the receiving organisation or an officer; refunds confirmed the same way."""

from __future__ import annotations

import re

import pytest

from marketplace.errors import ConflictError, DomainError, InvalidStateError, NotAllowedError
from marketplace.extensions import db, utcnow
from marketplace.payments import accounts
from marketplace.payments import operations as payments
from marketplace.payments.booking_payments import PURPOSE, start_booking_payment
from marketplace.payments.models import PaymentMethod, PaymentStatus, RefundStatus
from tests.factories import make_officer, make_user
from tests.marketplace.payments.helpers import assert_ledger_balanced, balance, completed_booking

BANK = PaymentMethod.BANK_TRANSFER


def _start(owed, **overrides):
    world = owed.world
    fields = dict(key=f"test:{owed.booking.id}", purpose=PURPOSE, reference_id=owed.booking.id,
                  amount_fen=owed.booking.self_paid_fen,
                  credit_account=accounts.payable(world.lab.id, db.session),
                  description="booking", payer=world.sme_user, method=BANK,
                  payer_organization=world.sme, payee_organization=world.lab)
    fields.update(overrides)
    return payments.start_payment(db.session, **fields)


def test_bank_transfer_is_pending_with_a_reference_code_until_the_payee_confirms(db):
    owed = completed_booking()
    payable = accounts.payable(owed.world.lab.id)
    payment = start_booking_payment(db.session, owed.booking, owed.world.sme_user, BANK)
    db.session.commit()
    assert payment.status == PaymentStatus.PENDING
    assert re.fullmatch(r"CZX-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", payment.reference_code)
    assert payment.amount_fen == owed.booking.self_paid_fen == 120_000
    assert balance(payable) == 0

    with pytest.raises(NotAllowedError):  # the payer cannot confirm its own transfer
        payments.confirm_bank_transfer(db.session, payment, user=owed.world.sme_user)
    db.session.rollback()
    payments.confirm_bank_transfer(db.session, payment, user=owed.world.lab_user)
    db.session.commit()
    assert payment.status == PaymentStatus.PAID and payment.paid_at is not None
    assert balance(payable) == 120_000
    assert balance(accounts.CLEARING_BANK) == -120_000
    assert owed.booking.self_paid_received_at is not None
    # confirming again changes nothing
    payments.confirm_bank_transfer(db.session, payment, user=make_officer())
    db.session.commit()
    assert balance(payable) == 120_000
    assert_ledger_balanced()
    print("bank transfer: pending → paid once, payable ¥1,200, confirmations after the first: 0 moves")


def test_an_officer_may_confirm_and_others_may_not(db):
    owed = completed_booking()
    payment = _start(owed)
    db.session.commit()
    for stranger in (make_user(), owed.world.sme_user):
        with pytest.raises(NotAllowedError):
            payments.confirm_bank_transfer(db.session, payment, user=stranger)
        db.session.rollback()
    payments.confirm_bank_transfer(db.session, payment, user=owed.world.officer)
    db.session.commit()
    assert payment.status == PaymentStatus.PAID and payment.confirmed_by_id == owed.world.officer.id


def test_start_payment_is_idempotent_by_key(db):
    owed = completed_booking()
    first = _start(owed)
    db.session.commit()
    again = _start(owed)
    assert again.id == first.id
    with pytest.raises(ConflictError):
        _start(owed, amount_fen=1)
    db.session.rollback()
    # a double-clicked pay button: the booking finds the payment under way
    a = start_booking_payment(db.session, owed.booking, owed.world.sme_user, BANK)
    db.session.commit()
    b = start_booking_payment(db.session, owed.booking, owed.world.sme_user, BANK)
    db.session.commit()
    assert a.id == b.id == first.id  # the payment under way, whoever started it
    assert len(payments.list_payments_for(db.session, PURPOSE, owed.booking.id)) == 1
    print("double-clicked pay button: 1 payment")


def test_start_payment_refusals(db):
    owed = completed_booking()
    with pytest.raises(DomainError):
        _start(owed, amount_fen=0)
    with pytest.raises(ValueError, match="purpose"):
        _start(owed, purpose="nothing-registered")
    with pytest.raises(ValueError, match="does not exist"):
        _start(owed, credit_account="campaign:999:escrow")
    with pytest.raises(DomainError, match="not available"):  # no STRIPE_SECRET_KEY in tests
        _start(owed, method=PaymentMethod.STRIPE, key="other")
    db.session.rollback()
    with pytest.raises(NotAllowedError):
        start_booking_payment(db.session, owed.booking, make_user(), BANK)
    db.session.rollback()


def test_cancelled_payment_cannot_be_confirmed_and_a_new_one_can_start(db):
    owed = completed_booking()
    payment = start_booking_payment(db.session, owed.booking, owed.world.sme_user, BANK)
    db.session.commit()
    payments.cancel_payment(db.session, payment, reason="wrong account", by=owed.world.sme_user)
    payments.cancel_payment(db.session, payment, reason="again")  # idempotent
    db.session.commit()
    assert payment.status == PaymentStatus.CANCELLED
    with pytest.raises(InvalidStateError):
        payments.confirm_bank_transfer(db.session, payment, user=owed.world.lab_user)
    db.session.rollback()
    second = start_booking_payment(db.session, owed.booking, owed.world.sme_user, BANK)
    db.session.commit()
    assert second.id != payment.id and second.status == PaymentStatus.PENDING
    payments.confirm_bank_transfer(db.session, second, user=owed.world.lab_user)
    db.session.commit()
    with pytest.raises(InvalidStateError):
        payments.cancel_payment(db.session, second, reason="too late")
    db.session.rollback()
    with pytest.raises(DomainError, match="Nothing is owed"):
        start_booking_payment(db.session, owed.booking, owed.world.sme_user, BANK)
    db.session.rollback()


def test_bank_refund_is_owed_until_confirmed_then_settles(db):
    owed = completed_booking()
    payable = accounts.payable(owed.world.lab.id)
    payment = _start(owed)
    db.session.commit()
    with pytest.raises(InvalidStateError):  # nothing received yet
        payments.refund_payment(db.session, payment, key="r0", reason="x")
    db.session.rollback()
    payments.confirm_bank_transfer(db.session, payment, user=owed.world.lab_user)
    db.session.commit()

    part = payments.refund_payment(db.session, payment, key="r1", reason="overcharged",
                                   amount_fen=20_000, now=utcnow())
    db.session.commit()
    again = payments.refund_payment(db.session, payment, key="r1", reason="overcharged",
                                    amount_fen=20_000)
    assert again.id == part.id
    with pytest.raises(ConflictError):
        payments.refund_payment(db.session, payment, key="r1", reason="x", amount_fen=1)
    db.session.rollback()
    with pytest.raises(DomainError, match="At most"):
        payments.refund_payment(db.session, payment, key="r2", reason="x", amount_fen=100_001)
    db.session.rollback()
    assert part.status == RefundStatus.PENDING
    assert balance(payable) == 100_000 and balance(accounts.REFUNDS_DUE) == 20_000

    with pytest.raises(NotAllowedError):
        payments.confirm_bank_refund(db.session, part, user=owed.world.sme_user)
    db.session.rollback()
    payments.confirm_bank_refund(db.session, part, user=owed.world.lab_user)
    payments.confirm_bank_refund(db.session, part, user=owed.world.lab_user)  # idempotent
    db.session.commit()
    assert part.status == RefundStatus.SUCCEEDED
    assert balance(accounts.REFUNDS_DUE) == 0
    assert balance(accounts.CLEARING_BANK) == -100_000
    assert payment.status == PaymentStatus.PAID and payment.refunded_fen == 20_000

    rest = payments.refund_payment(db.session, payment, key="r3", reason="cancelled study")
    db.session.commit()
    assert rest.amount_fen == 100_000
    payments.confirm_bank_refund(db.session, rest, user=owed.world.officer)
    db.session.commit()
    assert payment.status == PaymentStatus.REFUNDED
    assert balance(payable) == 0 and balance(accounts.CLEARING_BANK) == 0
    assert owed.booking.self_paid_received_at is None  # owed again after a full refund
    assert_ledger_balanced()
    print("bank refund: 2 refunds (¥200 + ¥1,000), refunds-due 0, clearing 0, double settlements 0")


def test_pending_confirmations_are_listed_for_the_payee_and_officers(db):
    owed = completed_booking()
    payment = _start(owed)
    db.session.commit()
    assert payments.list_pending_confirmations(db.session, owed.world.lab_user)[0] == [payment]
    assert payments.list_pending_confirmations(db.session, owed.world.officer)[0] == [payment]
    assert payments.list_pending_confirmations(db.session, owed.world.sme_user)[0] == []
    assert payments.list_pending_confirmations(db.session, make_user())[0] == []


def test_racing_pay_clicks_make_one_payment(app, db):
    """Four simultaneous submissions of the pay button (each its own session): one payment."""
    from marketplace.bookings.models import Booking
    from marketplace.auth.models import User
    from tests.marketplace.bookings.concurrency import run_in_threads

    owed = completed_booking()
    booking_id, user_id = owed.booking.id, owed.world.sme_user.id

    def click(index: int) -> int:
        booking = db.session.get(Booking, booking_id)
        payment = start_booking_payment(db.session, booking, db.session.get(User, user_id), BANK)
        db.session.commit()
        return payment.id

    outcomes = run_in_threads(app, 4, click)
    errors = [o.error for o in outcomes if o.error is not None]
    assert errors == []
    ids = {o.value for o in outcomes}
    made = payments.list_payments_for(db.session, PURPOSE, booking_id)
    assert len(ids) == 1 and len(made) == 1
    print(f"racing pay clicks: 4 submissions, payments made: {len(made)}")


def test_racing_confirmations_credit_once(app, db):
    """The lab and an officer confirm the same transfer at the same moment: one credit."""
    from marketplace.auth.models import User
    from tests.marketplace.bookings.concurrency import run_in_threads

    owed = completed_booking()
    payment = _start(owed)
    db.session.commit()
    payment_id = payment.id
    confirmers = [owed.world.lab_user.id, owed.world.officer.id] * 2

    def confirm(index: int) -> str:
        found = db.session.get(payments.Payment, payment_id)
        done = payments.confirm_bank_transfer(db.session, found,
                                              user=db.session.get(User, confirmers[index]))
        db.session.commit()
        return str(done.status)

    outcomes = run_in_threads(app, 4, confirm)
    assert [o.error for o in outcomes] == [None] * 4
    assert {o.value for o in outcomes} == {"paid"}
    credits = balance(accounts.payable(owed.world.lab.id))
    assert credits == 120_000
    assert_ledger_balanced()
    print(f"racing confirmations: 4 at once, credited {credits // 120_000} time(s)")


@pytest.mark.ledger_breaks
def test_ledger_verify_reports_a_payment_marked_paid_without_its_money(db):
    """``flask ledger verify`` checks the payments too (marketplace.payments.checks)."""
    import sqlalchemy as sa

    from marketplace.checks import ALL_CHECKS
    from marketplace.ledger.queries import verify
    from marketplace.payments.models import Payment

    owed = completed_booking()
    payment = _start(owed)
    db.session.commit()
    assert verify(db.session, ALL_CHECKS).ok
    db.session.execute(sa.update(Payment).where(Payment.id == payment.id)
                       .values(status="paid", paid_at=payment.created_at))
    db.session.commit()
    report = verify(db.session, ALL_CHECKS)
    assert not report.ok and "payment_ledger" in report.verdict()
    print(f"ledger verify on a planted payment break: {report.verdict()}")
