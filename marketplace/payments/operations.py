"""Payments: start, confirm, cancel and refund payments; handle Stripe's webhook events.

Invariants:
* a payment is committed ``pending`` before Stripe hears of it; a Stripe object is created with
  an idempotency key derived from our own id (``payment:<id>:checkout:v1``, ``refund:<id>:v1``);
* money moves in the ledger in the same transaction as the state change that it reflects, under
  keys derived from ids (``payment:<id>:paid``, ``refund:<id>:due``, ``refund:<id>:settled``,
  ``refund:<id>:failed``), so no payment is credited twice and no refund settled twice;
* states only move forward (see ``models``): a late failure never undoes a paid payment;
* a refund is owed (``debit → cny:refunds-due``) when asked for and settled
  (``refunds-due → clearing``) only once Stripe — or, for a bank transfer, the payee or an
  officer — confirms it; a refund Stripe refuses is reversed, so the amount may be refunded again;
* a webhook event's id is stored (unique) in the transaction that applies it: a second delivery
  finds it and changes nothing;
* the purpose's callbacks run in the same transaction as the change, once per change.

Operations take the session first, never commit, and never call Stripe while holding a lock
(checkout and refund calls happen after commit, or before the locking part of the operation).
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from marketplace.audit import record_audit
from marketplace.errors import ConflictError, DomainError, InvalidStateError, NotAllowedError
from marketplace.extensions import utcnow
from marketplace.ledger import operations as ledger
from marketplace.ledger.models import LedgerAccount, LedgerTransfer
from marketplace.money import MAX_FEN
from marketplace.payments import accounts, gateway
from marketplace.payments.models import (  # noqa: F401  (re-exported: the contract's names)
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
    RefundStatus,
    StripeEvent,
)
from marketplace.post_commit import after_commit
from marketplace.transactions import begin_write, lock

log = logging.getLogger(__name__)
SHANGHAI_OFFSET = timedelta(hours=8)  # Asia/Shanghai has no DST


# ---------------------------------------------------------------------------------------------
# purposes
@dataclass(frozen=True)
class Purpose:
    on_paid: Callable
    on_failed: Callable | None = None
    on_refunded: Callable | None = None


_PURPOSES: dict[str, Purpose] = {}


def register_purpose(purpose: str, *, on_paid, on_failed=None, on_refunded=None) -> None:
    """What to do, in the same transaction, when a payment of this purpose is paid, fails, or
    has a refund confirmed: ``on_paid(session, payment)``, ``on_failed(session, payment)``,
    ``on_refunded(session, refund)``. Registering again replaces the callbacks."""
    if not purpose or len(purpose) > 40:
        raise ValueError(f"a purpose is 1–40 characters: {purpose!r}")
    _PURPOSES[purpose] = Purpose(on_paid, on_failed, on_refunded)


def _purpose(name: str) -> Purpose:
    try:
        return _PURPOSES[name]
    except KeyError:
        raise ValueError(f"no payment purpose {name!r} is registered") from None


# ---------------------------------------------------------------------------------------------
# starting a payment
def start_payment(session: Session, *, key: str, purpose: str, reference_id, amount_fen: int,
                  credit_account: str, description: str, payer, method: PaymentMethod,
                  payer_organization=None, payee_organization=None, now=None) -> Payment:
    """A pending payment. The same ``key`` with the same fields returns the first payment; with
    other fields it is refused. Never calls Stripe (``checkout_url`` does, after commit)."""
    now = now or utcnow()
    method = PaymentMethod(method)
    _check_key(key)
    _purpose(purpose)
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int):
        raise TypeError(f"amounts are integers (fen), not {amount_fen!r}")
    if amount_fen <= 0 or amount_fen > MAX_FEN:
        raise DomainError(_("The amount to pay must be more than ¥0."), "amount")
    if method == PaymentMethod.STRIPE and not gateway.is_configured():
        raise gateway.NotConfiguredError(_("Online payment is not available here; please pay by "
                                           "bank transfer."))
    reference_id = str(reference_id)
    description = (description or "").strip()[:200]
    fingerprint = _fingerprint(
        purpose=purpose, reference_id=reference_id, amount_fen=amount_fen,
        credit_account=credit_account, method=str(method), payer=payer.id,
        payer_organization=_id(payer_organization), payee_organization=_id(payee_organization))
    begin_write(session)
    if (existing := _payment_by_key(session, key)) is not None:
        return _replayed(existing, fingerprint)
    accounts.ensure_open(session, accounts.clearing(method), credit_account)
    if session.scalar(sa.select(LedgerAccount.id).where(LedgerAccount.code == credit_account)) is None:
        raise ValueError(f"the ledger account {credit_account!r} to pay into does not exist")
    for _attempt in range(5):
        payment = Payment(
            purpose=purpose, reference_id=reference_id, amount_fen=amount_fen, currency="cny",
            method=method, status=PaymentStatus.PENDING, credit_account=credit_account,
            idempotency_key=key, fingerprint=fingerprint, reference_code=new_reference_code(),
            payer_user_id=payer.id, payer_organization_id=_id(payer_organization),
            payee_organization_id=_id(payee_organization), description=description,
            refunded_fen=0, created_at=now, updated_at=now)
        try:
            with session.begin_nested():
                session.add(payment)
                session.flush()
        except sa.exc.IntegrityError:
            if (existing := _payment_by_key(session, key)) is not None:  # a twin committed
                return _replayed(existing, fingerprint)
            continue  # the reference code was taken (1 in 10^12): draw another
        record_audit(payer, "payment.start", payment, after=payment.snapshot())
        log.info("payment #%s started: %s %s fen for %s:%s", payment.id, method, amount_fen,
                 purpose, reference_id)
        return payment
    raise RuntimeError("could not draw a free payment reference code")


REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L


def new_reference_code() -> str:
    """What a bank-transfer payer writes in the transfer's remark, e.g. ``CZX-7K3M-9Q2P``."""
    chars = [secrets.choice(REFERENCE_ALPHABET) for _ in range(8)]
    return f"CZX-{''.join(chars[:4])}-{''.join(chars[4:])}"


