"""Campaign life cycle, expertise offers, resource pledges, updates and questions (step 4).

A campaign listing (``listings.models.Campaign``) gets one ``CampaignRun``: its life cycle
draft → submitted → approved (or sent back to draft with reasons) → live → succeeded | failed.
Only a live or closed campaign is published (in the catalogue and search); the goals (money,
expertise, resources, rewards) change only while it is a draft. Resource pledges of instrument
hours become ``PledgedHours`` grants when the campaign succeeds: the maker's organisation books
those hours of that instrument at no charge; ``PledgedHoursUse`` records which booking used
how many minutes (returned when the booking is rejected or cancelled).
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from marketplace.errors import InvalidStateError
from marketplace.extensions import UTCDateTime, db, enum_type, utcnow

MIN_DAYS, MAX_DAYS = 1, 60


class CampaignState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    LIVE = "live"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def label(self):
        return STATE_LABELS[self]


STATE_LABELS = {
    CampaignState.DRAFT: _l("Draft"),
    CampaignState.SUBMITTED: _l("Awaiting review"),
    CampaignState.APPROVED: _l("Approved, not yet live"),
    CampaignState.LIVE: _l("Live"),
    CampaignState.SUCCEEDED: _l("Succeeded"),
    CampaignState.FAILED: _l("Did not reach its goals"),
}
CLOSED = (CampaignState.SUCCEEDED, CampaignState.FAILED)
VISIBLE = (CampaignState.LIVE, *CLOSED)  # the states in which the campaign is published


class CampaignRun(db.Model):
    """The life cycle of one campaign (1:1 with ``campaigns``)."""

    __tablename__ = "campaign_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), unique=True)
    state: Mapped[CampaignState] = mapped_column(
        enum_type(CampaignState, "campaign_state", 10), default=CampaignState.DRAFT, index=True)
    duration_days: Mapped[int | None]
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str | None] = mapped_column(sa.Text)  # the reasons it was sent back
    went_live_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    money_raised_fen: Mapped[int | None] = mapped_column(sa.BigInteger)  # at the close
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    campaign = relationship("Campaign", backref=backref("run", uselist=False, lazy="joined"))

    __table_args__ = (
        sa.CheckConstraint(f"duration_days IS NULL OR duration_days BETWEEN {MIN_DAYS} "
                           f"AND {MAX_DAYS}", name="duration"),
        sa.CheckConstraint(
            "(state IN ('live', 'succeeded', 'failed')) = (went_live_at IS NOT NULL)",
            name="live_since"),
        sa.CheckConstraint("(state IN ('succeeded', 'failed')) = (closed_at IS NOT NULL)",
                           name="closed_when"),
    )

    @property
    def is_live(self) -> bool:
        return self.state == CampaignState.LIVE

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED

    @property
    def goals_locked(self) -> bool:
        return self.state != CampaignState.DRAFT

    def _require(self, *states: CampaignState) -> None:
        if self.state not in states:
            raise InvalidStateError(_l("This campaign is %(state)s; that is not possible now.",
                                       state=self.state.label))

    def submit(self, by, duration_days: int, now: datetime) -> None:
        self._require(CampaignState.DRAFT)
        self.state = CampaignState.SUBMITTED
        self.duration_days = duration_days
        self.submitted_by_id, self.submitted_at = by.id, now

    def approve(self, by, now: datetime) -> None:
        self._require(CampaignState.SUBMITTED)
        self.state = CampaignState.APPROVED
        self.reviewed_by_id, self.reviewed_at, self.review_note = by.id, now, None

    def send_back(self, by, reasons: str, now: datetime) -> None:
        self._require(CampaignState.SUBMITTED)
        self.state = CampaignState.DRAFT
        self.reviewed_by_id, self.reviewed_at, self.review_note = by.id, now, reasons

    def go_live(self, now: datetime) -> None:
        self._require(CampaignState.APPROVED)
        self.state = CampaignState.LIVE
        self.went_live_at = now

    def close(self, succeeded: bool, money_raised_fen: int, now: datetime) -> None:
        self._require(CampaignState.LIVE)
        self.state = CampaignState.SUCCEEDED if succeeded else CampaignState.FAILED
        self.closed_at, self.money_raised_fen = now, money_raised_fen

    def snapshot(self) -> dict:
        return {"state": str(self.state), "duration_days": self.duration_days,
                "money_raised_fen": self.money_raised_fen}


class ContributionState(enum.StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"

    @property
    def label(self):
        return {ContributionState.OFFERED: _l("Awaiting the maker"),
                ContributionState.ACCEPTED: _l("Accepted"),
                ContributionState.DECLINED: _l("Declined")}[self]


class _Contribution:
    """What expertise offers and resource pledges share: who offers, the maker's decision."""

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[ContributionState] = mapped_column(
        enum_type(ContributionState, "contribution_state", 10), default=ContributionState.OFFERED)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_open(self) -> bool:
        return self.state == ContributionState.OFFERED

    def can_decide(self, user) -> bool:
        return self.is_open and self.campaign.can_edit(user) and bool(
            self.campaign.run and self.campaign.run.is_live)

    def accept(self, by, now: datetime) -> None:
        if not self.is_open:
            raise InvalidStateError(_l("This offer has already been answered."))
        self.state, self.decided_by_id, self.decided_at = ContributionState.ACCEPTED, by.id, now

    def decline(self, by, reason: str, now: datetime) -> None:
        if not self.is_open:
            raise InvalidStateError(_l("This offer has already been answered."))
        self.state, self.decided_by_id, self.decided_at = ContributionState.DECLINED, by.id, now
        self.decline_reason = reason

    @property
    def giver_name(self) -> str:
        if self.organization is not None:
            return self.organization.name_zh
        return self.user.display_name if self.user else ""


