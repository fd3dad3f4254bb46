"""Space leasing tests read messages in English (the Chinese catalogue is checked elsewhere)."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from tests.marketplace.bookings.concurrency import fast_passwords  # noqa: F401 — fixture


@pytest.fixture(autouse=True)
def english(db):
    with force_locale("en"):
        yield
