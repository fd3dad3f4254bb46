"""Shared fixtures.

The suite runs once per database backend: SQLite by default, PostgreSQL when TEST_DATABASE_URL
points at a server (``make test`` runs both). The schema is built once per run by the real
migrations (``flask db upgrade``); every test then starts from empty tables (truncated after each
test), so each test sees a fresh database.
"""

from __future__ import annotations

import os
import socket
import uuid
from functools import cache
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from marketplace import create_app
from marketplace.config import TestConfig, normalize_database_url
from marketplace.extensions import db as _db
from marketplace.extensions import limiter
from tests import figures

PG_SERVER_URL = os.environ.get("TEST_DATABASE_URL")
BACKEND = "postgresql" if PG_SERVER_URL else "sqlite"


# ---------------------------------------------------------------------------------------------
# reporting: which backend this run used and how many tests ran on it
def pytest_report_header(config):
    return f"database backend: {BACKEND}"


def pytest_sessionfinish(session, exitstatus):
    """A pytest-xdist worker sends its figures to the controlling process."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["figures"] = figures.export()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """The controlling process of pytest-xdist merges a finished worker's figures."""
    figures.merge(getattr(node, "workeroutput", {}).get("figures", {}))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    figures.print_summary(terminalreporter)
    stats = terminalreporter.stats
    counts = {key: len([r for r in stats.get(key, []) if getattr(r, "when", "call") == "call"])
              for key in ("passed", "failed", "skipped", "error")}
    terminalreporter.write_line(
        f"backend {BACKEND}: {counts['passed']} passed, {counts['failed']} failed, "
        f"{counts['skipped']} skipped, {len(stats.get('error', []))} errors"
    )


# ---------------------------------------------------------------------------------------------
# SQLite in the test process: commits reach the write-ahead log without an fsync each
# (synchronous=NORMAL, which in WAL mode survives a crashed process, only not a power cut; the
# tests kill connections and processes, never the machine). The app's own connections in
# production and in the servers the browser and fault tests start keep SQLite's default (FULL).
@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_without_fsync_per_commit(dbapi_connection, connection_record):
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")


# ---------------------------------------------------------------------------------------------
# no network beyond this machine (RELIABILITY: tests never touch the network)
_real_connect = socket.socket.connect


def _guarded_connect(self, address):
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and self.family in (socket.AF_INET, socket.AF_INET6):
        if host not in ("127.0.0.1", "::1", "localhost") and not host.startswith("127."):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_network():
    socket.socket.connect = _guarded_connect
    yield
    socket.socket.connect = _real_connect


