"""Payment records (step 4): payments, their refunds, and the Stripe events already handled.

A payment is created ``pending`` (and committed) before any call to Stripe; its state then only
moves forward: pending → paid | failed | cancelled; failed → paid (a customer may retry inside
the same Checkout Session, and money that arrived is never ignored); paid → refunded once the
refunds that Stripe (or the payee, for a bank transfer) confirmed add up to the whole amount.
A late failure never undoes a paid payment. The money itself is in the ledger; the columns here
say which ledger transfers belong to the payment (their idempotency keys are derived from ids).
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import UTCDateTime, db, enum_type, utcnow


class PaymentMethod(enum.StrEnum):
    STRIPE = "stripe"  # Stripe Checkout: card, Alipay, WeChat Pay
    BANK_TRANSFER = "bank_transfer"  # 对公转账, confirmed by the payee or an officer

    @property
    def label(self):
        return {PaymentMethod.STRIPE: _l("Online (card, Alipay, WeChat Pay)"),
                PaymentMethod.BANK_TRANSFER: _l("Bank transfer")}[self]


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"

    @property
    def label(self):
        return {PaymentStatus.PENDING: _l("Awaiting payment"), PaymentStatus.PAID: _l("Paid"),
                PaymentStatus.FAILED: _l("Failed"), PaymentStatus.CANCELLED: _l("Cancelled"),
                PaymentStatus.REFUNDED: _l("Refunded")}[self]


class RefundStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def label(self):
        return {RefundStatus.PENDING: _l("Refund in progress"),
                RefundStatus.SUCCEEDED: _l("Refunded"),
                RefundStatus.FAILED: _l("Refund failed")}[self]


class Payment(db.Model):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(40), index=True)  # "pledge", "booking_self_paid"
    reference_id: Mapped[str] = mapped_column(sa.String(40))  # the purpose's object id
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3), default="cny")
    method: Mapped[PaymentMethod] = mapped_column(enum_type(PaymentMethod, "payment_method", 20))
    status: Mapped[PaymentStatus] = mapped_column(
        enum_type(PaymentStatus, "payment_status", 10), default=PaymentStatus.PENDING, index=True)
    credit_account: Mapped[str] = mapped_column(sa.String(120))  # ledger code paid into
    idempotency_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))  # the fields the key was used for
    reference_code: Mapped[str] = mapped_column(sa.String(20), unique=True)  # CZX-7K3M-9Q2P
    payer_user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    payer_organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"),
                                                              index=True)
    payee_organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"),
                                                              index=True)
    description: Mapped[str] = mapped_column(sa.String(200))
    stripe_checkout_session_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    refunded_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # confirmed refunds
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    failure_reason: Mapped[str | None] = mapped_column(sa.Text)
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    payer = relationship("User", foreign_keys=[payer_user_id])
    payer_organization = relationship("Organization", foreign_keys=[payer_organization_id])
    payee_organization = relationship("Organization", foreign_keys=[payee_organization_id])
    confirmed_by = relationship("User", foreign_keys=[confirmed_by_id])
    refunds: Mapped[list[Refund]] = relationship(back_populates="payment", order_by="Refund.id")

    __table_args__ = (
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen",
                           name="refunded_within_amount"),
        sa.CheckConstraint("currency = 'cny'", name="currency_cny"),
        sa.CheckConstraint("status <> 'paid' OR paid_at IS NOT NULL", name="paid_has_time"),
        sa.Index("ix_payments_purpose_reference", "purpose", "reference_id"),
    )

    # --- reading ------------------------------------------------------------------------------
    @property
    def is_pending(self) -> bool:
        return self.status == PaymentStatus.PENDING

    @property
    def is_settled(self) -> bool:
        """Money arrived (whether or not it was refunded since)."""
        return self.status in (PaymentStatus.PAID, PaymentStatus.REFUNDED)

    @property
    def refundable_fen(self) -> int:
        """What may still be refunded: the amount less refunds confirmed or under way."""
        if not self.is_settled:
            return 0
        taken = sum(r.amount_fen for r in self.refunds if r.status != RefundStatus.FAILED)
        return max(self.amount_fen - taken, 0)

    # --- permissions --------------------------------------------------------------------------
    def is_payer(self, user) -> bool:
        if not user or not user.is_authenticated:
            return False
        if user.id == self.payer_user_id:
            return True
        return self.payer_organization is not None and self.payer_organization.is_member(user)

    def is_payee(self, user) -> bool:
        return self.payee_organization is not None and self.payee_organization.is_member(user)

    def can_view(self, user) -> bool:
        return bool(user and user.is_authenticated and (
            self.is_payer(user) or self.is_payee(user) or user.is_officer))

    def can_confirm(self, user) -> bool:
        """Record that a bank transfer arrived: the payee organisation or an officer."""
        return bool(self.method == PaymentMethod.BANK_TRANSFER and user and user.is_authenticated
                    and (self.is_payee(user) or user.is_officer))

    def can_cancel(self, user) -> bool:
        return self.is_pending and self.is_payer(user)

    def can_pay(self, user) -> bool:
        """Go to Stripe Checkout for it."""
        return self.method == PaymentMethod.STRIPE and self.can_cancel(user)

    def snapshot(self) -> dict:
        return {"status": str(self.status), "method": str(self.method),
                "amount_fen": self.amount_fen, "refunded_fen": self.refunded_fen,
                "purpose": self.purpose, "reference_id": self.reference_id}

    def __repr__(self) -> str:
        return f"<Payment {self.id} {self.purpose}:{self.reference_id} {self.method} {self.status}>"


class Refund(db.Model):
    __tablename__ = "payment_refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[RefundStatus] = mapped_column(
        enum_type(RefundStatus, "refund_status", 10), default=RefundStatus.PENDING, index=True)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    idempotency_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    debit_account: Mapped[str] = mapped_column(sa.String(120))  # ledger code refunded from
    # a payment that arrived after it was cancelled is refunded on our own initiative: its
    # purpose never saw it paid, so it hears nothing of the refund either
    notify_purpose: Mapped[bool] = mapped_column(default=True)
    stripe_refund_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)  # calls to Stripe (each with the same key)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    failure_reason: Mapped[str | None] = mapped_column(sa.Text)
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    payment: Mapped[Payment] = relationship(back_populates="refunds")

    __table_args__ = (sa.CheckConstraint("amount_fen > 0", name="amount_positive"),)

    def can_confirm(self, user) -> bool:
        """Record that a bank refund was sent: the payee organisation or an officer."""
        return (self.status == RefundStatus.PENDING and self.payment.can_confirm(user))

    def snapshot(self) -> dict:
        return {"status": str(self.status), "amount_fen": self.amount_fen,
                "payment_id": self.payment_id}

    def __repr__(self) -> str:
        return f"<Refund {self.id} payment {self.payment_id} {self.amount_fen} {self.status}>"


class StripeEvent(db.Model):
    """A webhook event handled; the unique id makes a second delivery change nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    type: Mapped[str] = mapped_column(sa.String(100))
    object_id: Mapped[str | None] = mapped_column(sa.String(255))
    outcome: Mapped[str] = mapped_column(sa.String(60))  # what it did: "paid", "ignored" …
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # Stripe's event time
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
