"""Paying the self-paid part of a booking (purpose ``booking_self_paid``), in advance or after.

While a booking is requested or approved and nothing is paid yet, its organisation may prepay
the quoted self-paid share; once a booking is over (completed, settled, a no-show or a late
cancellation with a fee) and its self-paid part is not yet received, it may pay what is still
owed. Either way by bank transfer or, where Stripe is configured, online. The money goes
``clearing → org:<provider>:payable`` (the platform owes it to the lab).

What the booker has paid is derived from the payment rows (received payments less their
refunds under way or sent), never stored twice. When the booking's charge becomes known (usage
or no-show recorded, rejected, cancelled) — or money arrives for a booking whose charge is
known — :func:`settle_self_paid` compares the two in the same transaction: more paid than owed
is refunded from the lab's payable (key ``booking:<id>:prepaid-refund:<payment id>``); exactly
what is owed marks the share received; less leaves the rest owed. A prepayment still pending
when the booking is rejected or cancelled is cancelled. Everything is recomputed from the rows,
so running it again changes nothing. One payment is under way at a time per booking; a double
click finds it.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session, object_session

from marketplace.audit import record_audit
from marketplace.bookings.models import OPEN, Booking, BookingStatus
from marketplace.errors import ConflictError, DomainError, NotAllowedError
from marketplace.extensions import utcnow
from marketplace.payments import accounts
from marketplace.payments import operations as payments
from marketplace.payments.models import Payment, PaymentMethod, PaymentStatus, Refund, RefundStatus
from marketplace.transactions import lock

PURPOSE = "booking_self_paid"
PAYABLE_STATES = (BookingStatus.COMPLETED, BookingStatus.SETTLED, BookingStatus.NO_SHOW,
                  BookingStatus.CANCELLED)
RECEIVED = (PaymentStatus.PAID, PaymentStatus.REFUNDED)


def _payments(session: Session, booking: Booking):
    return sa.select(Payment).where(Payment.purpose == PURPOSE,
                                    Payment.reference_id == str(booking.id))


def paid_fen(session: Session, booking: Booking) -> int:
    """What the booker has paid for this booking, net of refunds asked for (not failed)."""
    received = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Payment.amount_fen), 0))
                              .where(Payment.purpose == PURPOSE,
                                     Payment.reference_id == str(booking.id),
                                     Payment.status.in_(RECEIVED)))
    refunded = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Refund.amount_fen), 0))
        .join(Payment, Payment.id == Refund.payment_id)
        .where(Payment.purpose == PURPOSE, Payment.reference_id == str(booking.id),
               Refund.status != RefundStatus.FAILED))
    return int(received) - int(refunded)


def amount_due(session: Session, booking: Booking) -> int:
    """What the booking's organisation may pay now: the quoted share of an open booking not
    paid for yet, or the rest of the self-paid part of a booking that is over."""
    if booking.status in OPEN:
        if booking.self_paid_quote_fen <= 0 or paid_fen(session, booking) != 0:
            return 0
        return booking.self_paid_quote_fen
    if (booking.status in PAYABLE_STATES and booking.self_paid_fen > 0
            and booking.self_paid_received_at is None):
        return max(booking.self_paid_fen - paid_fen(session, booking), 0)
    return 0


def is_payable(booking: Booking) -> bool:
    return amount_due(object_session(booking), booking) > 0


def can_pay(booking: Booking, user) -> bool:
    return booking.is_booker(user) and is_payable(booking)


def open_payment(session: Session, booking: Booking) -> Payment | None:
    """The booking's payment under way (pending), if any."""
    return session.scalar(_payments(session, booking).where(
        Payment.status == PaymentStatus.PENDING).order_by(Payment.id.desc()).limit(1))


