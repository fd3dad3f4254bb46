"""Conversations between two organisations about one listing (a need is a listing too).

A conversation has two sides: the listing's organisation and one other organisation; the pair
and the listing are unique. Every member of either side is a participant; nobody else sees it,
except officers once it has been reported. A side may block the conversation: the other side can
no longer post until the blocking side unblocks. Each user has a last-read marker per
conversation (the id of the newest message they have seen); what lies beyond it, written by
someone else, is unread.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.errors import ConflictError, NotAllowedError
from marketplace.extensions import UTCDateTime, db, utcnow

MAX_BODY = 5000
MAX_REPORT_REASON = 2000
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


class Conversation(db.Model):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    # kept (without its listing) if an archived listing is deleted: the messages are the two
    # organisations' record
    listing_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("listings.id", ondelete="SET NULL"), index=True)
    listing_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    other_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # a block: the side that blocked; the other side cannot post while it stands
    blocked_by_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    blocked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    listing = relationship("Listing")
    listing_org = relationship("Organization", foreign_keys=[listing_org_id], lazy="joined")
    other_org = relationship("Organization", foreign_keys=[other_org_id], lazy="joined")
    messages: Mapped[list[Message]] = relationship(back_populates="conversation",
                                                   order_by="Message.id")
    reports: Mapped[list[ConversationReport]] = relationship(back_populates="conversation",
                                                             order_by="ConversationReport.id")

    __table_args__ = (
        sa.UniqueConstraint("listing_id", "other_org_id"),
        sa.CheckConstraint("listing_org_id <> other_org_id", name="two_sides"),
        sa.CheckConstraint("blocked_by_org_id IS NULL OR blocked_by_org_id = listing_org_id "
                           "OR blocked_by_org_id = other_org_id", name="blocked_by_a_side"),
    )

    # --- sides ----------------------------------------------------------------------------------
    @property
    def organizations(self):
        return (self.listing_org, self.other_org)

    def side_of(self, user):
        """The user's organisation in this conversation (the listing's side first), or None."""
        for organization in self.organizations:
            if organization.is_member(user):
                return organization
        return None

    def other_side(self, organization):
        return self.other_org if organization.id == self.listing_org_id else self.listing_org

    def is_participant(self, user) -> bool:
        return self.side_of(user) is not None

    @property
    def is_reported(self) -> bool:
        return bool(self.reports)

    def can_view(self, user) -> bool:
        """Participants; officers only once it has been reported."""
        if self.is_participant(user):
            return True
        return bool(user and user.is_authenticated and user.is_officer and self.is_reported)

    # --- blocking -------------------------------------------------------------------------------
    @property
    def is_blocked(self) -> bool:
        return self.blocked_by_org_id is not None

    def can_post(self, user) -> bool:
        side = self.side_of(user)
        return side is not None and (self.blocked_by_org_id in (None, side.id))

    def can_block(self, user) -> bool:
        return self.is_participant(user) and not self.is_blocked

    def can_unblock(self, user) -> bool:
        side = self.side_of(user)
        return side is not None and self.blocked_by_org_id == side.id

    def block(self, user, now: datetime) -> None:
        side = self.side_of(user)
        if side is None:
            raise NotAllowedError(_l("Only the two organisations in a conversation can block it."))
        if self.is_blocked:
            raise ConflictError(_l("This conversation is already blocked."))
        self.blocked_by_org_id, self.blocked_by_id, self.blocked_at = side.id, user.id, now

    def unblock(self, user) -> None:
        if not self.can_unblock(user):
            raise NotAllowedError(_l("Only the organisation that blocked this conversation can "
                                     "unblock it."))
        self.blocked_by_org_id = self.blocked_by_id = self.blocked_at = None

    def __repr__(self) -> str:
        return f"<Conversation {self.id} l{self.listing_id} o{self.listing_org_id}-{self.other_org_id}>"


class Message(db.Model):
    """A line in a conversation: a member's message, or a system notice (no author)."""

    __tablename__ = "conversation_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    author_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    is_notice: Mapped[bool] = mapped_column(default=False)
    # notices the platform writes itself are shown in the reader's language: the code names
    # the sentence, ``body`` holds its one value (an organisation's name)
    notice_code: Mapped[str | None] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    conversation = relationship("Conversation", back_populates="messages")
    author = relationship("User")
    author_org = relationship("Organization")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="message",
                                                         order_by="Attachment.id")

    __table_args__ = (
        sa.CheckConstraint("is_notice OR (author_id IS NOT NULL AND author_org_id IS NOT NULL)",
                           name="author_unless_notice"),
    )

    @property
    def text(self) -> str:
        """What the reader sees: a coded notice in the reader's language, else the body."""
        if self.notice_code in NOTICES:
            return str(NOTICES[self.notice_code]) % {"org": self.body}
        return self.body


NOTICES = {
    "blocked": _l("%(org)s blocked this conversation."),
    "unblocked": _l("%(org)s unblocked this conversation."),
}


class Attachment(db.Model):
    """A file sent with a message, stored outside the web root under a generated name."""

    __tablename__ = "conversation_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversation_messages.id", ondelete="CASCADE"), index=True)
    storage_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size_bytes: Mapped[int]

    message = relationship("Message", back_populates="attachments")

    __table_args__ = (sa.CheckConstraint("size_bytes > 0", name="size_positive"),)


class ConversationRead(db.Model):
    """How far one user has read one conversation."""

    __tablename__ = "conversation_reads"

    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True, index=True)
    last_read_message_id: Mapped[int] = mapped_column(default=0)


class ConversationReport(db.Model):
    """A participant's report of a conversation to the programme office."""

    __tablename__ = "conversation_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reporter_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    handled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    conversation = relationship("Conversation", back_populates="reports")
    reporter = relationship("User", foreign_keys=[reporter_id])
    reporter_org = relationship("Organization")

    @property
    def is_open(self) -> bool:
        return self.handled_at is None

    def handle(self, officer, now: datetime) -> None:
        if not self.is_open:
            raise ConflictError(_l("This report has already been handled."))
        self.handled_at, self.handled_by_id = now, officer.id
