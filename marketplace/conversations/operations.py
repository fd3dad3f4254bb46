"""Conversation operations. Invariants:

- a conversation joins the listing's organisation and one other, verified organisation, about
  one published listing; the same pair and listing always give the same conversation (a unique
  constraint; a concurrent second opening finds the first);
- only members of the two sides post, and not the blocked side; notices have no author;
- a user's last-read marker only moves forward; posting marks one's own message read;
- a new message mails the other side's members who had nothing unread in that conversation
  (one mail per unread stretch, not one per message);
- attachments are PDF, PNG, JPEG, DOCX or XLSX judged by their bytes, at most 10 MB each,
  stored under the instance folder with a generated name.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.conversations.models import (
    MAX_ATTACHMENT_BYTES,
    MAX_BODY,
    MAX_REPORT_REASON,
    Attachment,
    Conversation,
    ConversationRead,
    ConversationReport,
    Message,
)
from marketplace.errors import ConflictError, DomainError, NotAllowedError, NotFoundError
from marketplace.extensions import utcnow
from marketplace.mail import send_mail
from marketplace.organizations.models import Membership
from marketplace.post_commit import after_rollback
from marketplace.transactions import begin_write
from marketplace.uploads import sniff_document
from marketplace.urls import external_url

log = logging.getLogger(__name__)

MAX_ATTACHMENTS = 5


# ---------------------------------------------------------------------------------------------
# opening
def _verified_memberships(user):
    return [m.organization for m in user.memberships if m.organization.is_verified]


def open_conversation(session: Session, user, *, listing, with_organization=None,
                      acting_organization=None) -> Conversation:
    """The conversation between the listing's organisation and the other side (made once)."""
    if not (user and user.is_authenticated):
        raise NotAllowedError(_l("Please sign in first."))
    if not listing.is_published or not listing.can_view(user):
        raise NotFoundError(_l("This listing is not open for conversations."))
    listing_org = listing.organization
    if listing_org.is_member(user):
        other = with_organization
        if other is None:
            raise DomainError(_l("Choose the organisation to talk to."), "with_organization_id")
        if other.id == listing_org.id:
            raise DomainError(_l("An organisation cannot open a conversation with itself."),
                              "with_organization_id")
        if not other.is_verified:
            raise DomainError(_l("That organisation is not verified."), "with_organization_id")
    else:
        other = acting_organization
        if other is None:
            verified = _verified_memberships(user)
            if not verified:
                raise NotAllowedError(_l("Only members of a verified organisation can start a "
                                         "conversation."))
            if len(verified) > 1:
                raise DomainError(_l("Choose which of your organisations is asking."),
                                  "acting_organization_id")
            other = verified[0]
        if not other.is_member(user):
            raise NotAllowedError(_l("You are not a member of that organisation."))
        if not other.is_verified:
            raise NotAllowedError(_l("Only members of a verified organisation can start a "
                                     "conversation."))
    begin_write(session)  # SQLite: the writer lock before the read that decides
    existing = _find(session, listing.id, other.id)
    if existing is not None:
        return existing
    conversation = Conversation(listing_id=listing.id, listing_org_id=listing_org.id,
                                other_org_id=other.id, started_by_id=user.id)
    try:
        with session.begin_nested():
            session.add(conversation)
    except IntegrityError:  # opened at the same moment by another request
        found = _find(session, listing.id, other.id)
        if found is None:
            raise
        return found
    log.info("conversation %s opened on listing %s by user %s", conversation.id, listing.id,
             user.id)
    return conversation


def _find(session: Session, listing_id: int, other_org_id: int) -> Conversation | None:
    return session.scalars(sa.select(Conversation).where(
        Conversation.listing_id == listing_id,
        Conversation.other_org_id == other_org_id)).one_or_none()


# ---------------------------------------------------------------------------------------------
# messages
def post_message(session: Session, conversation: Conversation, user, body: str, *,
                 attachments=()) -> Message:
    """A member's message; ``attachments`` are (filename, binary stream) pairs."""
    side = conversation.side_of(user)
    if side is None:
        raise NotFoundError(_l("Conversation not found."))
    if not conversation.can_post(user):
        raise ConflictError(_l("The other organisation has blocked this conversation; you cannot "
                               "write here until it unblocks it."))
    body = (body or "").strip()
    if not body:
        raise DomainError(_l("Write a message."), "body")
    if len(body) > MAX_BODY:
        raise DomainError(_l("A message can be at most %(n)d characters.", n=MAX_BODY), "body")
    attachments = list(attachments)
    if len(attachments) > MAX_ATTACHMENTS:
        raise DomainError(_l("At most %(n)d files per message.", n=MAX_ATTACHMENTS), "attachment")
    begin_write(session)
    other = conversation.other_side(side)
    to_mail = [u for u in _members(other) if unread_count(session, conversation, u) == 0]
    now = utcnow()
    message = Message(conversation=conversation, author_id=user.id, author_org_id=side.id,
                      body=body, created_at=now)
    session.add(message)
    conversation.last_message_at = now
    session.flush()
    for filename, stream in attachments:
        _store_attachment(session, message, filename, stream)
    mark_read(session, conversation, user, message.id)
    for recipient in to_mail:
        _mail_new_message(recipient, conversation, side)
    return message