def checkout_url(session: Session, payment: Payment, *, success_url: str, cancel_url: str) -> str:
    """The Stripe Checkout page for a pending Stripe payment (committed before this is called):
    the session is created once (idempotency key ``payment:<id>:checkout:v1``) and its id kept;
    commit afterwards."""
    if payment.method != PaymentMethod.STRIPE:
        raise DomainError(_("This payment is made by bank transfer, not online."))
    if payment.is_settled:
        raise InvalidStateError(_("This payment has already been received."))
    if payment.status != PaymentStatus.PENDING:
        raise InvalidStateError(_("This payment is %(state)s; start a new one to pay.",
                                  state=payment.status.label))
    if payment.stripe_checkout_session_id:
        found = gateway.retrieve_checkout_session(payment.stripe_checkout_session_id)
        if found.get("status") == "open" and found.get("url"):
            return found["url"]
        if found.get("status") == "complete":
            raise InvalidStateError(_("We are confirming your payment; this page will show it "
                                      "once the payment service has told us."))
        raise InvalidStateError(_("This checkout has expired. Please start the payment again."))
    created = gateway.create_checkout_session(
        key=f"payment:{payment.id}:checkout:v1", payment_id=payment.id,
        amount_fen=payment.amount_fen, description=payment.description,
        reference_code=payment.reference_code, success_url=success_url, cancel_url=cancel_url,
        customer_email=payment.payer.email if payment.payer else None)
    payment.stripe_checkout_session_id = created["id"]
    if isinstance(created.get("payment_intent"), str):
        payment.stripe_payment_intent_id = created["payment_intent"]
    return created["url"]


# ---------------------------------------------------------------------------------------------
# paid, failed, cancelled
def confirm_bank_transfer(session: Session, payment: Payment, *, user, now=None) -> Payment:
    """The payee organisation (or an officer) saw the bank transfer arrive: paid. Idempotent."""
    now = now or utcnow()
    payment = lock(session, Payment, payment.id)
    if not payment.can_confirm(user):
        raise NotAllowedError(_("Only the receiving organisation or an officer can confirm a "
                                "bank transfer."))
    if payment.is_settled:
        return payment
    if payment.status != PaymentStatus.PENDING:
        raise InvalidStateError(_("This payment is %(state)s; it can no longer be confirmed.",
                                  state=payment.status.label))
    return _mark_paid(session, payment, now=now, by=user)


