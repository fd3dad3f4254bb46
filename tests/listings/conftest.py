from __future__ import annotations

import pytest

from tests.listings.backends import SEARCH_BACKENDS, use_search_backend


@pytest.fixture(params=SEARCH_BACKENDS)
def search_backend_name(request, app):
    """The search backend of this test run (see tests/listings/backends.py)."""
    yield from use_search_backend(request, app)
