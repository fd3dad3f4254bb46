from __future__ import annotations

import pytest

from tests.marketplace.bookings.concurrency import fast_passwords  # noqa: F401 — fixture
from tests.marketplace.needs.helpers import make_world


@pytest.fixture
def world(db, fast_passwords):  # noqa: F811
    return make_world()
