"""Fixtures for the security tests (RELIABILITY.md section 4, tests S1–S8).

Every request here runs in its own application context, as it does in production. The suite-wide
``db`` fixture keeps one application context open for the whole test, and Flask reuses an open
context for test-client requests; ``g`` (Flask-Login's cached user, Flask-WTF's CSRF token,
Flask-Babel's locale) and the scoped database session would then leak from one request, and one
client, to the next: an anonymous client asking for /dashboard after another client signed in got
200. ``IsolatedClient`` pushes a fresh context per request, so each request sees only its cookies.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.figures import store

# One-line figures the tests report; printed once at the end of the run (tests/figures.py).
FIGURES: dict[str, dict[str, int]] = store("security")

# The item that runs after this one (None after the last): the matrix keeps its world between
# consecutive rows and empties the tables after the last of them (test_authz_matrix.matrix_db).
NEXT_ITEM = pytest.StashKey[object]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    item.stash[NEXT_ITEM] = nextitem
    yield


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (--dist loadgroup) the security tests form one group (their shared
    worlds stay warm in one process); the S-figures' counters add up across workers anyway
    (tests/figures.py)."""
    here = str(config.rootpath / "tests" / "security")
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.xdist_group("security"))


class IsolatedClient(FlaskClient):
    """A test client whose every request has its own application context (own g and session)."""

    @classmethod
    def make(cls, app, environ: dict | None = None) -> IsolatedClient:
        client = cls(app, app.response_class, use_cookies=True)
        client.environ_base.update(environ or {})
        return client

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def make_client(app):
    """A factory of fresh, cookie-isolated clients (one per browser in a scenario). Tests ask
    for ``db`` themselves for the database."""

    def factory(environ: dict | None = None) -> IsolatedClient:
        return IsolatedClient.make(app, environ)

    return factory


@pytest.fixture
def client(make_client):
    """Overrides the suite's client for tests/security: requests do not share ``g``."""
    return make_client()


@pytest.fixture
def db(app, _truncate_after_package):
    """The suite's ``db`` fixture (empty tables and search index after each test, and whatever
    moved money must pass ``flask ledger verify``), emptied with DELETE instead of TRUNCATE:
    TRUNCATE of every table costs 0.1-0.4 s per test on PostgreSQL. Identity sequences are reset
    once, by a TRUNCATE after the last test of tests/security."""
    from listings import search
    from marketplace.extensions import db as _db
    from tests.conftest import _assert_ledger_clean
    from tests.security.helpers import clear_tables

    with app.app_context():
        yield _db
        _db.session.remove()
        try:
            _assert_ledger_clean()
        finally:
            clear_tables()
            search.rebuild(app.config["SEARCH_INDEX_DIR"], [])


@pytest.fixture(scope="package")
def _truncate_after_package(app):
    yield
    from marketplace.extensions import db as _db
    from tests.conftest import _truncate_all

    with app.app_context():
        _db.session.remove()
        _truncate_all()


@pytest.fixture
def figures():
    return FIGURES
