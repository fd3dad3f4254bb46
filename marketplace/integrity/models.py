"""Models of marketplace.integrity (step 7): signals, cases, freezes, claw-backs, credit notes.

Kinds and statuses are plain strings (checked by CHECK constraints), so that adding a signal kind
needs no enum migration.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import UTCDateTime, db, utcnow

RELATED_PARTY = "related_party"
DUPLICATE_INVOICE = "duplicate_invoice"
HELD_MAXIMUM = "held_maximum"
PROVIDER_SHARE = "provider_share"
NO_USAGE = "no_usage"
SHARED_IDENTITY = "shared_identity"
KINDS = (RELATED_PARTY, DUPLICATE_INVOICE, HELD_MAXIMUM, PROVIDER_SHARE, NO_USAGE, SHARED_IDENTITY)
KIND_LABELS = {
    RELATED_PARTY: _l("Attempted related-party voucher use"),
    DUPLICATE_INVOICE: _l("Invoice number used twice"),
    HELD_MAXIMUM: _l("Usage always at the held maximum"),
    PROVIDER_SHARE: _l("Provider's share of programme money"),
    NO_USAGE: _l("Completed without a usage record"),
    SHARED_IDENTITY: _l("Quotas to enterprises sharing a controller, phone or address"),
}

OPEN, CLEARED, IN_CASE = "open", "cleared", "in_case"
SIGNAL_STATUSES = (OPEN, CLEARED, IN_CASE)
STATUS_LABELS = {OPEN: _l("Open"), CLEARED: _l("Cleared"), IN_CASE: _l("In a case")}
CASE_OPEN, CASE_CLOSED = "open", "closed"


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Signal(db.Model):
    """Something an officer should look at; ``fingerprint`` makes detection idempotent."""

    __tablename__ = "integrity_signals"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(30), index=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(200), unique=True)
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"),
                                                        index=True)
    organization_ids: Mapped[list] = mapped_column(sa.JSON, default=list)  # every one involved
    records: Mapped[list] = mapped_column(sa.JSON, default=list)  # [[type, id], …]
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # the figures of the explanation
    status: Mapped[str] = mapped_column(sa.String(10), default=OPEN, index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("integrity_cases.id"), index=True)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cleared_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(sa.Text)

    organization = relationship("Organization", foreign_keys=[organization_id])
    cleared_by = relationship("User", foreign_keys=[cleared_by_id])
    case = relationship("Case", foreign_keys=[case_id], back_populates="signals")

    __table_args__ = (
        sa.CheckConstraint(_in("status", SIGNAL_STATUSES), name="signal_status"),
        sa.CheckConstraint(_in("kind", KINDS), name="signal_kind"),
    )

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def status_label(self):
        return STATUS_LABELS.get(self.status, self.status)

    def snapshot(self) -> dict:
        return {"kind": self.kind, "status": self.status, "case_id": self.case_id,
                "note": self.note}


class Case(db.Model):
    """An officer's investigation of one organisation, opened from a signal (or directly)."""

    __tablename__ = "integrity_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(10), default=CASE_OPEN)
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    opened_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closing_note: Mapped[str | None] = mapped_column(sa.Text)

    organization = relationship("Organization")
    opened_by = relationship("User", foreign_keys=[opened_by_id])
    signals: Mapped[list[Signal]] = relationship(back_populates="case",
                                                 foreign_keys=[Signal.case_id],
                                                 order_by="Signal.id")

    __table_args__ = (sa.CheckConstraint(_in("status", (CASE_OPEN, CASE_CLOSED)),
                                         name="case_status"),)

    @property
    def is_open(self) -> bool:
        return self.status == CASE_OPEN

    def snapshot(self) -> dict:
        return {"organization_id": self.organization_id, "status": self.status,
                "summary": self.summary}


class VoucherFreeze(db.Model):
    """While ``lifted_at`` is empty the organisation may neither use nor be paid vouchers."""

    __tablename__ = "integrity_freezes"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("integrity_cases.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    frozen_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    frozen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lifted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization = relationship("Organization")
    case = relationship("Case")

    def snapshot(self) -> dict:
        return {"organization_id": self.organization_id, "case_id": self.case_id,
                "lifted": self.lifted_at is not None}


class Clawback(db.Model):
    """A ledger transfer reversed by a case (one claw-back per original transfer)."""

    __tablename__ = "integrity_clawbacks"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("integrity_cases.id"), index=True)
    original_transfer_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_transfers.id"),
                                                      unique=True)
    reversal_transfer_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_transfers.id"),
                                                      unique=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    original = relationship("LedgerTransfer", foreign_keys=[original_transfer_id])
    reversal = relationship("LedgerTransfer", foreign_keys=[reversal_transfer_id])

    def snapshot(self) -> dict:
        return {"case_id": self.case_id, "original_transfer_id": self.original_transfer_id,
                "reversal_transfer_id": self.reversal_transfer_id, "amount_fen": self.amount_fen}


class CreditNote(db.Model):
    """A note on an organisation's credit record; the organisation may respond once."""

    __tablename__ = "integrity_credit_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("integrity_cases.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    officer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    response_text: Mapped[str | None] = mapped_column(sa.Text)
    response_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organization = relationship("Organization")
    officer = relationship("User", foreign_keys=[officer_id])
    response_by = relationship("User", foreign_keys=[response_by_id])

    __table_args__ = (sa.CheckConstraint("(response_text IS NULL) = (response_at IS NULL)",
                                         name="response_complete"),)

    @property
    def has_response(self) -> bool:
        return self.response_at is not None

    def snapshot(self) -> dict:
        return {"organization_id": self.organization_id, "case_id": self.case_id,
                "text": self.text, "response_text": self.response_text}
