"""Reimbursement batches: the programme pays providers for voucher-paid bookings and for the
voucher part of licence fees.

A batch collects, for one programme and period, every completed voucher-paid booking and every
paid licence fee with a voucher part not yet in a batch (each in at most one batch: UNIQUE
``booking_id`` and UNIQUE ``licence_fee_id``; an item is exactly one of the two), is approved,
then marked paid; marking it paid moves each item's amount, per funding layer, from the
provider's (for a licence fee: the licensor's) receivable to the programme's reimbursed account
and settles the bookings.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.errors import InvalidStateError
from marketplace.extensions import UTCDateTime, db, enum_type, utcnow


class BatchStatus(enum.StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PAID = "paid"

    @property
    def label(self):
        return {BatchStatus.DRAFT: _l("Draft"), BatchStatus.APPROVED: _l("Approved"),
                BatchStatus.PAID: _l("Paid")}[self]


class ReimbursementBatch(db.Model):
    __tablename__ = "reimbursement_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("voucher_programmes.id"), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]  # inclusive, Asia/Shanghai dates of booking completion
    status: Mapped[BatchStatus] = mapped_column(enum_type(BatchStatus, "batch_status", 10),
                                                default=BatchStatus.DRAFT)
    total_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    payment_reference: Mapped[str | None] = mapped_column(sa.String(100))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    programme = relationship("VoucherProgramme")
    items: Mapped[list[ReimbursementItem]] = relationship(
        back_populates="batch", order_by="ReimbursementItem.provider_id, ReimbursementItem.id",
        cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint("period_end >= period_start", name="period"),
        sa.CheckConstraint("total_fen >= 0", name="total"),
    )

    def _require(self, *states: BatchStatus) -> None:
        if self.status not in states:
            raise InvalidStateError(_l("This batch is %(state)s; that is no longer possible.",
                                       state=self.status.label))

    def approve(self, by, now: datetime) -> None:
        self._require(BatchStatus.DRAFT)
        self.status, self.approved_by_id, self.approved_at = BatchStatus.APPROVED, by.id, now

    def mark_paid(self, by, reference: str, now: datetime) -> None:
        self._require(BatchStatus.APPROVED)
        self.status, self.paid_by_id, self.paid_at = BatchStatus.PAID, by.id, now
        self.payment_reference = reference

    def by_provider(self) -> list[tuple]:
        """[(provider organisation, [items], subtotal fen)] in provider order."""
        groups: dict[int, list[ReimbursementItem]] = {}
        for item in self.items:
            groups.setdefault(item.provider_id, []).append(item)
        return [(items[0].provider, items, sum(i.amount_fen for i in items))
                for items in groups.values()]

    def snapshot(self) -> dict:
        return {"status": str(self.status), "total_fen": self.total_fen,
                "items": len(self.items), "payment_reference": self.payment_reference}


class ReimbursementItem(db.Model):
    __tablename__ = "reimbursement_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("reimbursement_batches.id"), index=True)
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bookings.id"), unique=True)
    licence_fee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("licence_fees.id"),
                                                       unique=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    layer_amounts: Mapped[dict] = mapped_column(sa.JSON)  # {"<layer id>": fen}
    invoice_number: Mapped[str | None] = mapped_column(sa.String(60))
    usage_summary: Mapped[str] = mapped_column(sa.Text, default="")

    batch: Mapped[ReimbursementBatch] = relationship(back_populates="items")
    booking = relationship("Booking")
    licence_fee = relationship("LicenceFee")
    provider = relationship("Organization")

    __table_args__ = (
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint("(booking_id IS NULL) <> (licence_fee_id IS NULL)",
                           name="one_subject"),
    )

    @property
    def is_licence_fee(self) -> bool:
        return self.licence_fee_id is not None

    @property
    def subject_ref(self) -> str:
        """What the item reimburses, language-neutral: ``#<booking>`` or the agreement number."""
        if self.is_licence_fee:
            return self.licence_fee.agreement.number
        return f"#{self.booking_id}"
