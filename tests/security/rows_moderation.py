"""S1 authorization-matrix rows for marketplace.moderation (step 7); appended in test_authz_matrix."""

from __future__ import annotations

MODERATION_ROWS: list = []
