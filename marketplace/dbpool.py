"""Pinging pooled PostgreSQL connections before use, but only those that sat idle.

SQLAlchemy's ``pool_pre_ping`` sends a round trip on every checkout, so that a connection broken
while it waited in the pool (a database restart, a dropped idle connection) is replaced before a
request uses it. Under load, though, a connection is checked out again within milliseconds of
its last use, and the ping doubles the round trips of the cheapest requests (a cached page reads
one statement). ``ping_idle_connections`` keeps the guarantee where it matters: a connection is
pinged when it was checked in more than ``DB_PING_IDLE_SECONDS`` ago (0: on every checkout, as
``pool_pre_ping``); a connection that fails the ping is replaced (``DisconnectionError`` makes the
pool discard it and connect afresh). A connection that breaks while busy fails its request with
a 503 (marketplace.errors) and SQLAlchemy invalidates the process's whole pool, so the next
request connects anew: the app recovers by itself either way.
"""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa
from sqlalchemy import exc

log = logging.getLogger(__name__)
CHECKED_IN_AT = "czx_checked_in_at"


def ping_idle_connections(engine: sa.Engine, idle_seconds: float) -> None:
    """Install the checkin/checkout listeners on ``engine``'s pool."""

    @sa.event.listens_for(engine, "checkin")
    def _note_checkin(dbapi_connection, record) -> None:
        if record is not None:
            record.info[CHECKED_IN_AT] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, proxy) -> None:
        checked_in_at = record.info.get(CHECKED_IN_AT)
        if checked_in_at is None or time.monotonic() - checked_in_at < idle_seconds:
            return  # just connected, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # noqa: BLE001 - any failure: replace the connection
            log.info("pooled connection failed its ping (%s): reconnecting",
                     error.__class__.__name__)
            raise exc.DisconnectionError() from error
