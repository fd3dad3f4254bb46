"""S1 rows for the reviews routes (step 5); appended to ``test_authz_matrix.ROWS``."""

from __future__ import annotations

from tests.security.test_authz_matrix import Row  # noqa: F401

REVIEW_ROWS: list = []