def cancel_payment(session: Session, payment: Payment, *, reason: str, now=None, by=None,
                   notify: bool = False, expire_checkout: bool = True) -> Payment:
    """A pending payment that will not be paid: cancelled (idempotent). ``notify`` tells the
    purpose (``on_failed``), for a cancellation the purpose did not ask for itself."""
    now = now or utcnow()
    payment = lock(session, Payment, payment.id)
    if payment.status == PaymentStatus.CANCELLED:
        return payment
    if payment.status != PaymentStatus.PENDING:
        raise InvalidStateError(_("This payment is %(state)s; it can no longer be cancelled.",
                                  state=payment.status.label))
    before = payment.snapshot()
    payment.status, payment.cancelled_at = PaymentStatus.CANCELLED, now
    payment.cancel_reason = (reason or "").strip()[:500] or None
    record_audit(by, "payment.cancel", payment, before=before, after=payment.snapshot(),
                 note=payment.cancel_reason)
    if notify and (on_failed := _purpose(payment.purpose).on_failed):
        on_failed(session, payment)
    if (expire_checkout and payment.method == PaymentMethod.STRIPE
            and payment.stripe_checkout_session_id):
        _after_commit_in_new_context(session, _expire_session, payment.stripe_checkout_session_id)
    return payment


def _expire_session(session_id: str) -> None:
    try:
        gateway.expire_checkout_session(session_id)
    except gateway.GatewayError:  # it expires by itself within 24 hours
        log.warning("could not expire checkout session %s", session_id)


def _mark_paid(session: Session, payment: Payment, *, now, by=None,
               payment_intent: str | None = None) -> Payment:
    """Money arrived (the payment is locked by the caller)."""
    if payment_intent and not payment.stripe_payment_intent_id:
        payment.stripe_payment_intent_id = payment_intent
    if payment.is_settled:
        return payment
    clearing = accounts.clearing(payment.method)
    before = payment.snapshot()
    if payment.status == PaymentStatus.CANCELLED:
        return _paid_after_cancel(session, payment, now=now)
    accounts.ensure_open(session, clearing, payment.credit_account)
    ledger.transfer(session, f"payment:{payment.id}:paid",
                    [(clearing, -payment.amount_fen), (payment.credit_account, payment.amount_fen)],
                    memo=f"payment #{payment.id} ({payment.purpose})",
                    reference=("payment", payment.id))
    payment.status, payment.paid_at = PaymentStatus.PAID, now
    payment.confirmed_by_id = by.id if by is not None else None
    record_audit(by, "payment.paid", payment, before=before, after=payment.snapshot())
    log.info("payment #%s paid (%s)", payment.id, payment.method)
    _purpose(payment.purpose).on_paid(session, payment)
    return payment


def _paid_after_cancel(session: Session, payment: Payment, *, now) -> Payment:
    """Stripe took money for a payment we had cancelled (the customer finished an old Checkout
    page): it is owed back at once, without the purpose ever seeing it paid."""
    clearing = accounts.clearing(payment.method)
    before = payment.snapshot()
    accounts.ensure_open(session, clearing, accounts.REFUNDS_DUE)
    ledger.transfer(session, f"payment:{payment.id}:paid",
                    [(clearing, -payment.amount_fen), (accounts.REFUNDS_DUE, payment.amount_fen)],
                    memo=f"payment #{payment.id} paid after cancellation",
                    reference=("payment", payment.id))
    payment.status, payment.paid_at = PaymentStatus.PAID, now
    refund = Refund(payment_id=payment.id, amount_fen=payment.amount_fen,
                    status=RefundStatus.PENDING, reason="paid after the payment was cancelled",
                    idempotency_key=f"payment:{payment.id}:late-refund",
                    fingerprint=_fingerprint(late=payment.id), debit_account=accounts.REFUNDS_DUE,
                    notify_purpose=False, attempts=0, created_at=now, updated_at=now)
    session.add(refund)
    session.flush()
    # the amount is in refunds-due already: record the "due" step as done by the payment's move
    record_audit(None, "payment.paid_after_cancel", payment, before=before,
                 after=payment.snapshot())
    log.warning("payment #%s was paid after it was cancelled; refund #%s", payment.id, refund.id)
    _after_commit_send(session, refund.id)
    return payment


def _mark_failed(session: Session, payment: Payment, *, reason: str | None, now) -> Payment:
    """Stripe reports the payment failed (the payment is locked by the caller): only a pending
    payment becomes failed; a paid one stays paid."""
    if payment.status != PaymentStatus.PENDING:
        return payment
    before = payment.snapshot()
    payment.status, payment.failed_at = PaymentStatus.FAILED, now
    payment.failure_reason = (reason or "")[:500] or None
    record_audit(None, "payment.failed", payment, before=before, after=payment.snapshot(),
                 note=payment.failure_reason)
    if on_failed := _purpose(payment.purpose).on_failed:
        on_failed(session, payment)
    return payment


