"""Ledger tables: accounts (with cached counters), transfers, and their signed entries.

Constraints here guard what a single row can guard (positive amounts, non-negative counters, the
overdraft limit, one resolution per hold, one reversal per transfer). What spans rows — zero-sum
entries, counters equal to the fold of the entries — is kept by ``operations`` and checked by
``queries.verify``. Append-only is enforced by triggers created in the migration (not visible to
SQLAlchemy): see the migration ``add the double-entry ledger``.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import UTCDateTime, db, enum_type, utcnow


class Asset(enum.StrEnum):
    VOUCHER = "VOUCHER"  # programme credit, never cash
    CNY = "CNY"  # real money


class TransferKind(enum.StrEnum):
    SINGLE = "single"  # posted at once
    PENDING = "pending"  # a hold: reserves, moves nothing yet
    POST = "post"  # resolves a hold by moving (part of) its amount
    VOID = "void"  # resolves a hold by releasing it; no entries
    REVERSAL = "reversal"  # the opposite entries of a single or post transfer


class HoldStatus(enum.StrEnum):
    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"


class LedgerAccount(db.Model):
    """One account in one asset. Codes name the owner and purpose, e.g.
    ``programme:1:layer:2:budget``, ``enterprise:5:voucher:programme:1``, ``provider:7:receivable``,
    ``clearing:stripe``, ``campaign:3:escrow``."""

    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(120), unique=True)
    asset: Mapped[Asset] = mapped_column(enum_type(Asset, "ledger_asset", 10))
    kind: Mapped[str] = mapped_column(sa.String(40))  # budget, voucher, receivable, clearing …
    allow_negative: Mapped[bool] = mapped_column(default=False)
    posted_balance: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    pending_debits: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    pending_credits: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("allow_negative OR posted_balance - pending_debits >= 0",
                           name="no_overdraft"),
        sa.CheckConstraint("pending_debits >= 0", name="pending_debits_not_negative"),
        sa.CheckConstraint("pending_credits >= 0", name="pending_credits_not_negative"),
    )

    @property
    def available(self) -> int:
        """What may still be drawn: the posted balance less the open holds drawing from it."""
        return self.posted_balance - self.pending_debits

    def __repr__(self) -> str:
        return f"<LedgerAccount {self.id} {self.code} {self.asset}>"


class LedgerTransfer(db.Model):
    """One request that moved (or reserved, or released) an amount; immutable once written,
    except a hold's ``status``."""

    __tablename__ = "ledger_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))  # sha256 of the request fields
    kind: Mapped[TransferKind] = mapped_column(enum_type(TransferKind, "ledger_transfer_kind", 10))
    status: Mapped[HoldStatus | None] = mapped_column(enum_type(HoldStatus, "ledger_hold_status", 10))
    pending_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_transfers.id"), unique=True)
    reverses_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ledger_transfers.id"), unique=True)
    asset: Mapped[Asset] = mapped_column(enum_type(Asset, "ledger_asset", 10))
    # single, pending, reversal: the amount moved (sum of the credits); post: the amount posted;
    # void: the amount released.
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    memo: Mapped[str] = mapped_column(sa.String(200), default="")
    reference_type: Mapped[str | None] = mapped_column(sa.String(40))
    reference_id: Mapped[str | None] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entries: Mapped[list[LedgerEntry]] = relationship(
        back_populates="transfer", order_by="LedgerEntry.id", passive_deletes="all")
    hold: Mapped[LedgerTransfer | None] = relationship(
        foreign_keys=[pending_id], remote_side=[id])
    reversed_transfer: Mapped[LedgerTransfer | None] = relationship(
        foreign_keys=[reverses_id], remote_side=[id])

    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint("(kind = 'pending') = (status IS NOT NULL)", name="status_only_for_holds"),
        sa.CheckConstraint("(kind IN ('post', 'void')) = (pending_id IS NOT NULL)",
                           name="pending_id_only_for_resolutions"),
        sa.CheckConstraint("(kind = 'reversal') = (reverses_id IS NOT NULL)",
                           name="reverses_id_only_for_reversals"),
        sa.CheckConstraint("(reference_type IS NULL) = (reference_id IS NULL)",
                           name="reference_complete"),
        sa.Index("ix_ledger_transfers_reference", "reference_type", "reference_id"),
    )

    @property
    def reference(self) -> tuple[str, str] | None:
        if self.reference_type is None:
            return None
        return self.reference_type, self.reference_id

    def __repr__(self) -> str:
        return f"<LedgerTransfer {self.id} {self.kind} {self.amount} {self.asset}>"


class LedgerEntry(db.Model):
    """One signed leg of a transfer: negative debits the account, positive credits it. Entries of a
    hold are ``pending``: they count in the pending counters while the hold is open, never in the
    posted balance."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_transfers.id"))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    pending: Mapped[bool] = mapped_column(default=False)

    transfer: Mapped[LedgerTransfer] = relationship(back_populates="entries")
    account: Mapped[LedgerAccount] = relationship()

    __table_args__ = (
        sa.CheckConstraint("amount <> 0", name="amount_not_zero"),
        # one leg per account and transfer; also the index for "entries of a transfer"
        sa.UniqueConstraint("transfer_id", "account_id"),
    )

    def __repr__(self) -> str:
        return f"<LedgerEntry {self.id} t{self.transfer_id} a{self.account_id} {self.amount:+d}>"
