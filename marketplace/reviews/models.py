"""Reviews after a completed deal, and reports of them.

A deal is a booking (completed or settled), a licence agreement in force, or a lease that is
active or ended; it joins two organisations about one listing. Each side's organisation may
review the other once per deal (unique deal kind + deal + author organisation), 1–5 stars with
an optional text. A review can be reported; an officer hides it or dismisses the reports.
Hidden reviews count nowhere.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import UTCDateTime, db, enum_type, utcnow

MAX_TEXT = 2000
MAX_REASON = 2000


class DealKind(enum.StrEnum):
    BOOKING = "booking"
    LICENCE = "licence"
    LEASE = "lease"

    @property
    def label(self):
        return {DealKind.BOOKING: _l("Instrument booking"), DealKind.LICENCE: _l("Licence"),
                DealKind.LEASE: _l("Lease")}[self]


class ReportOutcome(enum.StrEnum):
    HIDDEN = "hidden"
    DISMISSED = "dismissed"


class Review(db.Model):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_kind: Mapped[DealKind] = mapped_column(enum_type(DealKind, "review_deal_kind", 10))
    deal_id: Mapped[int]
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id"), index=True)
    author_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    subject_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    stars: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    listing = relationship("Listing")
    author_org = relationship("Organization", foreign_keys=[author_org_id], lazy="joined")
    subject_org = relationship("Organization", foreign_keys=[subject_org_id], lazy="joined")
    author = relationship("User", foreign_keys=[author_id])
    reports: Mapped[list[ReviewReport]] = relationship(back_populates="review",
                                                       order_by="ReviewReport.id")

    __table_args__ = (
        sa.UniqueConstraint("deal_kind", "deal_id", "author_org_id"),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name="stars"),
        sa.CheckConstraint("author_org_id <> subject_org_id", name="two_sides"),
    )

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def open_reports(self) -> list[ReviewReport]:
        return [r for r in self.reports if r.is_open]

    def can_report(self, user) -> bool:
        return bool(user and user.is_authenticated) and not self.is_hidden

    def hide(self, officer, now: datetime) -> None:
        self.hidden_at, self.hidden_by_id = now, officer.id


class ReviewReport(db.Model):
    """Someone's report of a review (one per user and review)."""

    __tablename__ = "review_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"),
                                           index=True)
    reporter_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    outcome: Mapped[ReportOutcome | None] = mapped_column(
        enum_type(ReportOutcome, "review_report_outcome", 10))

    review = relationship("Review", back_populates="reports")
    reporter = relationship("User", foreign_keys=[reporter_id])

    __table_args__ = (
        sa.UniqueConstraint("review_id", "reporter_id"),
        sa.CheckConstraint("(handled_at IS NULL) = (outcome IS NULL)", name="outcome_when_handled"),
    )

    @property
    def is_open(self) -> bool:
        return self.handled_at is None

    def close(self, officer, outcome: ReportOutcome, now: datetime) -> None:
        self.handled_at, self.handled_by_id, self.outcome = now, officer.id, outcome