class ExpertiseOffer(_Contribution, db.Model):
    """筹智慧: someone offers hours of a skill, for an organisation or as a person."""

    __tablename__ = "campaign_expertise_offers"

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
                                             index=True)
    need_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaign_expertise_needs.id", ondelete="SET NULL"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    skill: Mapped[str] = mapped_column(sa.String(200))
    hours: Mapped[int]

    campaign = relationship("Campaign")
    need = relationship("ExpertiseNeed")
    user = relationship("User", foreign_keys=[user_id])
    organization = relationship("Organization")

    __table_args__ = (sa.CheckConstraint("hours BETWEEN 1 AND 2000", name="hours"),)


class ResourceKind(enum.StrEnum):
    EQUIPMENT = "equipment"
    SPACE = "space"
    MATERIALS = "materials"
    INSTRUMENT_HOURS = "instrument_hours"

    @property
    def label(self):
        return {ResourceKind.EQUIPMENT: _l("Equipment"), ResourceKind.SPACE: _l("Space"),
                ResourceKind.MATERIALS: _l("Materials"),
                ResourceKind.INSTRUMENT_HOURS: _l("Instrument hours")}[self]


class ResourcePledge(_Contribution, db.Model):
    """筹资源: equipment, space, materials or instrument hours, optionally a listing the
    pledger's organisation owns."""

    __tablename__ = "campaign_resource_pledges"

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
                                             index=True)
    need_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaign_resource_needs.id", ondelete="SET NULL"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[ResourceKind] = mapped_column(enum_type(ResourceKind, "resource_kind", 20))
    description: Mapped[str] = mapped_column(sa.String(500))
    quantity: Mapped[int] = mapped_column(default=1)
    hours: Mapped[int | None]  # instrument hours
    listing_id: Mapped[int | None] = mapped_column(sa.ForeignKey("listings.id"))

    campaign = relationship("Campaign", foreign_keys=[campaign_id])
    need = relationship("ResourceNeed")
    user = relationship("User", foreign_keys=[user_id])
    organization = relationship("Organization")
    listing = relationship("Listing", foreign_keys=[listing_id])

    __table_args__ = (
        sa.CheckConstraint("quantity BETWEEN 1 AND 100000", name="quantity"),
        sa.CheckConstraint("(kind = 'instrument_hours') = (hours IS NOT NULL)", name="hours_iff"),
        sa.CheckConstraint("hours IS NULL OR hours BETWEEN 1 AND 2000", name="hours_range"),
        sa.CheckConstraint("listing_id IS NULL OR organization_id IS NOT NULL",
                           name="listing_needs_organization"),
    )


class CampaignUpdate(db.Model):
    """News the maker posts; mailed to the backers."""

    __tablename__ = "campaign_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
                                             index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author = relationship("User")


class CampaignQuestion(db.Model):
    """A question anyone signed in asks; the maker answers it once."""

    __tablename__ = "campaign_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"),
                                             index=True)
    asked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    question: Mapped[str] = mapped_column(sa.Text)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign = relationship("Campaign")
    asked_by = relationship("User", foreign_keys=[asked_by_id])


class PledgedHours(db.Model):
    """Free hours of an instrument for the maker's organisation, from an accepted pledge of a
    campaign that succeeded. ``minutes_used`` moves only with a booking, under this row's lock."""

    __tablename__ = "pledged_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    resource_pledge_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaign_resource_pledges.id"), unique=True)
    instrument_id: Mapped[int] = mapped_column(sa.ForeignKey("instruments.id"), index=True)
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    minutes_granted: Mapped[int]
    minutes_used: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    campaign = relationship("Campaign", foreign_keys=[campaign_id])
    instrument = relationship("Instrument")
    organization = relationship("Organization")

    __table_args__ = (
        sa.CheckConstraint("minutes_granted > 0 AND minutes_used >= 0 "
                           "AND minutes_used <= minutes_granted", name="within_grant"),
    )

    @property
    def minutes_left(self) -> int:
        return self.minutes_granted - self.minutes_used


class PledgedHoursUse(db.Model):
    """The minutes of a grant one booking uses (returned when the booking is not held)."""

    __tablename__ = "pledged_hours_uses"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(sa.ForeignKey("pledged_hours.id"), index=True)
    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("bookings.id"), unique=True)
    minutes: Mapped[int]
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    grant = relationship("PledgedHours")

    __table_args__ = (sa.CheckConstraint("minutes > 0", name="minutes_positive"),)
