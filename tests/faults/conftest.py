"""Fault tests: the real application behind gunicorn, hurt on purpose (``-m faults``).

They start gunicorn subprocesses over a scratch database built with the real migrations and the
demo (``bench.appserver``), so they take tens of seconds each; they only run when the marker
expression selects them (``pytest tests/faults -m faults``, as ``make check-hard`` does) and
are skipped in a plain ``pytest`` run. The backend follows the suite's rule: PostgreSQL when
TEST_DATABASE_URL is set, else SQLite.
"""

from __future__ import annotations

import os
import shutil

import pytest

from bench.appserver import SME, Scratch, plan_world

PG_SERVER_URL = os.environ.get("TEST_DATABASE_URL")
BACKEND = "postgresql" if PG_SERVER_URL else "sqlite"


def pytest_collection_modifyitems(config, items):
    if "faults" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="fault test: run with -m faults (make check-hard)")
    for item in items:
        if item.get_closest_marker("faults") is not None:
            item.add_marker(skip)


class World:
    """A scratch database with the demo, its search index, and what clients may book/back."""

    def __init__(self, scratch: Scratch, plan: dict):
        self.scratch, self.plan = scratch, plan
        self.env, self.url, self.workdir = scratch.env, scratch.url, scratch.workdir


def build_world(workdir, *, backend: str = BACKEND, extra_env: dict | None = None) -> World:
    scratch = Scratch(backend, workdir, pg_url=PG_SERVER_URL or "postgresql+psycopg://127.0.0.1:5432/test",
                      prefix="czx_faults", extra_env=extra_env)
    try:
        scratch.prepare()
        return World(scratch, plan_world(scratch.url, workdir, booker=SME))
    except BaseException:
        scratch.drop()
        raise


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("faults")
    built = build_world(workdir)
    yield built
    built.scratch.drop()
    shutil.rmtree(workdir / "search-index", ignore_errors=True)
