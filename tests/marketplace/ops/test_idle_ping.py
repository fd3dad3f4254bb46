"""Pooled PostgreSQL connections are pinged before use only when they sat idle
(marketplace.dbpool): one broken while idle is replaced without the request noticing; one used a
moment ago is not pinged, and if it broke meanwhile its request gets a 503 and the next one
connects afresh."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from tests.conftest import BACKEND
from tests.marketplace.ops.helpers import app_on

pytestmark = pytest.mark.skipif(BACKEND != "postgresql", reason="the PostgreSQL pool")


@pytest.fixture
def make_app(database_url, db):
    apps = []

    def factory(idle_seconds: float):
        app = app_on(database_url, DB_PING_IDLE_SECONDS=idle_seconds)
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            from marketplace.extensions import db as app_db

            app_db.engine.dispose()


def _pooled_backend_pid(app) -> int:
    """Use the app's single pooled connection once and return its server process id."""
    from marketplace.extensions import db

    with app.app_context():
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        db.session.remove()
    return pid


def _terminate(backend_pid: int, server_db) -> None:
    with server_db.engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend_pid})
        conn.commit()
    time.sleep(0.2)  # the server closes the socket


def test_a_connection_broken_while_idle_is_replaced_before_use(make_app, db):
    app = make_app(idle_seconds=0.3)
    first = _pooled_backend_pid(app)
    _terminate(first, db)
    time.sleep(0.4)  # idle longer than DB_PING_IDLE_SECONDS
    response = app.test_client().get("/api/v1/open/summary")
    assert response.status_code == 200
    assert _pooled_backend_pid(app) != first  # a new connection took its place


def test_a_connection_used_a_moment_ago_is_not_pinged_and_a_broken_one_costs_one_503(make_app,
                                                                                    db):
    app = make_app(idle_seconds=3600)
    client = app.test_client()
    first = _pooled_backend_pid(app)
    _terminate(first, db)
    # no ping: the request finds the broken connection, answers 503 with its message ...
    failed = client.get("/api/v1/open/summary")
    assert failed.status_code == 503
    assert failed.get_json()["error"]["code"] == "unavailable"
    # ... and SQLAlchemy's invalidation lets the next request connect afresh
    assert client.get("/api/v1/open/summary").status_code == 200
    assert _pooled_backend_pid(app) != first