# ---------------------------------------------------------------------------------------------
# refunds
def refund_payment(session: Session, payment: Payment, *, key: str, reason: str,
                   amount_fen: int | None = None, debit_account: str | None = None,
                   now=None) -> Refund:
    """Owe (part of) a received payment back: ``debit_account`` (default the account it was
    paid into) → ``cny:refunds-due`` now; Stripe is asked after commit, a bank refund waits for
    ``confirm_bank_refund``. Idempotent by ``key``."""
    now = now or utcnow()
    _check_key(key)
    if amount_fen is not None and (isinstance(amount_fen, bool) or not isinstance(amount_fen, int)):
        raise TypeError(f"amounts are integers (fen), not {amount_fen!r}")
    payment = lock(session, Payment, payment.id)
    debit = debit_account or payment.credit_account
    fingerprint = _fingerprint(payment=payment.id, amount_fen=amount_fen, debit=debit)
    if (existing := _refund_by_key(session, key)) is not None:
        if existing.fingerprint != fingerprint:
            raise ConflictError(_("This refund was already requested with other details."))
        return existing
    if not payment.is_settled:
        raise InvalidStateError(_("Only a received payment can be refunded."))
    available = payment.amount_fen - _refunds_taken(session, payment.id)
    amount = available if amount_fen is None else amount_fen
    if amount <= 0 or amount > available:
        raise DomainError(_("At most %(amount)s of this payment can still be refunded.",
                            amount=f"¥{available / 100:,.2f}"), "amount")
    refund = Refund(payment_id=payment.id, amount_fen=amount, status=RefundStatus.PENDING,
                    reason=(reason or "").strip()[:2000], idempotency_key=key,
                    fingerprint=fingerprint, debit_account=debit, notify_purpose=True,
                    attempts=0, created_at=now, updated_at=now)
    try:
        with session.begin_nested():
            session.add(refund)
            session.flush()
    except sa.exc.IntegrityError:
        if (existing := _refund_by_key(session, key)) is not None and \
                existing.fingerprint == fingerprint:
            return existing
        raise ConflictError(_("This refund was already requested with other details.")) from None
    accounts.ensure_open(session, accounts.REFUNDS_DUE, debit)
    ledger.transfer(session, f"refund:{refund.id}:due",
                    [(debit, -amount), (accounts.REFUNDS_DUE, amount)],
                    memo=f"refund #{refund.id} of payment #{payment.id}",
                    reference=("payment", payment.id))
    record_audit(None, "payment.refund", payment, after=refund.snapshot(), note=refund.reason)
    if payment.method == PaymentMethod.STRIPE:
        _after_commit_send(session, refund.id)
    return refund


def confirm_bank_refund(session: Session, refund: Refund, *, user, now=None) -> Refund:
    """The payee organisation (or an officer) sent a bank-transfer refund back: settled."""
    now = now or utcnow()
    payment = lock(session, Payment, refund.payment_id)
    refund = lock(session, Refund, refund.id)
    if payment.method != PaymentMethod.BANK_TRANSFER:
        raise DomainError(_("An online payment is refunded by the payment service."))
    if not payment.can_confirm(user):
        raise NotAllowedError(_("Only the receiving organisation or an officer can confirm a "
                                "refund."))
    if refund.status == RefundStatus.SUCCEEDED:
        return refund
    if refund.status != RefundStatus.PENDING:
        raise InvalidStateError(_("This refund has failed; it can no longer be confirmed."))
    _settle_refund(session, payment, refund, now=now, by=user)
    return refund


def send_refund(session: Session, refund: Refund, *, now=None) -> Refund:
    """Ask Stripe for a pending refund (same key ``refund:<id>:v1`` every time) or read back its
    status, and apply what Stripe says. The call happens before any lock; commit afterwards."""
    now = now or utcnow()
    refund = session.get(Refund, refund.id, populate_existing=True)
    payment = refund.payment
    if refund.status != RefundStatus.PENDING or payment.method != PaymentMethod.STRIPE:
        return refund
    try:
        if refund.stripe_refund_id:
            found = gateway.retrieve_refund(refund.stripe_refund_id)
        else:
            intent = payment.stripe_payment_intent_id or _intent_of(payment)
            if not intent:
                raise gateway.GatewayError("the payment has no PaymentIntent yet")
            found = gateway.create_refund(key=f"refund:{refund.id}:v1", payment_intent=intent,
                                          amount_fen=refund.amount_fen, refund_id=refund.id,
                                          payment_id=payment.id)
    except gateway.GatewayError as error:
        refund = lock(session, Refund, refund.id)
        refund.attempts += 1
        cause = error.__cause__
        text = f"{type(cause).__name__}: {cause}" if cause else str(error.message)
        refund.last_error = " ".join(text.split())[:500]
        log.warning("refund #%s: Stripe call failed (%s); retried by flask payments "
                    "retry-refunds", refund.id, error.message)
        return refund
    return apply_stripe_refund(session, found, refund_id=refund.id, now=now, attempted=True)


