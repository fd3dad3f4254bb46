"""RQ on Redis: the connection, the queues, enqueueing with retries and keys, and ``perform``,
the function every queued job runs (it imports the target and runs it in an app context).

Two queues: ``<prefix>-default`` (mail, search index, campaign deadlines, quotas, bookings) and
``<prefix>-slow`` (digests, retraining, the integrity scan), so that a long retraining never
holds back an e-mail; a worker takes them in that order. Our own keys (waiting markers, schedule
slots, locks) start with ``<prefix>:``.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app, has_app_context
from redis import Redis
from rq import Queue, Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, ScheduledJobRegistry

log = logging.getLogger(__name__)

SLOW_TARGETS = {
    "marketplace.jobs.tasks:send_digests",
    "marketplace.jobs.tasks:retrain_recommender",
    "marketplace.jobs.tasks:scan_integrity",
}
QUEUE_KINDS = ("default", "slow")
WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}
MARKER_TTL = 24 * 3600  # a marker outliving its job (Redis restored, job lost) expires by itself
_JOB_ID_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


# ---------------------------------------------------------------------------------------------
# connection and queues
def redis_for(app) -> Redis:
    """One client per app and REDIS_URL (redis-py's pool reconnects after a fork by itself)."""
    url = app.config["REDIS_URL"]
    cached = app.extensions.get("jobs_redis")
    if cached is None or cached[0] != url:
        client = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=30,
                                health_check_interval=30)
        app.extensions["jobs_redis"] = cached = (url, client)
    return cached[1]


def prefix(app) -> str:
    return app.config.get("JOBS_QUEUE_PREFIX") or "czx"


def queue_name(app, kind: str) -> str:
    return f"{prefix(app)}-{kind}"


def queues(app) -> list[Queue]:
    connection = redis_for(app)
    return [Queue(queue_name(app, kind), connection=connection) for kind in QUEUE_KINDS]


def queue_for(app, target: str) -> Queue:
    kind = "slow" if target in SLOW_TARGETS else "default"
    return Queue(queue_name(app, kind), connection=redis_for(app))


def _retry(app) -> Retry | None:
    tries = int(app.config.get("JOBS_MAX_RETRIES") or 0)
    if tries <= 0:
        return None
    raw = str(app.config.get("JOBS_RETRY_INTERVALS") or "0")
    intervals = [int(part) for part in raw.split(",") if part.strip()] or [0]
    return Retry(max=tries, interval=intervals)


def _job_id(name: str) -> str:
    return f"{_JOB_ID_CHARS.sub('_', name)[:80]}-{uuid.uuid4().hex[:12]}"


def _marker(app, key: str) -> str:
    return f"{prefix(app)}:waiting:{key}"


# ---------------------------------------------------------------------------------------------
# enqueueing
def enqueue(app, target: str, args=(), kwargs=None, *, key: str | None = None) -> Job:
    """Put ``target(*args, **kwargs)`` on its queue; with ``key``, a job of that key still
    waiting is returned instead of adding another."""
    connection = redis_for(app)
    queue = queue_for(app, target)
    job_id = _job_id(key or target.rpartition(":")[2])
    if key:
        marker = _marker(app, key)
        if not connection.set(marker, job_id, nx=True, ex=MARKER_TTL):
            waiting = _waiting_job(connection, connection.get(marker))
            if waiting is not None:
                log.debug("job %s already waiting as %s", key, waiting.id)
                return waiting
            connection.set(marker, job_id, ex=MARKER_TTL)  # stale marker: its job is gone or began
    try:
        job = queue.enqueue(
            perform, target, list(args), dict(kwargs or {}), key,
            job_id=job_id, retry=_retry(app), description=f"{target}{tuple(args)!r}"[:200],
            job_timeout=int(app.config.get("JOBS_TIMEOUT") or 1800), result_ttl=3600,
            failure_ttl=int(timedelta(days=int(app.config.get("JOBS_FAILED_TTL_DAYS") or 30))
                            .total_seconds()),
            meta={"target": target, "key": key})
    except Exception:
        if key:
            _forget_marker(connection, app, key, job_id)
        raise
    log.info("enqueued %s on %s as %s", target, queue.name, job.id)
    return job


