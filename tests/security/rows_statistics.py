"""S1 authorization-matrix rows for marketplace.statistics (step 7); appended in test_authz_matrix."""

from __future__ import annotations

STATISTICS_ROWS: list = []
