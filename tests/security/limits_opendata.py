"""S8 bad-input cases for the marketplace.opendata forms (step 7); appended in test_limits."""

from __future__ import annotations

OPENDATA_FORMS: list = []
OPENDATA_BUTTONS: set[str] = set()  # POST endpoints with no fields
