"""Models of marketplace.statistics (step 7): what the recommendation panels showed and what was
clicked, for the click-through and conversion figures of the officers' dashboard."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import UTCDateTime, db


class RecommendationImpression(db.Model):
    """One organisation, one recommended listing, one panel, one Asia/Shanghai day: how often the
    panel showed it and how often a member followed its link (``?via=rec``). A click on a later
    day than the impression gets a row of its own with no impressions. Counters are written by
    upserts (INSERT … ON CONFLICT DO UPDATE), so concurrent requests never lose a count."""

    __tablename__ = "recommendation_impressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"),
                                            index=True)
    panel: Mapped[str] = mapped_column(sa.String(20))  # "dashboard" | "need" | "" (a click)
    shown_on: Mapped[date] = mapped_column(index=True)
    impressions: Mapped[int] = mapped_column(default=0)
    clicks: Mapped[int] = mapped_column(default=0)
    first_clicked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.UniqueConstraint("organization_id", "listing_id", "panel", "shown_on",
                            name="uq_recommendation_impressions_day"),
        sa.CheckConstraint("impressions >= 0 AND clicks >= 0", name="counts"),
    )