def post_notice(session: Session, conversation: Conversation, body: str) -> Message:
    """A system line in the conversation (e.g. "an offer was made"); no mail."""
    now = utcnow()
    message = Message(conversation=conversation, body=str(body)[:MAX_BODY], is_notice=True,
                      created_at=now)
    session.add(message)
    conversation.last_message_at = now
    session.flush()
    return message


def _members(organization):
    return [m.user for m in organization.memberships if m.user is not None and m.user.is_active]


def _mail_new_message(user, conversation: Conversation, sender_org) -> None:
    link = external_url("conversations.show", conversation_id=conversation.id)
    with force_locale(user.locale or "zh_CN"):
        listing = conversation.listing
        title = listing.title_for("en" if (user.locale or "").startswith("en") else "zh") \
            if listing is not None else ""
        subject = _("New message from %(org)s", org=sender_org.name_zh)
        body = _("%(org)s wrote to you about “%(title)s”. Read and answer it on the platform:",
                 org=sender_org.name_zh, title=title)
        send_mail(user.email, subject[:200], f"{body}\n\n{link}")


# ---------------------------------------------------------------------------------------------
# attachments
def attachment_dir() -> Path:
    return Path(current_app.instance_path) / "uploads" / "conversations"


def sniff_attachment(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) judged by the bytes, or None if not an accepted type."""
    return sniff_document(data)


def _clean_filename(filename: str, extension: str) -> str:
    name = "".join(ch for ch in (filename or "") if ch.isprintable() and ch not in '/\\"')
    name = name.strip().strip(".")[:150] or "file"
    if not name.lower().endswith("." + extension):
        name = f"{name}.{extension}"
    return name


def _store_attachment(session: Session, message: Message, filename: str, stream) -> Attachment:
    data = stream.read(MAX_ATTACHMENT_BYTES + 1)
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise DomainError(_l("A file can be at most 10 MB."), "attachment")
    if not data:
        raise DomainError(_l("The file is empty."), "attachment")
    kind = sniff_attachment(data)
    if kind is None:
        raise DomainError(_l("Only PDF, PNG, JPEG, Word (DOCX) and Excel (XLSX) files can be "
                             "attached."), "attachment")
    content_type, extension = kind
    name = f"{secrets.token_hex(16)}.{extension}"
    directory = attachment_dir()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(data)
    after_rollback(lambda: (directory / name).unlink(missing_ok=True), session)
    attachment = Attachment(message=message, storage_name=name,
                            filename=_clean_filename(filename, extension),
                            content_type=content_type, size_bytes=len(data))
    session.add(attachment)
    session.flush()
    return attachment


# ---------------------------------------------------------------------------------------------
# reading
def _marker(session: Session, conversation_id: int, user_id: int) -> int:
    value = session.scalar(sa.select(ConversationRead.last_read_message_id).where(
        ConversationRead.conversation_id == conversation_id,
        ConversationRead.user_id == user_id))
    return value or 0


def unread_count(session: Session, conversation: Conversation, user) -> int:
    return session.scalar(sa.select(sa.func.count(Message.id)).where(
        Message.conversation_id == conversation.id,
        Message.id > _marker(session, conversation.id, user.id),
        sa.or_(Message.author_id.is_(None), Message.author_id != user.id))) or 0


def mark_read(session: Session, conversation: Conversation, user, up_to: int | None = None) -> bool:
    """Move the user's marker to ``up_to`` (default: the newest message); True if it moved."""
    if up_to is None:
        up_to = session.scalar(sa.select(sa.func.max(Message.id)).where(
            Message.conversation_id == conversation.id)) or 0
    if up_to <= _marker(session, conversation.id, user.id):
        return False
    begin_write(session)
    moved = session.execute(
        sa.update(ConversationRead)
        .where(ConversationRead.conversation_id == conversation.id,
               ConversationRead.user_id == user.id,
               ConversationRead.last_read_message_id < up_to)
        .values(last_read_message_id=up_to)).rowcount
    if not moved:
        try:
            with session.begin_nested():
                session.add(ConversationRead(conversation_id=conversation.id, user_id=user.id,
                                             last_read_message_id=up_to))
        except IntegrityError:  # another tab made the row first: it only moves forward
            session.execute(
                sa.update(ConversationRead)
                .where(ConversationRead.conversation_id == conversation.id,
                       ConversationRead.user_id == user.id,
                       ConversationRead.last_read_message_id < up_to)
                .values(last_read_message_id=up_to))
    return True


