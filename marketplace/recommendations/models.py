"""What the recommender learns from that no other table records: listing views (one row per
organisation, listing and Beijing day), "not relevant" feedback, and the weekly digests sent."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import UTCDateTime, db, utcnow


class ListingView(db.Model):
    """How often members of an organisation opened a listing's page on one Asia/Shanghai day."""

    __tablename__ = "listing_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"),
                                            index=True)
    viewed_on: Mapped[date]
    views: Mapped[int] = mapped_column(default=1)

    __table_args__ = (sa.UniqueConstraint("organization_id", "listing_id", "viewed_on"),
                      sa.CheckConstraint("views > 0", name="views_positive"))


class NotRelevant(db.Model):
    """An organisation said a recommended listing is not for it (a negative training label; the
    listing is never recommended to it again)."""

    __tablename__ = "not_relevant_listings"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    listing_id: Mapped[int] = mapped_column(sa.ForeignKey("listings.id", ondelete="CASCADE"),
                                            index=True)
    reason: Mapped[str] = mapped_column(sa.String(20))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    listing = relationship("Listing")

    __table_args__ = (sa.UniqueConstraint("organization_id", "listing_id"),)


class DigestSent(db.Model):
    """The weekly recommendation digest went to this organisation for this ISO week."""

    __tablename__ = "recommendation_digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    iso_week: Mapped[str] = mapped_column(sa.String(8))  # "2026-W49"
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (sa.UniqueConstraint("organization_id", "iso_week"),)