# ---------------------------------------------------------------------------------------------
# databases
class PostgresServer:
    """Creates and drops throw-away databases on the server named by TEST_DATABASE_URL."""

    def __init__(self, url: str):
        self.url = sa.make_url(normalize_database_url(url))
        self.engine = sa.create_engine(self.url, isolation_level="AUTOCOMMIT")

    def create(self, prefix: str = "czx_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = sa.make_url(url).database
        with self.engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_server():
    if not PG_SERVER_URL:
        yield None
        return
    server = PostgresServer(PG_SERVER_URL)
    yield server
    server.engine.dispose()


@pytest.fixture(scope="session")
def make_empty_database(pg_server, tmp_path_factory):
    """A factory for empty databases on the current backend (dropped at the end of the run)."""
    created: list[str] = []

    def factory() -> str:
        if pg_server is not None:
            url = pg_server.create()
        else:
            path = tmp_path_factory.mktemp("db") / f"{uuid.uuid4().hex[:8]}.sqlite"
            url = f"sqlite:///{path}"
        created.append(url)
        return url

    yield factory
    if pg_server is not None:
        for url in created:
            pg_server.drop(url)


@pytest.fixture(scope="session")
def database_url(make_empty_database):
    return make_empty_database()


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("instance")


class FreshContextClient(FlaskClient):
    """Runs every request in its own application context, as in production.

    Without this, requests made while a test holds an app context share its ``g`` (Flask-Login's
    cached user, Flask-Babel's cached locale) and its database session, which hides real bugs.
    The test's own session is separate: commit before a request, ``expire_all()`` after it.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


# Flask-Limiter's ``limiter`` is one object for every app: a test that builds a second app
# (another process's view of Redis, production settings) re-initialises it with that app's
# settings — turned on, other storage — and the suite's app would then count and refuse requests
# in whichever test runs next in that process. What a test changes is put back after it (a
# module-scoped fixture that re-initialises it on purpose, as in tests/security/test_rate_limits.py,
# puts it back itself).
@pytest.fixture(autouse=True)
def _limiter_restored():
    before = dict(vars(limiter))
    yield
    if vars(limiter) != before:
        vars(limiter).clear()
        vars(limiter).update(before)


@pytest.fixture(scope="session")
def app(database_url, instance_path):
    from flask_migrate import upgrade

    os.environ["INSTANCE_PATH"] = str(instance_path)
    app = create_app({
        **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SEARCH_INDEX_DIR": str(instance_path / "search-index"),
        "MODEL_DIR": str(instance_path / "models"),
        "SERVER_NAME": None,
    })
    app.test_client_class = FreshContextClient
    with app.app_context():
        upgrade()
    yield app
    from listings import search

    search.close_searchers()
    with app.app_context():
        _db.engine.dispose()


@cache
def sorted_tables() -> tuple[sa.Table, ...]:
    """Every table, parents first (``MetaData.sorted_tables`` sorts again on every access)."""
    return tuple(_db.metadata.sorted_tables)


@cache
def _presence_sql() -> str:
    """One statement: for each table (sorted_tables order), whether it has a row."""
    return "SELECT " + ", ".join(f'EXISTS (SELECT 1 FROM "{t.name}")' for t in sorted_tables())


def _truncate_all() -> None:
    """Empty every table that has rows. One query finds them (most of a test's 75 tables stay
    empty); only those get a DELETE, in dependency order: on the small tables of a test that is
    much faster than TRUNCATE on PostgreSQL (which rewrites every table).

    Test-only escape hatch: the ledger's append-only triggers refuse DELETE, so the triggers of
    the tables being emptied are switched off inside this transaction and on again before it
    commits (PostgreSQL: DISABLE/ENABLE TRIGGER USER, sent with the DELETEs as one script;
    SQLite: DROP and re-CREATE from their stored SQL). With them off, the catalogue-change
    triggers write nothing either. Other connections never see them off; it needs the table
    owner's rights, and the schema itself has no switch."""
    tables = [t.name for t in sorted_tables()]
    with _db.engine.connect() as conn:
        present = conn.exec_driver_sql(_presence_sql()).one()
    full = [name for name, has_rows in zip(tables, present, strict=True) if has_rows]
    if not full:
        return
    with _db.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")  # pysqlite opens none before DDL
            triggers = [(name, sql) for name, table, sql in conn.exec_driver_sql(
                "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
                if table in full]
            for name, _sql in triggers:
                conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
            for name in reversed(full):
                conn.exec_driver_sql(f'DELETE FROM "{name}"')
            for _name, sql in triggers:
                conn.exec_driver_sql(sql)
            return
        guarded = {table for (table,) in conn.exec_driver_sql(
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace")}
        switched = [name for name in full if name in guarded]
        script = [f'ALTER TABLE "{name}" DISABLE TRIGGER USER' for name in switched]
        script += [f'DELETE FROM "{name}"' for name in reversed(full)]
        script += [f'ALTER TABLE "{name}" ENABLE TRIGGER USER' for name in switched]
        # no parameters: psycopg sends the statements in one round trip
        conn.connection.cursor().execute("; ".join(script))


def _clear_search_index(app) -> None:
    from listings import search

    search.rebuild(app.config["SEARCH_INDEX_DIR"], [])


@pytest.fixture
def db(app, request):
    """The database and the search index, empty, inside an application context.

    After the test, whatever it committed must pass ``flask ledger verify`` (the ledger's
    invariants and the business checks: holds vs bookings, budgets, overlaps, settlement),
    unless the test is marked ``ledger_breaks`` (it corrupts the ledger on purpose)."""
    with app.app_context():
        yield _db
        _db.session.remove()
        try:
            if request.node.get_closest_marker("ledger_breaks") is None:
                _assert_ledger_clean()
        finally:
            _truncate_all()
            _clear_search_index(app)


def _assert_ledger_clean() -> None:
    from marketplace.checks import ALL_CHECKS
    from marketplace.ledger.queries import verify_committed

    with _db.engine.connect() as conn:
        moved = conn.execute(sa.text("SELECT (SELECT count(*) FROM ledger_transfers) "
                                     "+ (SELECT count(*) FROM bookings)")).scalar()
    if moved:
        report = verify_committed(_db.engine, ALL_CHECKS)
        assert report.ok, f"the test left the ledger inconsistent: {report.verdict()}"


@pytest.fixture
def client(app, db):
    return app.test_client()


@pytest.fixture
def csrf_enabled(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def rate_limits(app):
    """Turn Flask-Limiter on for one test, with clean counters."""
    limiter.enabled = True
    app.config["RATELIMIT_ENABLED"] = True
    limiter.reset()
    yield limiter
    limiter.reset()
    limiter.enabled = False
    app.config["RATELIMIT_ENABLED"] = False


@pytest.fixture
def outbox(db):
    """Messages sent in this test, newest last."""
    from marketplace.mail import OutboxMessage

    def read():
        _db.session.expire_all()
        return list(_db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))

    return read


# ---------------------------------------------------------------------------------------------
# signing in
class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str, remember: bool = False, **kwargs):
        data = {"email": email, "password": password}
        if remember:
            data["remember"] = "y"
        return self.client.post("/auth/login", data=data, **kwargs)

    def login_as(self, user, password: str | None = None):
        from tests.factories import DEFAULT_PASSWORD

        response = self.login(user.email, password or DEFAULT_PASSWORD)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    def logout(self):
        return self.client.post("/auth/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture(scope="session")
def fake_stripe_server():
    """The local fake of Stripe's API (tests/fakes/stripe_server.py), once per session."""
    from tests.fakes.stripe_server import FakeStripe

    fake = FakeStripe()
    yield fake
    fake.close()


@pytest.fixture
def stripe_fake(app, db, fake_stripe_server):
    """Stripe configured against the fake server (fresh state), for one test."""
    from tests.fakes.stripe_server import WEBHOOK_SECRET

    fake_stripe_server.reset()
    keys = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE")
    saved = {key: app.config.get(key) for key in keys}
    app.config.update(STRIPE_SECRET_KEY="sk_test_fake", STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                      STRIPE_API_BASE=fake_stripe_server.url)
    yield fake_stripe_server
    app.config.update(saved)
