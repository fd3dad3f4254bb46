"""The periodic jobs, as functions a worker imports (``marketplace.jobs.tasks:<name>``).

Each runs inside an app context and commits its own work before it lets go of its lock.
Each is idempotent — a job run twice has the effect of one:

- campaign deadlines: ``close_due`` closes a run once, under its row lock;
- quota expiry: ``expire_quotas`` marks a quota expired once (row lock; ledger keys per quota);
- bookings sweep: an unanswered request is rejected once (row lock); a reminder once per booking
  (``reminded_at``), and the sweep runs under a Redis lock so that two never overlap;
- digests: one per organisation and ISO week (``digest_sent`` unique row);
- retraining: only when the newest artifact is older than MATCHING_RETRAIN_HOURS, one trainer at a
  time (a Redis lock across hosts, the lock file in MODEL_DIR on one host);
- integrity scan: signals are upserted by their natural key (a second scan adds nothing);
- catalogue log: ``prune_catalogue_changes`` deletes rows of ``catalogue_changes`` older than an
  hour (never the newest); a second run finds nothing more to delete;
- lost mail: outbox rows still ``queued`` and never attempted a while after they were written
  (their enqueue failed: Redis was down at the commit) get their delivery job again; delivery
  itself sends only while the row is ``queued``.

With a queue, each also takes a Redis lock named after itself: if another worker is running the
same job, this run does nothing and says so.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from flask import current_app

from marketplace.extensions import db, utcnow
from marketplace.jobs.queue import exclusive

log = logging.getLogger(__name__)
BUSY = "busy"  # another worker runs the same job right now


def close_due_campaigns() -> int | str:
    """Close every live campaign past its deadline; returns how many this run closed."""
    from marketplace.campaigns.operations import close_due

    with exclusive("campaigns.close_due") as mine:
        if not mine:
            return BUSY
        closed = close_due(db.session, utcnow())
        db.session.commit()  # inside the lock: the next run sees this one's work
        return len(closed)


def expire_quotas() -> dict | str:
    """Return the unspent rest of expired voucher quotas to their budgets."""
    from marketplace.vouchers.operations import expire_quotas as expire

    with exclusive("vouchers.expire") as mine:
        if not mine:
            return BUSY
        result = expire(utcnow())
        db.session.commit()
        return result


def sweep_bookings() -> dict | str:
    """Reject requests left unanswered until their start; remind bookers of tomorrow's."""
    from marketplace.bookings import operations as bookings

    with exclusive("bookings.sweep") as mine:
        if not mine:
            return BUSY
        now = utcnow()
        result = {"expired": bookings.expire_unanswered(now),
                  "reminded": bookings.send_reminders(now)}
        db.session.commit()
        return result


def prune_catalogue_changes() -> int:
    """Keep the page cache's change log short (marketplace.pagecache); how many rows went."""
    from marketplace.pagecache import prune_catalogue_changes as prune

    removed = prune(db.session, utcnow())
    db.session.commit()
    return removed


def send_digests() -> int | str | None:
    """This week's recommendation digests, from Monday 08:00 Beijing time (None: not yet due)."""
    from marketplace.recommendations.jobs import digest_due
    from marketplace.recommendations.operations import send_weekly_digests

    now = utcnow()
    if not digest_due(now):
        return None
    with exclusive("matching.digest") as mine:
        if not mine:
            return BUSY
        sent = send_weekly_digests(db.session, now)
        db.session.commit()
        return sent


def retrain_recommender() -> str | None:
    """Retrain when the newest artifact is older than MATCHING_RETRAIN_HOURS; the new path."""
    from marketplace.recommendations.jobs import _train_locked, retrain_due

    now = utcnow()
    model_dir = Path(current_app.config["MODEL_DIR"])
    hours = float(current_app.config.get("MATCHING_RETRAIN_HOURS") or 0)
    if not retrain_due(model_dir, now, hours):
        return None
    with exclusive("matching.retrain") as mine:
        if not mine or not retrain_due(model_dir, now, hours):  # trained meanwhile
            return None
        return _train_locked(model_dir, now)


def scan_integrity() -> dict | str:
    """The anti-fraud scan: signals by kind that this run added."""
    from marketplace.integrity.detectors import scan

    with exclusive("integrity.scan") as mine:
        if not mine:
            return BUSY
        counts = scan(db.session, utcnow())
        db.session.commit()
        return counts


LOST_MAIL_AFTER = timedelta(minutes=2)


def requeue_lost_mail() -> int:
    """Dispatch delivery again for messages whose job never ran; returns how many."""
    import sqlalchemy as sa

    from marketplace.jobs import dispatch
    from marketplace.mail import OutboxMessage, OutboxStatus

    ids = list(db.session.scalars(sa.select(OutboxMessage.id).where(
        OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.error.is_(None),
        OutboxMessage.created_at <= utcnow() - LOST_MAIL_AFTER).order_by(OutboxMessage.id)
        .limit(1000)))
    db.session.rollback()  # read only: dispatch enqueues at once, outside a transaction
    for message_id in ids:
        dispatch("marketplace.mail:deliver_queued", message_id, key=f"mail:{message_id}")
    return len(ids)
