"""Licence fee models (step 5): a technology's express licence terms, and the payment of an
agreement's upfront fee (part by voucher, the rest through ``marketplace.payments``).

An ``ExpressLicence`` is the owner's standing offer of a fixed-price non-exclusive licence; taking
it concludes a ``LicenceAgreement`` (``licensing.models``) at once. A ``LicenceFee`` is one attempt
to pay an agreement's upfront fee: pending (voucher holds and/or a payment under way) → paid (the
holds posted, the payment received, the agreement in force) or cancelled (holds released). At most
one fee per agreement is pending or paid (a partial unique index); ``request_key`` makes a resent
form find the fee (and the agreement) the first one made. Money is integer fen.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.errors import InvalidStateError
from marketplace.extensions import UTCDateTime, db, enum_type, utcnow

MAX_EXPRESS_TERM_YEARS = 50
MAX_TERRITORY = 200
MAX_FIELD_OF_USE = 300


class ExpressLicence(db.Model):
    """The owner's fixed-price, non-exclusive licence of one technology, taken in one step."""

    __tablename__ = "express_licences"

    id: Mapped[int] = mapped_column(primary_key=True)
    technology_id: Mapped[int] = mapped_column(sa.ForeignKey("technologies.id"), unique=True)
    price_fen: Mapped[int] = mapped_column(sa.BigInteger)
    term_years: Mapped[int]
    territory: Mapped[str] = mapped_column(sa.String(MAX_TERRITORY), default="")
    field_of_use: Mapped[str] = mapped_column(sa.String(MAX_FIELD_OF_USE), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    technology = relationship("Technology")

    __table_args__ = (
        sa.CheckConstraint("price_fen > 0", name="price_positive"),
        sa.CheckConstraint(f"term_years BETWEEN 1 AND {MAX_EXPRESS_TERM_YEARS}", name="term"),
    )

    def terms(self) -> dict:
        """The agreement terms (``conclude_agreement``'s ``terms``) of this express licence."""
        from listings.models import LicensingMode

        return {"mode": LicensingMode.NON_EXCLUSIVE, "field_of_use": self.field_of_use,
                "territory": self.territory, "term_years": self.term_years,
                "upfront_fee_fen": self.price_fen, "royalty_bp": 0, "milestones": []}

    def snapshot(self) -> dict:
        return {"price_fen": self.price_fen, "term_years": self.term_years,
                "territory": self.territory, "field_of_use": self.field_of_use,
                "is_active": self.is_active}


class FeeStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    CANCELLED = "cancelled"

    @property
    def label(self):
        return {FeeStatus.PENDING: _l("Awaiting payment"), FeeStatus.PAID: _l("Paid"),
                FeeStatus.CANCELLED: _l("Cancelled")}[self]


class LicenceFee(db.Model):
    """Paying one agreement's upfront fee: the voucher part (held, then posted) and the part
    the licensee pays itself (one payment of purpose ``licence_fee``)."""

    __tablename__ = "licence_fees"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("licence_agreements.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)  # the whole upfront fee
    programme_id: Mapped[int | None] = mapped_column(sa.ForeignKey("voucher_programmes.id"))
    voucher_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # held (then posted)
    self_paid_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payments.id"), unique=True)
    status: Mapped[FeeStatus] = mapped_column(enum_type(FeeStatus, "licence_fee_status", 10),
                                              default=FeeStatus.PENDING, index=True)
    request_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    agreement = relationship("LicenceAgreement")
    organization = relationship("Organization")
    programme = relationship("VoucherProgramme")
    payment = relationship("Payment")
    holds: Mapped[list[LicenceFeeHold]] = relationship(back_populates="fee",
                                                       order_by="LicenceFeeHold.id")

    __table_args__ = (
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint("voucher_fen >= 0 AND self_paid_fen >= 0", name="parts_not_negative"),
        sa.CheckConstraint("voucher_fen + self_paid_fen = amount_fen", name="parts_add_up"),
        sa.CheckConstraint("(voucher_fen > 0) = (programme_id IS NOT NULL)",
                           name="programme_iff_voucher"),
        sa.CheckConstraint("status <> 'paid' OR paid_at IS NOT NULL", name="paid_has_time"),
        # one fee per agreement under way or paid
        sa.Index("uq_licence_fees_live", "agreement_id", unique=True,
                 sqlite_where=sa.text("status <> 'cancelled'"),
                 postgresql_where=sa.text("status <> 'cancelled'")),
    )

    @property
    def is_pending(self) -> bool:
        return self.status == FeeStatus.PENDING

    def mark_paid(self, now: datetime) -> None:
        if self.status == FeeStatus.PAID:
            return
        if self.status != FeeStatus.PENDING:
            raise InvalidStateError(_l("This fee payment was cancelled."))
        self.status, self.paid_at = FeeStatus.PAID, now

    def cancel(self, now: datetime) -> None:
        if self.status == FeeStatus.CANCELLED:
            return
        if self.status != FeeStatus.PENDING:
            raise InvalidStateError(_l("This fee has been paid; it can no longer be cancelled."))
        self.status, self.cancelled_at = FeeStatus.CANCELLED, now

    def snapshot(self) -> dict:
        return {"status": str(self.status), "amount_fen": self.amount_fen,
                "voucher_fen": self.voucher_fen, "self_paid_fen": self.self_paid_fen,
                "programme_id": self.programme_id, "payment_id": self.payment_id}

    def __repr__(self) -> str:
        return f"<LicenceFee {self.id} agreement {self.agreement_id} {self.status}>"


class LicenceFeeHold(db.Model):
    """A voucher hold for a fee: one quota, one funding layer (as ``BookingHold``)."""

    __tablename__ = "licence_fee_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    fee_id: Mapped[int] = mapped_column(sa.ForeignKey("licence_fees.id"), index=True)
    quota_id: Mapped[int] = mapped_column(sa.ForeignKey("quotas.id"))
    layer_id: Mapped[int] = mapped_column(sa.ForeignKey("funding_layers.id"))
    transfer_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_transfers.id"), unique=True)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)

    fee: Mapped[LicenceFee] = relationship(back_populates="holds")
    transfer = relationship("LedgerTransfer")

    __table_args__ = (sa.CheckConstraint("amount_fen > 0", name="amount_positive"),)
