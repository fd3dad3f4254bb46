"""Outgoing e-mail through an outbox table.

Every message is stored in ``outbox_messages`` in the same transaction as the change that caused
it, so a rolled-back request sends nothing. After commit, the message is delivered over SMTP when
``MAIL_SERVER`` is configured; without it the message stays in the outbox (status ``logged``) and
its text goes to the log, which is what the demo and the tests read.

With a Redis queue (REDIS_URL), delivery is a job (``deliver_queued`` by outbox id) enqueued after
commit: SMTP failures are retried with backoff and end in the failed-jobs list (the message stays
``queued`` with its last error, so ``flask jobs requeue`` sends it). Delivery happens only while
the row is ``queued`` and under its row lock (PostgreSQL), so a job run twice sends once.
"""

from __future__ import annotations

import enum
import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import UTCDateTime, db, enum_type, utcnow
from marketplace.post_commit import after_commit

log = logging.getLogger(__name__)


class OutboxStatus(enum.StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    LOGGED = "logged"
    FAILED = "failed"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(254), index=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[OutboxStatus] = mapped_column(
        enum_type(OutboxStatus, "outbox_status", 10),
        default=OutboxStatus.QUEUED,
    )
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def send_mail(recipient: str, subject: str, body: str) -> OutboxMessage:
    """Queue a message in the current transaction; it is delivered after commit."""
    message = OutboxMessage(recipient=recipient, subject=subject, body=body)
    db.session.add(message)
    db.session.flush()
    app = current_app._get_current_object()
    message_id = message.id
    from marketplace.jobs import dispatch, queue_enabled

    if queue_enabled():  # enqueued once this transaction commits
        dispatch("marketplace.mail:deliver_queued", message_id, key=f"mail:{message_id}")
    else:
        after_commit(lambda: deliver_message(app, message_id))
    return message


class MailDeliveryError(Exception):
    """SMTP refused or unreachable: the queue retries the job."""


def deliver_message(app, message_id: int) -> None:
    """Deliver one queued message (SMTP, or the log when no MAIL_SERVER is set) and record it;
    a failure is recorded as ``failed``."""
    with app.app_context():
        _deliver(app, message_id, retry_on_failure=False)


def deliver_queued(message_id: int) -> str:
    """The queue's delivery job (in an app context): deliver if still queued; a failure raises
    so that the job is retried, and the message stays queued with its error."""
    return _deliver(current_app._get_current_object(), message_id, retry_on_failure=True)


def _deliver(app, message_id: int, *, retry_on_failure: bool) -> str:
    table = OutboxMessage.__table__
    with db.engine.begin() as conn:
        row = conn.execute(  # the row lock makes a second delivery of the same id wait, then skip
            sa.select(table).where(OutboxMessage.id == message_id).with_for_update()
        ).one_or_none()
        if row is None or row.status != OutboxStatus.QUEUED.value:
            return "skipped"
        status, error = _transmit(app, row.recipient, row.subject, row.body)
        if status == OutboxStatus.FAILED and retry_on_failure:
            conn.execute(sa.update(table).where(OutboxMessage.id == message_id)
                         .values(error=error))
        else:
            conn.execute(sa.update(table).where(OutboxMessage.id == message_id)
                         .values(status=status.value, error=error, sent_at=utcnow()))
    if status == OutboxStatus.FAILED and retry_on_failure:
        raise MailDeliveryError(f"mail #{message_id} to {row.recipient}: {error}")
    return status.value


def _transmit(app, recipient: str, subject: str, body: str) -> tuple[OutboxStatus, str | None]:
    server = app.config.get("MAIL_SERVER")
    if not server:
        log.info("mail (no MAIL_SERVER, kept in outbox) to=%s subject=%s\n%s", recipient, subject, body)
        return OutboxStatus.LOGGED, None
    msg = EmailMessage()
    msg["From"] = app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = recipient
    msg["Subject"] = subject
    msg.set_content(body)
    try:
        with smtplib.SMTP(server, app.config["MAIL_PORT"], timeout=10) as smtp:
            if app.config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if app.config.get("MAIL_USERNAME"):
                smtp.login(app.config["MAIL_USERNAME"], app.config["MAIL_PASSWORD"] or "")
            smtp.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("mail to %s failed: %s", recipient, exc)
        return OutboxStatus.FAILED, str(exc)[:500]
    return OutboxStatus.SENT, None
