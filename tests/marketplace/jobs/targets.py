"""Job functions for the tests (importable by a worker, like the real ones); their Redis keys
carry the test's tag (JOBS_QUEUE_PREFIX)."""

from __future__ import annotations

import redis
from flask import current_app

from tests.marketplace.jobs.conftest import REDIS_URL


def _client():
    return redis.Redis.from_url(REDIS_URL)


def _key(name: str) -> str:
    return f"{current_app.config['JOBS_QUEUE_PREFIX']}:test:{name}"


def record(value: str) -> str:
    """Appends ``value`` to the test's Redis list ``ran``."""
    _client().rpush(_key("ran"), value)
    return value


def flaky(failures: int) -> str:
    """Fails the first ``failures`` times (counted in Redis), then succeeds."""
    attempt = _client().incr(_key("flaky"))
    if attempt <= failures:
        raise RuntimeError(f"attempt {attempt} fails on purpose")
    return f"ok after {attempt - 1} failures"


def ran() -> list[str]:
    return [v.decode() for v in _client().lrange(_key("ran"), 0, -1)]


def flaky_attempts() -> int:
    return int(_client().get(_key("flaky")) or 0)
