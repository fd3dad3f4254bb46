"""S1 authorization-matrix rows for marketplace.integrity (step 7); appended in test_authz_matrix."""

from __future__ import annotations

INTEGRITY_ROWS: list = []
