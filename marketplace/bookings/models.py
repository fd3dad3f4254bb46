"""Bookings of shared instruments, their voucher holds, and users' instrument qualifications.

A booking's life: requested → approved → completed → settled, or rejected / cancelled / no-show.
Times are timezone-aware UTC (shown in Asia/Shanghai); money is integer fen. Two bookings of one
instrument that "hold" their slot never overlap: a PostgreSQL exclusion constraint and SQLite
triggers (created in the migration) refuse it, whatever the application checked before.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.errors import InvalidStateError
from marketplace.extensions import UTCDateTime, db, enum_type, utcnow


class BookingStatus(enum.StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    SETTLED = "settled"

    @property
    def label(self):
        return STATUS_LABELS[self]


STATUS_LABELS = {
    BookingStatus.REQUESTED: _l("Awaiting approval"),
    BookingStatus.APPROVED: _l("Confirmed"),
    BookingStatus.REJECTED: _l("Rejected"),
    BookingStatus.CANCELLED: _l("Cancelled"),
    BookingStatus.COMPLETED: _l("Completed"),
    BookingStatus.NO_SHOW: _l("No-show"),
    BookingStatus.SETTLED: _l("Settled"),
}

# bookings that keep their slot (the database's overlap guard uses the same list)
SLOT_HOLDING = (BookingStatus.REQUESTED, BookingStatus.APPROVED, BookingStatus.COMPLETED,
                BookingStatus.NO_SHOW, BookingStatus.SETTLED)
# bookings whose voucher holds are still open
OPEN = (BookingStatus.REQUESTED, BookingStatus.APPROVED)


class Booking(db.Model):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("instruments.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    booked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[BookingStatus] = mapped_column(enum_type(BookingStatus, "booking_status", 10),
                                                  index=True)
    purpose: Mapped[str] = mapped_column(sa.Text, default="")
    # the price as quoted when booking
    rate_fen: Mapped[int] = mapped_column(sa.BigInteger)  # per hour
    price_fen: Mapped[int] = mapped_column(sa.BigInteger)
    programme_id: Mapped[int | None] = mapped_column(sa.ForeignKey("voucher_programmes.id"))
    voucher_held_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # the outcome: what was charged, how much of it vouchers paid, what the booker owes
    charged_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    voucher_paid_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    self_paid_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    self_paid_received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    actual_minutes: Mapped[int | None]
    usage_note: Mapped[str | None] = mapped_column(sa.Text)
    invoice_number: Mapped[str | None] = mapped_column(sa.String(60))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rejection_reason: Mapped[str | None] = mapped_column(sa.Text)
    cancelled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    completed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the client's key for the request that created it: a retried submission finds this booking
    request_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    instrument = relationship("Instrument", lazy="joined")
    organization = relationship("Organization", lazy="joined")
    booked_by = relationship("User", foreign_keys=[booked_by_id])
    programme = relationship("VoucherProgramme")
    holds: Mapped[list[BookingHold]] = relationship(back_populates="booking",
                                                    order_by="BookingHold.id")

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("rate_fen >= 0 AND price_fen >= 0 AND voucher_held_fen >= 0 "
                           "AND voucher_paid_fen >= 0 AND self_paid_fen >= 0", name="money"),
        sa.CheckConstraint("voucher_held_fen <= price_fen", name="hold_within_price"),
        sa.CheckConstraint("voucher_paid_fen <= voucher_held_fen", name="paid_within_hold"),
        sa.CheckConstraint("charged_fen IS NULL OR charged_fen = voucher_paid_fen + self_paid_fen",
                           name="charge_split"),
        sa.CheckConstraint("(programme_id IS NULL) = (voucher_held_fen = 0)",
                           name="programme_iff_voucher"),
        sa.Index("ix_bookings_instrument_time", "instrument_id", "starts_at"),
    )

    # --- reading ------------------------------------------------------------------------------
    @property
    def minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def self_paid_quote_fen(self) -> int:
        return self.price_fen - self.voucher_held_fen

    # --- permissions --------------------------------------------------------------------------
    def is_provider(self, user) -> bool:
        """A member of the organisation that owns the instrument."""
        return self.instrument.organization.is_member(user)

    def is_booker(self, user) -> bool:
        return self.organization.is_member(user)

    def can_view(self, user) -> bool:
        return bool(user and user.is_authenticated and (
            self.is_booker(user) or self.is_provider(user) or user.is_officer))

    def can_cancel(self, user) -> bool:
        return self.is_open and self.is_booker(user)

    def can_decide(self, user) -> bool:
        return self.status == BookingStatus.REQUESTED and self.is_provider(user)

    def can_complete(self, user) -> bool:
        return self.status == BookingStatus.APPROVED and self.is_provider(user)

    def can_record_payment(self, user) -> bool:
        return (self.self_paid_fen > 0 and self.self_paid_received_at is None
                and self.is_provider(user))

    # --- transitions (the operations move the money in the same transaction) ------------------
    def _require(self, *states: BookingStatus) -> None:
        if self.status not in states:
            raise InvalidStateError(_l("This booking is %(state)s; that is no longer possible.",
                                       state=self.status.label))

    def approve(self, by, now: datetime) -> None:
        self._require(BookingStatus.REQUESTED)
        self.status = BookingStatus.APPROVED
        self.decided_by_id, self.decided_at = by.id, now

    def reject(self, by, reason: str, now: datetime) -> None:
        self._require(BookingStatus.REQUESTED)
        self.status = BookingStatus.REJECTED
        self.decided_by_id, self.decided_at, self.rejection_reason = by.id, now, reason
        self.charged_fen = 0

    def cancel(self, by, reason: str, fee_fen: int, now: datetime) -> None:
        self._require(*OPEN)
        self.status = BookingStatus.CANCELLED
        self.cancelled_by_id, self.cancelled_at, self.cancel_reason = by.id, now, reason
        self.charged_fen = self.self_paid_fen = fee_fen

    def mark_no_show(self, by, fee_fen: int, now: datetime) -> None:
        self._require(BookingStatus.APPROVED)
        self.status = BookingStatus.NO_SHOW
        self.completed_by_id, self.completed_at = by.id, now
        self.charged_fen = self.self_paid_fen = fee_fen

    def complete(self, by, actual_minutes: int, charged_fen: int, voucher_paid_fen: int,
                 note: str, invoice_number: str | None, now: datetime) -> None:
        self._require(BookingStatus.APPROVED)
        self.status = BookingStatus.COMPLETED
        self.completed_by_id, self.completed_at = by.id, now
        self.actual_minutes, self.usage_note, self.invoice_number = actual_minutes, note, invoice_number
        self.charged_fen = charged_fen
        self.voucher_paid_fen = voucher_paid_fen
        self.self_paid_fen = charged_fen - voucher_paid_fen

    def settle(self, now: datetime) -> None:
        self._require(BookingStatus.COMPLETED)
        self.status = BookingStatus.SETTLED
        self.settled_at = now

    def snapshot(self) -> dict:
        return {"status": str(self.status), "starts_at": self.starts_at.isoformat(),
                "ends_at": self.ends_at.isoformat(), "price_fen": self.price_fen,
                "voucher_held_fen": self.voucher_held_fen, "charged_fen": self.charged_fen,
                "voucher_paid_fen": self.voucher_paid_fen, "self_paid_fen": self.self_paid_fen}

    def __repr__(self) -> str:
        return f"<Booking {self.id} i{self.instrument_id} {self.status}>"


class BookingHold(db.Model):
    """One voucher hold of a booking: the part one quota pays through one funding layer."""

    __tablename__ = "booking_holds"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("bookings.id"), index=True)
    quota_id: Mapped[int] = mapped_column(sa.ForeignKey("quotas.id"), index=True)
    layer_id: Mapped[int] = mapped_column(sa.ForeignKey("funding_layers.id"))
    transfer_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_transfers.id"), unique=True)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)

    booking: Mapped[Booking] = relationship(back_populates="holds")
    quota = relationship("Quota")
    layer = relationship("FundingLayer")
    transfer = relationship("LedgerTransfer")

    __table_args__ = (
        sa.UniqueConstraint("booking_id", "quota_id", "layer_id"),
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
    )


class Qualification(db.Model):
    """A provider's record that a user has been trained on an instrument."""

    __tablename__ = "qualifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("instruments.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(sa.String(300))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    instrument = relationship("Instrument")
    user = relationship("User", foreign_keys=[user_id])

    __table_args__ = (sa.UniqueConstraint("instrument_id", "user_id"),)
