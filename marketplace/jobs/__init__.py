"""Background work: in-process by default, through a Redis queue (RQ) when REDIS_URL is set.

``dispatch("module.path:function", *args, key=...)`` runs the job. Without a queue it runs the
function at once, in the calling process (as every job ran before step 8). With a queue
(REDIS_URL set and JOBS_QUEUE_ENABLED on) it enqueues the job on RQ — after the current database
transaction commits, so a rolled-back request enqueues nothing — and a worker (``flask jobs
worker``) runs it inside an app context, committing its own transaction. The function is given by
its import path so that a worker can import it.

``key`` names the job: while a job with that key waits in the queue, dispatching it again returns
the waiting job instead of adding a second one. Once it has started, a new dispatch enqueues a
new job (the state it must see may have changed since). Job functions are idempotent anyway:
a job run twice has the effect of one (see marketplace/jobs/tasks.py).

Failed jobs are retried JOBS_MAX_RETRIES times with the JOBS_RETRY_INTERVALS backoff, then kept
in RQ's failed-job registry (the dead-letter list): ``flask jobs failed``, ``flask jobs requeue``.
"""

from __future__ import annotations

from importlib import import_module

from flask import current_app, has_app_context


def queue_enabled() -> bool:
    """True when jobs go through the Redis queue (REDIS_URL set, JOBS_QUEUE_ENABLED on)."""
    return has_app_context() and queue_configured(current_app)


def queue_configured(app) -> bool:
    return bool(app.config.get("REDIS_URL")) and bool(app.config.get("JOBS_QUEUE_ENABLED", True))


def resolve(target: str):
    module, _, name = target.partition(":")
    return getattr(import_module(module), name)


def dispatch(target: str, *args, key: str | None = None, **kwargs):
    """Run ``target(*args, **kwargs)`` now (no queue), or enqueue it after the current
    transaction commits (queue); returns the function's result, the RQ job, or None when the
    enqueue waits for the commit."""
    if not queue_enabled():
        return resolve(target)(*args, **kwargs)
    from marketplace.jobs import queue

    app = current_app._get_current_object()
    from marketplace.extensions import db

    session = db.session()
    transaction = session.get_transaction()
    if transaction is not None and transaction.is_active:
        from marketplace.post_commit import after_commit

        after_commit(lambda: queue.enqueue(app, target, args, kwargs, key=key), session)
        return None
    return queue.enqueue(app, target, args, kwargs, key=key)


def queue_depths() -> dict[str, int]:
    """Jobs waiting per queue, retries scheduled and dead letters ("failed"); {} without a
    queue or when Redis does not answer (``ping`` says why)."""
    if not queue_enabled():
        return {}
    from marketplace.jobs import queue

    try:
        return queue.depths(current_app._get_current_object())
    except Exception:  # metrics must not fail because Redis is down; /readyz reports it
        return {}


def ping() -> str | None:
    """None when Redis answers or is not configured; otherwise a short reason (``/readyz``)."""
    if not has_app_context() or not current_app.config.get("REDIS_URL"):
        return None
    from marketplace.jobs import queue

    try:
        queue.redis_for(current_app._get_current_object()).ping()
    except Exception as exc:  # any failure to reach Redis makes the node not ready
        return f"redis unavailable: {exc.__class__.__name__}"
    return None


def init_app(app) -> None:
    """The cache (Redis when configured) and the ``flask jobs`` commands."""
    from marketplace.jobs.cache import init_cache
    from marketplace.jobs.cli import jobs_group

    init_cache(app)
    app.cli.add_command(jobs_group)
