"""Money pledges (筹资金) and matchfunding (step 4).

A pledge's life: pending (its payment is not in yet) → paid (the money is in the campaign's
escrow) → released (the campaign succeeded: escrow went to the maker) or refund_pending (the
campaign failed: escrow went to refunds-due) → refunded (the payer has the money back). A pending
pledge whose payment is cancelled or fails is cancelled. A pending or paid pledge for a limited
reward tier holds one unit of it. Money is integer fen; times are timezone-aware UTC.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.errors import InvalidStateError
from marketplace.extensions import UTCDateTime, db, enum_type, utcnow


class PledgeStatus(enum.StrEnum):
    PENDING = "pending"
    PAID = "paid"
    RELEASED = "released"
    REFUND_PENDING = "refund_pending"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"

    @property
    def label(self):
        return STATUS_LABELS[self]


STATUS_LABELS = {
    PledgeStatus.PENDING: _l("Awaiting payment"),
    PledgeStatus.PAID: _l("Paid, held in escrow"),
    PledgeStatus.RELEASED: _l("Paid to the maker"),
    PledgeStatus.REFUND_PENDING: _l("Being refunded"),
    PledgeStatus.REFUNDED: _l("Refunded"),
    PledgeStatus.CANCELLED: _l("Cancelled"),
}

# pledges that take a unit of a limited reward tier
HOLDING_UNIT = (PledgeStatus.PENDING, PledgeStatus.PAID, PledgeStatus.RELEASED)
# pledges whose money reached the campaign (counted as raised)
RAISED = (PledgeStatus.PAID, PledgeStatus.RELEASED)


class Pledge(db.Model):
    __tablename__ = "campaign_pledges"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    backer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    tier_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaign_reward_tiers.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    is_anonymous: Mapped[bool] = mapped_column(default=False)
    method: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[PledgeStatus] = mapped_column(
        enum_type(PledgeStatus, "pledge_status", 16), default=PledgeStatus.PENDING, index=True)
    payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payments.id"), unique=True)
    # the one-time key of the pledge form: the same form sent twice finds this pledge
    request_key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # matchfunding: what a programme added to this pledge (moved when the pledge was paid)
    match_fund_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaign_match_funds.id"))
    matched_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # released/refunded/cancelled

    campaign = relationship("Campaign")
    backer = relationship("User", foreign_keys=[backer_id])
    organization = relationship("Organization")
    tier = relationship("RewardTier")
    match_fund = relationship("MatchFund")

    __table_args__ = (
        sa.CheckConstraint("amount_fen > 0", name="amount"),
        sa.CheckConstraint("matched_fen >= 0 AND matched_fen <= amount_fen", name="matched"),
    )

    # --- predicates -------------------------------------------------------------------------
    @property
    def is_raised(self) -> bool:
        return self.status in RAISED

    def can_view(self, user) -> bool:
        """The backer, members of the campaign's organisation, officers."""
        if user is None or not user.is_authenticated:
            return False
        return (user.id == self.backer_id or user.is_officer
                or self.campaign.organization.is_member(user))

    def public_name(self, language: str = "zh") -> str:
        if self.is_anonymous:
            return str(_l("Anonymous backer"))
        if self.organization is not None:
            return self.organization.name_zh
        return self.backer.display_name

    # --- transitions (the operations call these in the transaction that moves the money) -----
    def _move(self, allowed: tuple, to: PledgeStatus, now: datetime) -> None:
        if self.status not in allowed:
            raise InvalidStateError(_l("This pledge is %(status)s.", status=self.status.label))
        self.status = to
        if to == PledgeStatus.PAID:
            self.paid_at = now
        else:
            self.closed_at = now

    def mark_paid(self, now: datetime) -> None:
        self._move((PledgeStatus.PENDING,), PledgeStatus.PAID, now)

    def release(self, now: datetime) -> None:
        self._move((PledgeStatus.PAID,), PledgeStatus.RELEASED, now)

    def start_refund(self, now: datetime) -> None:
        self._move((PledgeStatus.PAID,), PledgeStatus.REFUND_PENDING, now)

    def mark_refunded(self, now: datetime) -> None:
        self._move((PledgeStatus.REFUND_PENDING,), PledgeStatus.REFUNDED, now)

    def cancel(self, now: datetime) -> None:
        self._move((PledgeStatus.PENDING,), PledgeStatus.CANCELLED, now)

    def refund_late(self, now: datetime) -> None:
        """Money arrived for a cancelled pledge: it goes back at once."""
        self._move((PledgeStatus.CANCELLED,), PledgeStatus.REFUND_PENDING, now)

    def snapshot(self) -> dict:
        return {"status": str(self.status), "amount_fen": self.amount_fen,
                "tier_id": self.tier_id, "payment_id": self.payment_id,
                "matched_fen": self.matched_fen}

    def __repr__(self) -> str:
        return f"<Pledge {self.id} campaign={self.campaign_id} {self.amount_fen} {self.status}>"


class MatchFund(db.Model):
    """A programme matches the money pledges of one campaign 1:1, up to ``cap_fen`` in all, from
    its 双创 fund (ledger ``programme:<id>:match-fund`` → ``campaign:<id>:match-escrow``)."""

    __tablename__ = "campaign_match_funds"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("voucher_programmes.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), unique=True)
    cap_fen: Mapped[int] = mapped_column(sa.BigInteger)
    matched_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # moved so far
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    programme = relationship("VoucherProgramme")
    campaign = relationship("Campaign")

    __table_args__ = (
        sa.CheckConstraint("cap_fen > 0", name="cap"),
        sa.CheckConstraint("matched_fen >= 0 AND matched_fen <= cap_fen", name="within_cap"),
    )

    @property
    def left_fen(self) -> int:
        return self.cap_fen - self.matched_fen
