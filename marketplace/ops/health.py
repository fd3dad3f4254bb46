"""Readiness checks: can this node serve requests? Each check returns None or a short reason."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from marketplace.extensions import db

REDIS_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    message: str

    def as_dict(self) -> dict:
        return {"ok": self.ok, "message": self.message}


def check_database() -> str | None:
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as exc:  # any failure to reach the database: not ready
        return f"database unavailable: {exc.__class__.__name__}"
    return None


def check_search_index() -> str | None:
    from listings.indexing import health

    try:
        return health()
    except Exception as exc:
        return f"search index check failed: {exc.__class__.__name__}"


def redis_connection(url: str):
    """A Redis client with short timeouts (a probe must not hang on a dead Redis)."""
    from redis import Redis

    return Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_SECONDS,
                          socket_connect_timeout=REDIS_TIMEOUT_SECONDS)


def check_job_queue() -> str | None:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    try:
        client = redis_connection(url)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        return f"job queue (Redis) unavailable: {exc.__class__.__name__}"
    return None


def run_checks() -> list[Check]:
    checks = [("database", check_database), ("search", check_search_index)]
    if current_app.config.get("REDIS_URL"):
        checks.append(("jobs", check_job_queue))
    results = []
    for name, check in checks:
        problem = check()
        results.append(Check(name, problem is None, problem or "ok"))
    return results