def _intent_of(payment: Payment) -> str | None:
    if not payment.stripe_checkout_session_id:
        return None
    found = gateway.retrieve_checkout_session(payment.stripe_checkout_session_id)
    intent = found.get("payment_intent")
    return intent if isinstance(intent, str) else None


def apply_stripe_refund(session: Session, data: dict, *, refund_id: int | None = None, now=None,
                        attempted: bool = False) -> Refund | None:
    """Apply a Stripe Refund object's status to our refund (by id, or by its Stripe id or
    metadata): succeeded → settled, failed/canceled → reversed; pending stays pending."""
    now = now or utcnow()
    if refund_id is None:
        refund_id = _our_refund_id(session, data)
        if refund_id is None:
            log.warning("Stripe refund %s is not one of ours", data.get("id"))
            return None
    payment_id = session.scalar(sa.select(Refund.payment_id).where(Refund.id == refund_id))
    payment = lock(session, Payment, payment_id)
    refund = lock(session, Refund, refund_id)
    if attempted:
        refund.attempts += 1
        refund.last_error = None
    if refund.stripe_refund_id is None and isinstance(data.get("id"), str):
        refund.stripe_refund_id = data["id"]
    if refund.status != RefundStatus.PENDING:
        return refund
    status = data.get("status")
    if status == "succeeded":
        _settle_refund(session, payment, refund, now=now)
    elif status in ("failed", "canceled"):
        _fail_refund(session, payment, refund, reason=data.get("failure_reason") or status,
                     now=now)
    return refund


def _settle_refund(session: Session, payment: Payment, refund: Refund, *, now, by=None) -> None:
    clearing = accounts.clearing(payment.method)
    accounts.ensure_open(session, clearing, accounts.REFUNDS_DUE)
    ledger.transfer(session, f"refund:{refund.id}:settled",
                    [(accounts.REFUNDS_DUE, -refund.amount_fen), (clearing, refund.amount_fen)],
                    memo=f"refund #{refund.id} of payment #{payment.id} sent",
                    reference=("payment", payment.id))
    before = payment.snapshot()
    refund.status, refund.succeeded_at = RefundStatus.SUCCEEDED, now
    refund.confirmed_by_id = by.id if by is not None else None
    payment.refunded_fen += refund.amount_fen
    if payment.refunded_fen == payment.amount_fen:
        payment.status, payment.refunded_at = PaymentStatus.REFUNDED, now
    record_audit(by, "payment.refunded", payment, before=before, after=payment.snapshot(),
                 note=f"refund #{refund.id}")
    if refund.notify_purpose and (on_refunded := _purpose(payment.purpose).on_refunded):
        on_refunded(session, refund)


def _fail_refund(session: Session, payment: Payment, refund: Refund, *, reason: str,
                 now) -> None:
    """Stripe could not refund: the amount returns to where it was owed from (so it can be
    refunded again, another way), and an operator sees the failure."""
    refund.status, refund.failed_at = RefundStatus.FAILED, now
    refund.failure_reason = str(reason)[:500]
    due = session.scalar(sa.select(LedgerTransfer).where(
        LedgerTransfer.idempotency_key == f"refund:{refund.id}:due"))
    if due is not None:
        ledger.reverse(session, f"refund:{refund.id}:failed", due,
                       memo=f"refund #{refund.id} failed")
    else:  # a refund of a payment that arrived after its cancellation: owed from refunds-due
        refund.failure_reason += " (still owed: refunds-due)"
    record_audit(None, "payment.refund_failed", payment, after=refund.snapshot(), note=reason)
    log.error("refund #%s of payment #%s failed: %s", refund.id, payment.id, reason)


def list_refunds_to_send(session: Session) -> list[Refund]:
    """Pending Stripe refunds (not yet accepted by Stripe, or accepted but not yet final)."""
    return list(session.scalars(
        sa.select(Refund).join(Payment, Payment.id == Refund.payment_id)
        .where(Refund.status == RefundStatus.PENDING, Payment.method == PaymentMethod.STRIPE)
        .order_by(Refund.id)))


