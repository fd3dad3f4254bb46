"""Paying the self-paid part of a booking online (purpose ``booking_self_paid``).

Once a booking is over (completed, settled, a no-show or a late cancellation with a fee) and its
self-paid part is not yet received, the booking's organisation may pay it by bank transfer or,
where Stripe is configured, online. The money goes ``clearing → org:<provider>:payable`` (the
platform owes it to the lab) and the booking records the part received, in the same
transaction. One payment is under way at a time per booking; a double click finds it.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from marketplace.audit import record_audit
from marketplace.bookings.models import Booking, BookingStatus
from marketplace.errors import ConflictError, DomainError, NotAllowedError
from marketplace.extensions import utcnow
from marketplace.payments import accounts
from marketplace.payments import operations as payments
from marketplace.payments.models import Payment, PaymentMethod, PaymentStatus
from marketplace.transactions import lock

PURPOSE = "booking_self_paid"
PAYABLE_STATES = (BookingStatus.COMPLETED, BookingStatus.SETTLED, BookingStatus.NO_SHOW,
                  BookingStatus.CANCELLED)


def is_payable(booking: Booking) -> bool:
    return (booking.self_paid_fen > 0 and booking.self_paid_received_at is None
            and booking.status in PAYABLE_STATES)


def can_pay(booking: Booking, user) -> bool:
    return is_payable(booking) and booking.is_booker(user)


def open_payment(session: Session, booking: Booking) -> Payment | None:
    """The booking's payment under way (pending), if any."""
    return session.scalar(sa.select(Payment).where(
        Payment.purpose == PURPOSE, Payment.reference_id == str(booking.id),
        Payment.status == PaymentStatus.PENDING).order_by(Payment.id.desc()).limit(1))


def start_booking_payment(session: Session, booking: Booking, user, method: PaymentMethod,
                          now=None) -> Payment:
    """A payment of the booking's self-paid part by its organisation (the one under way, if it
    is of the same method)."""
    now = now or utcnow()
    method = PaymentMethod(method)
    booking = lock(session, Booking, booking.id)
    if not booking.is_booker(user):
        raise NotAllowedError(_("Only the organisation that booked can pay for the booking."))
    if not is_payable(booking):
        raise DomainError(_("Nothing is owed on this booking."))
    if (current := open_payment(session, booking)) is not None:
        if current.method == method:
            return current
        raise ConflictError(_("A payment of this booking is already under way. Cancel it "
                              "first to pay another way."))
    attempt = session.scalar(sa.select(sa.func.count(Payment.id)).where(
        Payment.purpose == PURPOSE, Payment.reference_id == str(booking.id))) + 1
    provider = booking.instrument.organization
    return payments.start_payment(
        session, key=f"booking:{booking.id}:self_paid:{attempt}", purpose=PURPOSE,
        reference_id=booking.id, amount_fen=booking.self_paid_fen,
        credit_account=accounts.payable(provider.id, session),
        description=_("Booking #%(id)d: %(instrument)s", id=booking.id,
                      instrument=booking.instrument.title_zh)[:200],
        payer=user, method=method, payer_organization=booking.organization,
        payee_organization=provider, now=now)


def _on_paid(session: Session, payment: Payment) -> None:
    """The booking's self-paid part is received (as ``record_self_paid_received`` records it)."""
    booking = lock(session, Booking, int(payment.reference_id))
    if booking.self_paid_received_at is None:
        booking.self_paid_received_at = payment.paid_at
        record_audit(None, "booking.self_paid_received", booking,
                     after={"self_paid_fen": booking.self_paid_fen, "payment_id": payment.id})


def _on_refunded(session: Session, refund) -> None:
    """A refund of a booking payment (an officer's correction): the part is owed again once the
    whole payment is refunded."""
    payment = refund.payment
    if payment.status != PaymentStatus.REFUNDED:
        return
    booking = lock(session, Booking, int(payment.reference_id))
    if booking.self_paid_received_at is not None:
        booking.self_paid_received_at = None
        record_audit(None, "booking.self_paid_refunded", booking,
                     after={"payment_id": payment.id, "refund_id": refund.id})


payments.register_purpose(PURPOSE, on_paid=_on_paid, on_refunded=_on_refunded)
