"""S8 bad-input cases for the needs forms (step 5); appended in ``test_limits``."""

from __future__ import annotations

NEED_FORMS: list = []
NEED_BUTTONS: set[str] = set()  # POST endpoints that take no fields
