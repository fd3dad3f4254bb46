"""S8 bad-input cases for the campaigns forms (step 4); appended to ``test_limits.FORMS``.

Import ``FormCases`` (and helpers) from ``tests.security.test_limits`` inside this module: it is
imported after ``FORMS`` is defined there. ``CAMPAIGN_BUTTONS``: POST endpoints that take no fields.
"""

from __future__ import annotations

CAMPAIGN_FORMS: list = []
CAMPAIGN_BUTTONS: set[str] = set()