def _refunds_taken(session: Session, payment_id: int) -> int:
    return int(session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Refund.amount_fen), 0)).where(
        Refund.payment_id == payment_id, Refund.status != RefundStatus.FAILED)))


def _our_refund_id(session: Session, data: dict) -> int | None:
    if isinstance(data.get("id"), str):
        found = session.scalar(sa.select(Refund.id).where(Refund.stripe_refund_id == data["id"]))
        if found is not None:
            return found
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    ident = metadata.get("refund_id")
    if isinstance(ident, str) and ident.isdigit():
        return session.scalar(sa.select(Refund.id).where(Refund.id == int(ident)))
    return None


# ---------------------------------------------------------------------------------------------
# webhook events
HANDLED_EVENTS = (
    "checkout.session.completed", "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed", "checkout.session.expired",
    "payment_intent.payment_failed", "charge.refunded", "refund.created", "refund.updated",
    "refund.failed",
)


def handle_stripe_event(session: Session, event: dict, *, now=None) -> str:
    """Apply one verified webhook event, once: its id is stored (unique) in this transaction.
    Returns what it did ("duplicate", "paid", "ignored" …). Commit afterwards."""
    now = now or utcnow()
    kind, obj = event["type"], event["data"]["object"]
    fetched = _refunds_of_charge(session, obj) if kind == "charge.refunded" else None
    begin_write(session)
    created = event.get("created")
    record = StripeEvent(event_id=event["id"][:255], type=kind[:100],
                         object_id=str(obj.get("id"))[:255] if obj.get("id") else None,
                         outcome="received", received_at=now,
                         created_at=datetime.fromtimestamp(created, UTC)
                         if isinstance(created, int) else None)
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except sa.exc.IntegrityError:
        log.info("stripe event %s (%s) delivered again: nothing to do", event["id"], kind)
        return "duplicate"
    if kind not in HANDLED_EVENTS:
        outcome = "ignored"
        log.info("stripe event %s of type %s ignored", event["id"], kind)
    elif kind.startswith("checkout.session."):
        outcome = _on_checkout_session(session, kind, obj, now)
    elif kind == "payment_intent.payment_failed":
        outcome = _on_intent_failed(session, obj, now)
    elif kind == "charge.refunded":
        applied = [apply_stripe_refund(session, data, now=now) for data in fetched]
        states = [str(refund.status) for refund in applied if refund is not None]
        outcome = "refunds:" + ",".join(states) if states else "no_pending_refund"
    else:
        refund = apply_stripe_refund(session, obj, now=now)
        outcome = f"refund:{refund.status}" if refund is not None else "unknown_refund"
    record.outcome = outcome[:60]
    return outcome


def _payment_of(session: Session, obj: dict, *, intent: str | None = None) -> Payment | None:
    """Our payment for a Checkout Session or PaymentIntent object: by our id in its metadata
    (checked against the Stripe ids we stored), else by the Stripe ids."""
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    ident = metadata.get("payment_id") or obj.get("client_reference_id")
    payment = None
    if isinstance(ident, str) and ident.isdigit():
        payment = session.get(Payment, int(ident))
    if payment is None and obj.get("object") == "checkout.session" and obj.get("id"):
        payment = session.scalar(sa.select(Payment).where(
            Payment.stripe_checkout_session_id == obj["id"]))
    if payment is None and intent:
        payment = session.scalar(sa.select(Payment).where(
            Payment.stripe_payment_intent_id == intent))
    if payment is None or payment.method != PaymentMethod.STRIPE:
        return None
    return lock(session, Payment, payment.id)


