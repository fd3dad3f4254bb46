"""S8 bad-input cases for the payments forms (step 4); appended to ``test_limits.FORMS``.

Import ``FormCases`` (and helpers) from ``tests.security.test_limits`` inside this module: it is
imported after ``FORMS`` is defined there. ``PAYMENT_BUTTONS``: POST endpoints that take no fields.
"""

from __future__ import annotations

PAYMENT_FORMS: list = []
PAYMENT_BUTTONS: set[str] = set()
