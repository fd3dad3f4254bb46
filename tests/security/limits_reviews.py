"""S8 bad-input cases for the reviews forms (step 5); appended in ``test_limits``."""

from __future__ import annotations

REVIEW_FORMS: list = []
REVIEW_BUTTONS: set[str] = set()  # POST endpoints that take no fields