def start_booking_payment(session: Session, booking: Booking, user, method: PaymentMethod,
                          now=None) -> Payment:
    """A payment of what is due on the booking (see ``amount_due``) by its organisation (the
    one under way, if it is of the same method)."""
    now = now or utcnow()
    method = PaymentMethod(method)
    booking = lock(session, Booking, booking.id)
    if not booking.is_booker(user):
        raise NotAllowedError(_("Only the organisation that booked can pay for the booking."))
    amount = amount_due(session, booking)
    if amount <= 0:
        raise DomainError(_("Nothing is owed on this booking."))
    if (current := open_payment(session, booking)) is not None:
        if current.method == method:
            return current
        raise ConflictError(_("A payment of this booking is already under way. Cancel it "
                              "first to pay another way."))
    attempt = session.scalar(sa.select(sa.func.count(Payment.id)).where(
        Payment.purpose == PURPOSE, Payment.reference_id == str(booking.id))) + 1
    provider = booking.instrument.organization
    if booking.status in OPEN:
        key = f"booking:{booking.id}:prepay:{attempt}:{amount}"
        description = _("Booking #%(id)d, paid in advance: %(instrument)s", id=booking.id,
                        instrument=booking.instrument.title_zh)
    else:
        key = f"booking:{booking.id}:self_paid:{attempt}"
        description = _("Booking #%(id)d: %(instrument)s", id=booking.id,
                        instrument=booking.instrument.title_zh)
    return payments.start_payment(
        session, key=key, purpose=PURPOSE, reference_id=booking.id, amount_fen=amount,
        credit_account=accounts.payable(provider.id, session), description=description[:200],
        payer=user, method=method, payer_organization=booking.organization,
        payee_organization=provider, now=now)


def settle_self_paid(session: Session, booking: Booking, *, now=None, by=None) -> None:
    """Square what the booker paid with what it owes, once the charge is known (the booking
    is locked by the caller; in its transaction; idempotent). See the module docstring."""
    if booking.status in OPEN:
        return
    now = now or utcnow()
    if booking.status in (BookingStatus.REJECTED, BookingStatus.CANCELLED):
        for pending in list(session.scalars(_payments(session, booking).where(
                Payment.status == PaymentStatus.PENDING).order_by(Payment.id))):
            payments.cancel_payment(session, pending, now=now, by=by, reason=_(
                "The booking was rejected or cancelled before this payment arrived."))
    owed = booking.self_paid_fen if booking.status in PAYABLE_STATES else 0
    excess = paid_fen(session, booking) - owed
    if excess > 0:
        for payment in list(session.scalars(_payments(session, booking).where(
                Payment.status == PaymentStatus.PAID).order_by(Payment.id.desc()))):
            available = payment.amount_fen - payments._refunds_taken(session, payment.id)
            take = min(available, excess)
            if take <= 0:
                continue
            payments.refund_payment(
                session, payment, key=f"booking:{booking.id}:prepaid-refund:{payment.id}",
                reason=_("More was paid in advance than the booking's own share: the "
                         "difference is refunded."),
                amount_fen=take, debit_account=payment.credit_account, now=now)
            excess -= take
            if excess == 0:
                break
        excess = paid_fen(session, booking) - owed
        record_audit(by, "booking.self_paid_overpaid", booking,
                     after={"self_paid_fen": owed, "paid_fen": owed + excess})
    if excess == 0 and owed > 0 and booking.self_paid_received_at is None:
        booking.self_paid_received_at = now
        record_audit(by, "booking.self_paid_received", booking, after={"self_paid_fen": owed})


def _on_paid(session: Session, payment: Payment) -> None:
    """Money for the booking arrived: kept as a prepayment while the booking is open, else
    squared with what is owed (the share received, or the excess refunded)."""
    booking = lock(session, Booking, int(payment.reference_id))
    if booking.status in OPEN:
        record_audit(None, "booking.self_paid_prepaid", booking,
                     after={"paid_fen": payment.amount_fen, "payment_id": payment.id})
        return
    settle_self_paid(session, booking, now=payment.paid_at)


def _on_refunded(session: Session, refund) -> None:
    """A whole booking payment was refunded (an officer's correction): the part is owed again
    if what remains paid no longer covers it."""
    payment = refund.payment
    if payment.status != PaymentStatus.REFUNDED:
        return
    booking = lock(session, Booking, int(payment.reference_id))
    if (booking.self_paid_received_at is not None
            and paid_fen(session, booking) < booking.self_paid_fen):
        booking.self_paid_received_at = None
        record_audit(None, "booking.self_paid_refunded", booking,
                     after={"payment_id": payment.id, "refund_id": refund.id})


payments.register_purpose(PURPOSE, on_paid=_on_paid, on_refunded=_on_refunded)
