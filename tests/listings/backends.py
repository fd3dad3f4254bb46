"""Run a test once per search backend: ``whoosh`` always, ``postgres`` on a PostgreSQL test
database (it needs tsvector and pg_trgm; on SQLite it is skipped)."""

from __future__ import annotations

import pytest

from tests.conftest import BACKEND

SEARCH_BACKENDS = ("whoosh", "postgres")


def use_search_backend(request, app):
    """Generator body of a fixture parametrised over SEARCH_BACKENDS."""
    name = request.param
    if name == "postgres" and BACKEND != "postgresql":
        pytest.skip("the postgres search backend needs PostgreSQL (set TEST_DATABASE_URL)")
    saved = app.config.get("SEARCH_BACKEND")
    app.config["SEARCH_BACKEND"] = name
    try:
        yield name
    finally:
        app.config["SEARCH_BACKEND"] = saved
