"""S1 rows for the spaces routes (step 5); appended to ``test_authz_matrix.ROWS``."""

from __future__ import annotations

from tests.security.test_authz_matrix import Row  # noqa: F401

SPACE_ROWS: list = []
