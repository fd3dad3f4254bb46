"""S1 rows for the needs routes (step 5); appended to ``test_authz_matrix.ROWS``."""

from __future__ import annotations

from tests.security.test_authz_matrix import Row  # noqa: F401

NEED_ROWS: list = []
