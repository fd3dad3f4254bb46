"""S8 bad-input cases for the marketplace.integrity forms (step 7); appended in test_limits."""

from __future__ import annotations

INTEGRITY_FORMS: list = []
INTEGRITY_BUTTONS: set[str] = set()  # POST endpoints with no fields
