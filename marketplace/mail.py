"""Outgoing e-mail through an outbox table.

Every message is stored in ``outbox_messages`` in the same transaction as the change that caused
it, so a rolled-back request sends nothing. After commit, the message is delivered over SMTP when
``MAIL_SERVER`` is configured; without it the message stays in the outbox (status ``logged``) and
its text goes to the log, which is what the demo and the tests read.

With a Redis queue (REDIS_URL), delivery is a job (``deliver_queued`` by outbox ids) enqueued after
commit, one job for all the messages of a transaction (a booking tells the booker and the lab):
SMTP failures are retried with backoff and end in the failed-jobs list (the message stays
``queued`` with its last error, so ``flask jobs requeue`` sends it). Delivery happens only while
the row is ``queued`` and under its row lock (PostgreSQL), so a job run twice sends once, and a
retried job skips the messages it already sent.
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
from marketplace.post_commit import after_commit_once

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
    """Queue a message in the current transaction; it is delivered after commit, together with
    the transaction's other messages (written with them in one flush, sent by one job)."""
    message = OutboxMessage(recipient=recipient, subject=subject, body=body)
    db.session.add(message)
    after_commit_once(_Delivery, lambda: _Delivery(current_app._get_current_object())) \
        .messages.append(message)
    return message


class _Delivery:
    """The messages one transaction queued; called once it has committed."""

    def __init__(self, app):
        self.app, self.messages = app, []

    def __call__(self) -> None:
        from marketplace.jobs import dispatch, queue_enabled

        # the ids without a reload: the commit expired the objects, their identity stays (a
        # message whose savepoint rolled back has none)
        ids = [identity[0] for identity in (sa.inspect(m).identity for m in self.messages)
               if identity is not None]
        if not ids:
            return
        if queue_enabled():
            dispatch("marketplace.mail:deliver_queued", *ids,
                     key=f"mail:{ids[0]}" if len(ids) == 1 else f"mail:{ids[0]}-{ids[-1]}")
        else:
            for message_id in ids:  # each on its own: one that breaks does not hold back the rest
                try:
                    deliver_message(self.app, message_id)
                except Exception:  # noqa: BLE001 - logged; the message stays in the outbox
                    log.exception("delivering mail #%s failed", message_id)


class MailDeliveryError(Exception):
    """SMTP refused or unreachable: the queue retries the job."""


def deliver_message(app, message_id: int) -> None:
    """Deliver one queued message (SMTP, or the log when no MAIL_SERVER is set) and record it;
    a failure is recorded as ``failed``."""
    with app.app_context():
        _deliver(app, message_id, retry_on_failure=False)


def deliver_queued(*message_ids: int) -> str:
    """The queue's delivery job (in an app context): deliver each message still queued; when one
    fails, the others are still tried and then the job raises so that it is retried (the failed
    message stays queued with its error, the sent ones are skipped next time)."""
    app, statuses, failures = current_app._get_current_object(), [], []
    for message_id in message_ids:
        try:
            statuses.append(_deliver(app, message_id, retry_on_failure=True))
        except MailDeliveryError as error:
            failures.append(str(error))
    if failures:
        raise MailDeliveryError("; ".join(failures))
    return ", ".join(statuses)


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
