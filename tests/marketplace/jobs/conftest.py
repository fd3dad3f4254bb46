"""Fixtures of the jobs tests: a real Redis (db 9 of 127.0.0.1:6379) and the app switched to the
queue for one test. Each test gets its own tag — the queue prefix, the cache and rate-limit key
prefixes — and deletes only the keys carrying it (and its RQ jobs), so that two runs of the suite
at once (SQLite and PostgreSQL, or pytest-xdist) never see each other's queues."""

from __future__ import annotations

import uuid

import pytest
import redis

from tests.redis_keys import delete_tagged

REDIS_URL = "redis://127.0.0.1:6379/9"


def _reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_db(app):
    """The Redis client; ``client.tag`` prefixes every key of this test."""
    if not _reachable():
        pytest.skip("no Redis at 127.0.0.1:6379")
    client = redis.Redis.from_url(REDIS_URL)
    client.tag = f"czxt{uuid.uuid4().hex[:10]}"
    saved = app.config.get("JOBS_QUEUE_PREFIX")
    app.config["JOBS_QUEUE_PREFIX"] = client.tag
    yield client
    app.config["JOBS_QUEUE_PREFIX"] = saved
    delete_tagged(client, client.tag)
    client.close()


@pytest.fixture
def queue_on(app, db, redis_db):
    """REDIS_URL set for this test: dispatch enqueues; retries without waiting."""
    keys = ("REDIS_URL", "JOBS_RETRY_INTERVALS", "JOBS_MAX_RETRIES")
    saved = {key: app.config.get(key) for key in keys}
    app.config.update(REDIS_URL=REDIS_URL, JOBS_RETRY_INTERVALS="0", JOBS_MAX_RETRIES=2)
    yield redis_db
    app.config.update(saved)
    cached = app.extensions.pop("jobs_redis", None)
    if cached is not None:
        cached[1].close()


@pytest.fixture
def work(app, queue_on):
    """Run every waiting job in this process (an RQ SimpleWorker in burst mode); returns how
    many jobs ended (finished or failed for good)."""
    from rq import SimpleWorker
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    from marketplace.jobs import queue

    def done() -> int:
        return sum(FinishedJobRegistry(queue=q).count + FailedJobRegistry(queue=q).count
                   for q in queue.queues(app))

    def run() -> int:
        before = done()
        worker = SimpleWorker(queue.queues(app), connection=queue.redis_for(app),
                              name=f"{queue_on.tag}-{uuid.uuid4().hex[:6]}")
        worker.work(burst=True, logging_level="WARNING")
        return done() - before

    return run
