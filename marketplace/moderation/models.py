"""Models of marketplace.moderation (step 7): a take-down of a listing (any kind, campaigns
included) or a review, with its one appeal and the officer's decision.

A take-down is ``active`` until an officer decides the appeal (or reconsiders on their own):
``upheld`` keeps the item hidden for good, ``restored`` returns it to what it was
(``previous_status``). At most one active take-down per object (a partial unique index would
differ between the two databases, so the operation checks it under the writer lock).
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.extensions import UTCDateTime, db, enum_type, utcnow

MAX_REASON = 2000
MAX_APPEAL = 4000


class TakedownObject(enum.StrEnum):
    LISTING = "listing"
    REVIEW = "review"

    @property
    def label(self):
        return {TakedownObject.LISTING: _l("Listing"), TakedownObject.REVIEW: _l("Review")}[self]


class TakedownStatus(enum.StrEnum):
    ACTIVE = "active"
    UPHELD = "upheld"
    RESTORED = "restored"

    @property
    def label(self):
        return {TakedownStatus.ACTIVE: _l("Taken down"),
                TakedownStatus.UPHELD: _l("Take-down upheld"),
                TakedownStatus.RESTORED: _l("Restored")}[self]


class Takedown(db.Model):
    __tablename__ = "moderation_takedowns"

    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[TakedownObject] = mapped_column(
        enum_type(TakedownObject, "takedown_object", 10))
    object_id: Mapped[int]
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    officer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[TakedownStatus] = mapped_column(
        enum_type(TakedownStatus, "takedown_status", 10), default=TakedownStatus.ACTIVE,
        index=True)
    previous_status: Mapped[str | None] = mapped_column(sa.String(20))
    closed_campaign: Mapped[bool] = mapped_column(default=False)
    appeal_text: Mapped[str | None] = mapped_column(sa.Text)
    appealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    appealed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decision_note: Mapped[str | None] = mapped_column(sa.Text)

    organization = relationship("Organization", lazy="joined")
    officer = relationship("User", foreign_keys=[officer_id])
    appealed_by = relationship("User", foreign_keys=[appealed_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __table_args__ = (
        sa.Index("ix_moderation_takedowns_object", "object_type", "object_id"),
        sa.CheckConstraint("(appealed_at IS NULL) = (appeal_text IS NULL)", name="appeal_whole"),
        sa.CheckConstraint("(status = 'active') = (decided_at IS NULL)", name="decided_when"),
    )

    @property
    def is_active(self) -> bool:
        return self.status == TakedownStatus.ACTIVE

    @property
    def has_appeal(self) -> bool:
        return self.appealed_at is not None

    @property
    def appeal_pending(self) -> bool:
        return self.is_active and self.has_appeal

    def can_appeal(self, user) -> bool:
        """One appeal, by a member of the owner's organisation, while the take-down stands."""
        return bool(user and user.is_authenticated and self.is_active and not self.has_appeal
                    and self.organization is not None and self.organization.is_member(user))

    def can_see(self, user) -> bool:
        return bool(user and user.is_authenticated and (
            user.is_officer or (self.organization is not None
                                and self.organization.is_member(user))))
