"""Fixtures of the open-data tests: the world of ``helpers.build_world`` (no one signs in)."""

from __future__ import annotations

import pytest

from tests.marketplace.bookings.concurrency import fast_passwords  # noqa: F401 — fixture
from tests.marketplace.opendata.helpers import build_world


@pytest.fixture
def world(db, monkeypatch, fast_passwords):  # noqa: F811
    return build_world(monkeypatch)