def _user_org_ids(user) -> list[int]:
    return [m.organization_id for m in user.memberships]


def list_conversations(session: Session, user) -> list[tuple[Conversation, int]]:
    """The user's conversations, newest activity first, each with its unread count."""
    org_ids = _user_org_ids(user)
    if not org_ids:
        return []
    conversations = session.scalars(sa.select(Conversation).where(sa.or_(
        Conversation.listing_org_id.in_(org_ids), Conversation.other_org_id.in_(org_ids)))
        .order_by(sa.func.coalesce(Conversation.last_message_at, Conversation.created_at).desc(),
                  Conversation.id.desc())).unique().all()
    counts = _unread_by_conversation(session, user, [c.id for c in conversations])
    return [(c, counts.get(c.id, 0)) for c in conversations]


def _unread_messages(user_id):
    """Messages of others (and notices) newer than the user's read marker, as a condition
    (``user_id``: the id, or a bind parameter standing for it)."""
    marker = (sa.select(ConversationRead.last_read_message_id)
              .where(ConversationRead.conversation_id == Message.conversation_id,
                     ConversationRead.user_id == user_id).scalar_subquery())
    return sa.and_(Message.id > sa.func.coalesce(marker, 0),
                   sa.or_(Message.author_id.is_(None), Message.author_id != user_id))


def _unread_by_conversation(session: Session, user, ids) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Message.conversation_id, sa.func.count(Message.id))
        .where(Message.conversation_id.in_(ids), _unread_messages(user.id))
        .group_by(Message.conversation_id)).all()
    return dict(rows)


def unread_total_query(user_id) -> sa.Select:
    """How many messages wait unread for the user in all their conversations: one counting
    query with the user's organisations as a subquery (the menu reads it inside its own;
    ``user_id``: the id, or a bind parameter standing for it)."""
    org_ids = Membership.organization_ids_of(user_id)
    return (sa.select(sa.func.count(Message.id))
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(sa.or_(Conversation.listing_org_id.in_(org_ids),
                          Conversation.other_org_id.in_(org_ids)), _unread_messages(user_id)))


def total_unread(session: Session, user) -> int:
    """The unread-messages badge's number."""
    return session.scalar(unread_total_query(user.id)) or 0


def conversations_about(session: Session, listing, user) -> list[Conversation]:
    """For a member of the listing's organisation: the conversations about this listing."""
    return list(session.scalars(sa.select(Conversation).where(
        Conversation.listing_id == listing.id).order_by(Conversation.id)).unique())


def find_conversation(session: Session, listing, organization) -> Conversation | None:
    return _find(session, listing.id, organization.id)


# ---------------------------------------------------------------------------------------------
# blocking and reporting
def block_conversation(session: Session, conversation: Conversation, user) -> None:
    if not conversation.is_participant(user):
        raise NotFoundError(_l("Conversation not found."))
    conversation.block(user, utcnow())
    session.add(Message(conversation=conversation, is_notice=True, created_at=utcnow(),
                        notice_code="blocked", body=conversation.side_of(user).name_zh))
    session.flush()


def unblock_conversation(session: Session, conversation: Conversation, user) -> None:
    if not conversation.is_participant(user):
        raise NotFoundError(_l("Conversation not found."))
    if not conversation.is_blocked:
        raise ConflictError(_l("This conversation is not blocked."))
    conversation.unblock(user)
    session.add(Message(conversation=conversation, is_notice=True, created_at=utcnow(),
                        notice_code="unblocked", body=conversation.side_of(user).name_zh))
    session.flush()


def report_conversation(session: Session, conversation: Conversation, user,
                        reason: str) -> ConversationReport:
    """A participant reports the conversation to the programme office (one open report per
    user: a second one while the first is open returns the first)."""
    side = conversation.side_of(user)
    if side is None:
        raise NotFoundError(_l("Conversation not found."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Say what is wrong."), "reason")
    if len(reason) > MAX_REPORT_REASON:
        raise DomainError(_l("At most %(n)d characters.", n=MAX_REPORT_REASON), "reason")
    for report in conversation.reports:
        if report.reporter_id == user.id and report.is_open:
            return report
    report = ConversationReport(conversation=conversation, reporter_id=user.id,
                                reporter_org_id=side.id, reason=reason)
    session.add(report)
    session.flush()
    log.info("conversation %s reported by user %s", conversation.id, user.id)
    return report


def handle_report(session: Session, report: ConversationReport, officer) -> None:
    if not (officer and officer.is_authenticated and officer.is_officer):
        raise NotAllowedError(_l("Only programme officers handle reports."))
    report.handle(officer, utcnow())
    session.flush()


def list_open_reports(session: Session) -> list[ConversationReport]:
    return list(session.scalars(sa.select(ConversationReport).where(
        ConversationReport.handled_at.is_(None)).order_by(ConversationReport.id)))
