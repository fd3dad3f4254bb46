"""S8 bad-input cases for the spaces forms (step 5); appended in ``test_limits``."""

from __future__ import annotations

SPACE_FORMS: list = []
SPACE_BUTTONS: set[str] = set()  # POST endpoints that take no fields
