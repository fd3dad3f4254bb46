"""S8 bad-input cases for the licence_fees forms (step 5); appended in ``test_limits``."""

from __future__ import annotations

LICENCE_FEE_FORMS: list = []
LICENCE_FEE_BUTTONS: set[str] = set()  # POST endpoints that take no fields
