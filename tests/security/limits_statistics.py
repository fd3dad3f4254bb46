"""S8 bad-input cases for the marketplace.statistics forms (step 7); appended in test_limits."""

from __future__ import annotations

STATISTICS_FORMS: list = []
STATISTICS_BUTTONS: set[str] = set()  # POST endpoints with no fields
