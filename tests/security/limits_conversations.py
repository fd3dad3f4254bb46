"""S8 bad-input cases for the conversations forms (step 5); appended in ``test_limits``."""

from __future__ import annotations

CONVERSATION_FORMS: list = []
CONVERSATION_BUTTONS: set[str] = set()  # POST endpoints that take no fields