def _on_checkout_session(session: Session, kind: str, obj: dict, now) -> str:
    intent = obj.get("payment_intent") if isinstance(obj.get("payment_intent"), str) else None
    payment = _payment_of(session, obj, intent=intent)
    if payment is None:
        log.warning("checkout session %s is not one of our payments", obj.get("id"))
        return "unknown_payment"
    if payment.stripe_checkout_session_id is None:
        payment.stripe_checkout_session_id = obj.get("id")
    elif payment.stripe_checkout_session_id != obj.get("id"):
        log.warning("checkout session %s does not match payment #%s (%s)", obj.get("id"),
                    payment.id, payment.stripe_checkout_session_id)
        return "session_mismatch"
    if kind == "checkout.session.expired":
        if payment.status == PaymentStatus.PENDING:
            cancel_payment(session, payment, reason="checkout session expired", now=now,
                           notify=True, expire_checkout=False)
            return "cancelled"
        return "unchanged"
    if kind == "checkout.session.async_payment_failed":
        _mark_failed(session, payment, reason="async payment failed", now=now)
        return str(payment.status)
    paid = (kind == "checkout.session.async_payment_succeeded"
            or obj.get("payment_status") == "paid")
    if not paid:
        if intent and not payment.stripe_payment_intent_id:
            payment.stripe_payment_intent_id = intent
        return "awaiting_payment"
    if obj.get("amount_total") != payment.amount_fen or (obj.get("currency") or "cny") != "cny":
        log.error("checkout session %s paid %s %s for payment #%s of %s fen: not applied",
                  obj.get("id"), obj.get("amount_total"), obj.get("currency"), payment.id,
                  payment.amount_fen)
        return "amount_mismatch"
    _mark_paid(session, payment, now=now, payment_intent=intent)
    return str(payment.status)


def _on_intent_failed(session: Session, obj: dict, now) -> str:
    payment = _payment_of(session, obj, intent=obj.get("id"))
    if payment is None:
        return "unknown_payment"
    if not payment.stripe_payment_intent_id and isinstance(obj.get("id"), str):
        payment.stripe_payment_intent_id = obj["id"]
    error = obj.get("last_payment_error") if isinstance(obj.get("last_payment_error"), dict) else {}
    _mark_failed(session, payment, reason=str(error.get("message") or "payment failed"), now=now)
    return str(payment.status)


def _refunds_of_charge(session: Session, charge: dict) -> list[dict]:
    """A refunded charge: re-read from Stripe each pending refund of its payment (the event's
    charge does not list them), before the write transaction starts."""
    intent = charge.get("payment_intent")
    if not isinstance(intent, str):
        return []
    payment = session.scalar(sa.select(Payment).where(Payment.stripe_payment_intent_id == intent))
    if payment is None:
        return []
    found = []
    for refund in session.scalars(sa.select(Refund).where(
            Refund.payment_id == payment.id, Refund.status == RefundStatus.PENDING,
            Refund.stripe_refund_id.is_not(None)).order_by(Refund.id)):
        found.append(gateway.retrieve_refund(refund.stripe_refund_id))
    return found


# ---------------------------------------------------------------------------------------------
# reconciliation
@dataclass(frozen=True)
class Disagreement:
    payment_id: int | None
    stripe_id: str | None
    ours: str
    stripes: str
    note: str


def reconcile_day(session: Session, day) -> tuple[int, list[Disagreement]]:
    """Stripe payments of ``day`` (Asia/Shanghai) whose state in our records differs from
    Stripe's. Returns (sessions and payments compared, disagreements). Reads only."""
    start = datetime.combine(day, time(0), UTC) - SHANGHAI_OFFSET
    end = start + timedelta(days=1)
    sessions = {s["id"]: s for s in gateway.list_checkout_sessions(start, end)}
    payments = list(session.scalars(sa.select(Payment).where(
        Payment.method == PaymentMethod.STRIPE,
        sa.or_(sa.and_(Payment.created_at >= start, Payment.created_at < end),
               Payment.stripe_checkout_session_id.in_(list(sessions) or [""])))
        .order_by(Payment.id)))
    seen: set[str] = set()
    found: list[Disagreement] = []
    for payment in payments:
        sid = payment.stripe_checkout_session_id
        if sid is None:
            if payment.is_settled:
                found.append(Disagreement(payment.id, None, str(payment.status), "-",
                                          "paid here, no Checkout Session"))
            continue
        seen.add(sid)
        remote = sessions.get(sid) or gateway.retrieve_checkout_session(sid)
        if problem := _compare(session, payment, remote):
            found.append(Disagreement(payment.id, sid, _ours(payment), _theirs(remote), problem))
    for sid, remote in sessions.items():
        if sid not in seen:
            ident = (remote.get("metadata") or {}).get("payment_id")
            if remote.get("payment_status") == "paid" or ident:
                found.append(Disagreement(None, sid, "-", _theirs(remote),
                                          "not in our records"))
    return len(payments) + len(set(sessions) - seen), found


def _ours(payment: Payment) -> str:
    text = str(payment.status)
    if payment.refunded_fen:
        text += f" (refunded {payment.refunded_fen})"
    return text


def _theirs(remote: dict) -> str:
    return f"{remote.get('status')}/{remote.get('payment_status')}"


