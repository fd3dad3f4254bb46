"""Proposals answering an enterprise's need (技术需求); see the package docstring.

A proposal is made by one provider organisation (verified, not the need's own) and links one or
more of that organisation's published listings. While it is open (submitted or shortlisted) it is
the only open proposal of that organisation on that need (a partial unique index). It ends
declined (by the need's owner, with a ``DeclineReason``), withdrawn (by the provider), chosen
(the need was solved with it) or closed (the need was solved with another one, or closed).
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.errors import InvalidStateError
from marketplace.extensions import UTCDateTime, db, enum_type, utcnow
from marketplace.feedback import MAX_FEEDBACK_NOTE, DeclineReason

MAX_MESSAGE = 4000


class ProposalStatus(enum.StrEnum):
    SUBMITTED = "submitted"
    SHORTLISTED = "shortlisted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    CHOSEN = "chosen"
    CLOSED = "closed"  # the need was solved with another proposal, or closed without one

    @property
    def label(self):
        return PROPOSAL_STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


PROPOSAL_STATUS_LABELS = {
    ProposalStatus.SUBMITTED: _l("Awaiting an answer"),
    ProposalStatus.SHORTLISTED: _l("Shortlisted"),
    ProposalStatus.DECLINED: _l("Declined"),
    ProposalStatus.WITHDRAWN: _l("Withdrawn"),
    ProposalStatus.CHOSEN: _l("Chosen"),
    ProposalStatus.CLOSED: _l("Closed with the need"),
}
OPEN_STATUSES = (ProposalStatus.SUBMITTED, ProposalStatus.SHORTLISTED)

need_proposal_listings = sa.Table(
    "need_proposal_listings", db.metadata,
    sa.Column("proposal_id", sa.ForeignKey("need_proposals.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("listing_id", sa.ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True,
              index=True),
)


class NeedProposal(db.Model):
    """A provider's answer to a need, linking its listings."""

    __tablename__ = "need_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"),
                                         index=True)
    provider_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(sa.Text, default="")
    price_fen: Mapped[int | None] = mapped_column(sa.BigInteger)  # None = to be agreed
    status: Mapped[ProposalStatus] = mapped_column(
        enum_type(ProposalStatus, "proposal_status", 12), default=ProposalStatus.SUBMITTED,
        index=True)
    decline_reason: Mapped[DeclineReason | None] = mapped_column(
        enum_type(DeclineReason, "decline_reason", 20))
    decline_note: Mapped[str | None] = mapped_column(sa.String(MAX_FEEDBACK_NOTE))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # left the open states

    need = relationship("Need")
    provider = relationship("Organization", foreign_keys=[provider_org_id], lazy="joined")
    author = relationship("User", foreign_keys=[author_id])
    listings = relationship("Listing", secondary=need_proposal_listings, order_by="Listing.id")

    __table_args__ = (
        sa.CheckConstraint("price_fen IS NULL OR price_fen >= 0", name="price"),
        sa.CheckConstraint("(status = 'declined') = (decline_reason IS NOT NULL)",
                           name="decline_reason_iff_declined"),
        # one open proposal per provider organisation and need
        sa.Index("uq_need_proposals_open", "need_id", "provider_org_id", unique=True,
                 sqlite_where=sa.text("status IN ('submitted', 'shortlisted')"),
                 postgresql_where=sa.text("status IN ('submitted', 'shortlisted')")),
    )

    # --- predicates ----------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_provider(self, user) -> bool:
        return self.provider is not None and self.provider.is_member(user)

    def can_manage(self, user) -> bool:
        """The need's owner shortlists, declines and chooses."""
        return self.need is not None and self.need.can_edit(user)

    def can_view(self, user) -> bool:
        return bool(self.can_manage(user) or self.is_provider(user)
                    or (user and user.is_authenticated and user.is_officer))

    def can_withdraw(self, user) -> bool:
        return self.is_open and self.is_provider(user)

    # --- transitions ---------------------------------------------------------------------------
    def _leave_open(self, status: ProposalStatus, now: datetime) -> None:
        if not self.is_open:
            raise InvalidStateError(_l("This proposal is no longer open."))
        self.status = status
        self.decided_at = now

    def shortlist(self) -> None:
        if self.status == ProposalStatus.SHORTLISTED:
            return
        if self.status != ProposalStatus.SUBMITTED:
            raise InvalidStateError(_l("This proposal is no longer open."))
        self.status = ProposalStatus.SHORTLISTED

    def decline(self, reason: DeclineReason, note: str | None, now: datetime) -> None:
        self._leave_open(ProposalStatus.DECLINED, now)
        self.decline_reason = reason
        self.decline_note = note or None

    def withdraw(self, now: datetime) -> None:
        self._leave_open(ProposalStatus.WITHDRAWN, now)

    def choose(self, now: datetime) -> None:
        self._leave_open(ProposalStatus.CHOSEN, now)

    def close(self, now: datetime) -> None:
        self._leave_open(ProposalStatus.CLOSED, now)
