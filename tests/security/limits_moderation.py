"""S8 bad-input cases for the marketplace.moderation forms (step 7); appended in test_limits."""

from __future__ import annotations

MODERATION_FORMS: list = []
MODERATION_BUTTONS: set[str] = set()  # POST endpoints with no fields
