"""S1 rows for the pledges routes (step 4); appended to ``test_authz_matrix.ROWS``.

Import what you need from ``tests.security.test_authz_matrix`` (Row, ALL, OFFICERS, S3, …) inside
this module: it is imported at the end of that module, once those names exist.
"""

from __future__ import annotations

PLEDGE_ROWS: list = []
