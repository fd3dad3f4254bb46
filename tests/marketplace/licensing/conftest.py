"""Licensing tests read messages in English (the Chinese catalogue is checked elsewhere)."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from tests.marketplace.bookings.concurrency import fast_passwords  # noqa: F401 — fixture


@pytest.fixture(autouse=True)
def _cheap_hashes(fast_passwords):
    """Test users get a cheap password hash (signing in still checks it)."""


@pytest.fixture(autouse=True)
def english(db):
    with force_locale("en"):
        yield


@pytest.fixture
def scene(db):
    from tests.marketplace.licensing.helpers import build_scene

    return build_scene()
