"""S1 authorization-matrix rows for marketplace.opendata (step 7); appended in test_authz_matrix."""

from __future__ import annotations

OPENDATA_ROWS: list = []
