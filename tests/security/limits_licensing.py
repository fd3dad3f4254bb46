"""S8 bad-input cases for the licensing forms (step 5); appended in ``test_limits``."""

from __future__ import annotations

LICENSING_FORMS: list = []
LICENSING_BUTTONS: set[str] = set()  # POST endpoints that take no fields
