"""Job functions for the tests (importable by a worker, like the real ones)."""

from __future__ import annotations

import redis

from tests.marketplace.jobs.conftest import REDIS_URL


def _client():
    return redis.Redis.from_url(REDIS_URL)


def record(value: str) -> str:
    """Appends ``value`` to the Redis list ``test:ran``."""
    _client().rpush("test:ran", value)
    return value


def flaky(failures: int) -> str:
    """Fails the first ``failures`` times (counted in Redis), then succeeds."""
    attempt = _client().incr("test:flaky")
    if attempt <= failures:
        raise RuntimeError(f"attempt {attempt} fails on purpose")
    return f"ok after {attempt - 1} failures"


def ran() -> list[str]:
    return [v.decode() for v in _client().lrange("test:ran", 0, -1)]
