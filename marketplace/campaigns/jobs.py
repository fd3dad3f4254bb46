"""The in-process scheduler of the embedded default: a daemon thread per app process that
closes due campaigns every JOBS_INTERVAL_SECONDS and, hourly, sends the recommendation digests
and retrains the recommender when due (marketplace/recommendations/jobs.py). Several processes
doing it at once is harmless: ``close_due`` closes each campaign once, under the campaign's row
lock; a digest goes once per organisation and week; one process trains at a time.

With REDIS_URL set no thread starts: ``flask jobs scheduler`` enqueues the same work (and quota
expiry and the bookings sweep) on the queue (marketplace/jobs/schedule.py)."""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)
_started: set[int] = set()


def start_jobs(app) -> threading.Thread | None:
    """Start the thread unless RUN_JOBS_IN_PROCESS is off, the app is testing, or a Redis queue
    is configured (then `flask jobs scheduler` enqueues this work for `flask jobs worker`)."""
    from marketplace.jobs import queue_configured

    if not app.config.get("RUN_JOBS_IN_PROCESS") or app.testing or id(app) in _started:
        return None
    if queue_configured(app):
        log.info("REDIS_URL set: periodic jobs come from `flask jobs scheduler`, not this process")
        return None
    _started.add(id(app))
    interval = max(1, int(app.config.get("JOBS_INTERVAL_SECONDS") or 60))
    stop = threading.Event()
    thread = threading.Thread(target=_loop, args=(app, interval, stop), daemon=True,
                              name="campaign-jobs")
    thread.stop = stop
    thread.start()
    return thread


def _one_round(app, work, what: str) -> int:
    """``work(session, now)`` in an app context, committed; a failure is logged and retried next
    round (0)."""
    from marketplace.extensions import db, utcnow

    with app.app_context():
        try:
            result = work(db.session, utcnow())
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            log.exception("%s failed; trying again next round", what)
            return 0
        finally:
            db.session.remove()


def run_once(app) -> int:
    """One round: close what is due and commit; returns how many campaigns were closed."""
    from marketplace.campaigns.operations import close_due

    return _one_round(app, lambda session, now: len(close_due(session, now)),
                      "closing due campaigns")


def prune_once(app) -> int:
    """The page cache's change log: rows older than an hour go (marketplace.pagecache)."""
    from marketplace.pagecache import prune_catalogue_changes

    return _one_round(app, prune_catalogue_changes, "pruning catalogue_changes")


def _loop(app, interval: int, stop: threading.Event) -> None:
    from marketplace.integrity.jobs import run_due as scan_integrity
    from marketplace.recommendations.jobs import run_due

    rounds = 0
    while not stop.wait(interval):
        run_once(app)
        if rounds % max(1, 3600 // interval) == 0:
            prune_once(app)  # hourly
        rounds += 1
        run_due(app)  # digests and retraining, at most hourly
        scan_integrity(app)  # anti-fraud signals, at most hourly