def _compare(session: Session, payment: Payment, remote: dict) -> str | None:
    paid = remote.get("payment_status") == "paid"
    if paid and not payment.is_settled:
        return "paid at Stripe, not here"
    if payment.is_settled and not paid:
        return "paid here, not at Stripe"
    if not paid and remote.get("status") == "expired" and payment.status == PaymentStatus.PENDING:
        return "expired at Stripe, pending here"
    if paid and remote.get("amount_total") != payment.amount_fen:
        return f"amount {remote.get('amount_total')} at Stripe, {payment.amount_fen} here"
    if paid:
        for refund in session.scalars(sa.select(Refund).where(
                Refund.payment_id == payment.id, Refund.stripe_refund_id.is_not(None))):
            theirs = gateway.retrieve_refund(refund.stripe_refund_id).get("status")
            mine = str(refund.status)
            if theirs == "canceled":
                theirs = "failed"
            if theirs in ("succeeded", "failed") and theirs != mine:
                return f"refund #{refund.id} {theirs} at Stripe, {mine} here"
    return None


# ---------------------------------------------------------------------------------------------
# reading
def list_pending_confirmations(session: Session, user) -> tuple[list[Payment], list[Refund]]:
    """Bank transfers awaiting confirmation, and bank refunds awaiting confirmation, that
    ``user`` may confirm (officers: all; others: their organisations' as payee)."""
    payments = sa.select(Payment).where(Payment.method == PaymentMethod.BANK_TRANSFER,
                                        Payment.status == PaymentStatus.PENDING)
    refunds = (sa.select(Refund).join(Payment, Payment.id == Refund.payment_id)
               .where(Payment.method == PaymentMethod.BANK_TRANSFER,
                      Refund.status == RefundStatus.PENDING))
    if not user.is_officer:
        org_ids = [m.organization_id for m in user.memberships]
        payments = payments.where(Payment.payee_organization_id.in_(org_ids or [-1]))
        refunds = refunds.where(Payment.payee_organization_id.in_(org_ids or [-1]))
    return (list(session.scalars(payments.order_by(Payment.created_at, Payment.id).limit(500))),
            list(session.scalars(refunds.order_by(Refund.created_at, Refund.id).limit(500))))


def list_payments_for(session: Session, purpose: str, reference_id) -> list[Payment]:
    return list(session.scalars(sa.select(Payment).where(
        Payment.purpose == purpose, Payment.reference_id == str(reference_id))
        .order_by(Payment.id)))


def bank_account_details() -> dict | None:
    """The collection account bank-transfer payers send money to, if configured."""
    config = current_app.config
    details = {"name": config.get("BANK_TRANSFER_ACCOUNT_NAME"),
               "bank": config.get("BANK_TRANSFER_BANK_NAME"),
               "number": config.get("BANK_TRANSFER_ACCOUNT_NUMBER")}
    return details if details["number"] else None


# ---------------------------------------------------------------------------------------------
# helpers
def _check_key(key) -> None:
    if not isinstance(key, str) or not key or len(key) > 120:
        raise ValueError(f"an idempotency key is 1–120 characters: {key!r}")


def _id(obj) -> int | None:
    return None if obj is None else obj.id


def _fingerprint(**fields) -> str:
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _payment_by_key(session: Session, key: str) -> Payment | None:
    return session.scalar(sa.select(Payment).where(Payment.idempotency_key == key))


def _refund_by_key(session: Session, key: str) -> Refund | None:
    return session.scalar(sa.select(Refund).where(Refund.idempotency_key == key))


def _replayed(existing: Payment, fingerprint: str) -> Payment:
    if existing.fingerprint != fingerprint:
        raise ConflictError(_("This payment was already started with other details."))
    return existing


def _after_commit_send(session: Session, refund_id: int) -> None:
    _after_commit_in_new_context(session, _send_refund_by_id, refund_id)


def _send_refund_by_id(refund_id: int) -> None:
    from marketplace.extensions import db

    refund = db.session.get(Refund, refund_id)
    if refund is None:
        return
    send_refund(db.session, refund)
    db.session.commit()


def _after_commit_in_new_context(session: Session, fn, *args) -> None:
    """Run ``fn(*args)`` once this transaction has committed, in a fresh application context
    (its own database session), as the mail outbox does."""
    app = current_app._get_current_object()

    def run():
        from marketplace.extensions import db

        with app.app_context():
            try:
                fn(*args)
            except Exception:
                db.session.rollback()
                log.exception("after-commit payment step %s%r failed", fn.__name__, args)

    after_commit(run, session)