def _waiting_job(connection, job_id: bytes | None) -> Job | None:
    if not job_id:
        return None
    try:
        job = Job.fetch(job_id.decode(), connection=connection)
    except NoSuchJobError:
        return None
    return job if job.get_status(refresh=False) in WAITING else None


def _forget_marker(connection, app, key: str, job_id: str) -> None:
    marker = _marker(app, key)
    if (connection.get(marker) or b"").decode() == job_id:
        connection.delete(marker)


# ---------------------------------------------------------------------------------------------
# running
_worker_app = None
_forked = False  # set in a child process (RQ's work horse) until its pool has started over


def worker_app():
    """The app a job runs in: the current one (CLI worker, tests), else one created once per
    worker process."""
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()
    if _worker_app is None:
        from marketplace import create_app

        _worker_app = create_app()
    return _worker_app


def perform(target: str, args: list, kwargs: dict, key: str | None = None):
    """Run one job in an app context and commit its transaction (rolled back on error, and the
    error re-raised so that RQ retries it)."""
    from marketplace.extensions import db
    from marketplace.jobs import resolve

    app = worker_app()
    job = get_current_job()
    if key and job is not None:
        # From now on a new dispatch of this key enqueues again: it may need the newer state.
        _forget_marker(redis_for(app), app, key, job.id)
    with app.app_context():
        _fresh_connections_after_fork(db)
        try:
            result = resolve(target)(*args, **kwargs)
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


def _fresh_connections_after_fork(db) -> None:
    """RQ's worker forks a work horse per job: connections inherited from the parent are not
    ours to use (SQLAlchemy's rule for forked processes), so the child's pool starts over."""
    global _forked
    if _forked:
        db.engine.dispose(close=False)
        _forked = False


def _mark_forked() -> None:
    global _forked
    _forked = True


os.register_at_fork(after_in_child=_mark_forked)


@contextmanager
def exclusive(name: str, timeout: int | None = None):
    """Yield True if this process holds the Redis lock ``name`` (no one else runs the same
    periodic job at the same time), False if another does; always True without a queue."""
    from marketplace.jobs import queue_enabled

    if not queue_enabled():
        yield True
        return
    app = current_app._get_current_object()
    lock = redis_for(app).lock(f"{prefix(app)}:lock:{name}",
                               timeout=timeout or int(app.config.get("JOBS_TIMEOUT") or 1800),
                               blocking=False)
    acquired = lock.acquire()
    try:
        yield acquired
    finally:
        if acquired:
            try:
                lock.release()
            except Exception:  # expired meanwhile: someone else may hold it now; not ours
                log.warning("lock %s expired before the job finished", name)


# ---------------------------------------------------------------------------------------------
# inspecting: depths, the dead-letter list
def depths(app) -> dict[str, int]:
    result: dict[str, int] = {}
    scheduled = failed = 0
    for queue in queues(app):
        result[queue.name.removeprefix(prefix(app) + "-")] = queue.count
        scheduled += ScheduledJobRegistry(queue=queue).count
        failed += FailedJobRegistry(queue=queue).count
    result["scheduled"] = scheduled
    result["failed"] = failed
    return result


def failed_jobs(app) -> list[Job]:
    jobs = []
    for queue in queues(app):
        registry = FailedJobRegistry(queue=queue)
        for job_id in registry.get_job_ids():
            try:
                jobs.append(Job.fetch(job_id, connection=queue.connection))
            except NoSuchJobError:
                registry.remove(job_id)
    return sorted(jobs, key=lambda j: j.ended_at or j.created_at)


def requeue_failed(app, job_id: str | None = None) -> list[str]:
    """Put failed jobs (one, or all with ``job_id=None``) back on their queues."""
    done = []
    for queue in queues(app):
        registry = FailedJobRegistry(queue=queue)
        for candidate in registry.get_job_ids():
            if job_id is None or candidate == job_id:
                registry.requeue(candidate)
                done.append(candidate)
    return done
