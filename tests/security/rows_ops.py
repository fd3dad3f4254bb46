"""S1 rows for the operations routes (step 8); appended to ``test_authz_matrix.ROWS``.

/readyz and /metrics need no login and answer every persona alike: the matrix's clients are
loopback callers without proxy headers, so /metrics is 200 to all of them (a remote caller
without the METRICS_TOKEN bearer token gets 404: tests/marketplace/ops/test_metrics.py). Neither
writes. /healthz is ``main.healthz`` (row in test_authz_matrix.ROWS).
"""

from __future__ import annotations

from tests.security.test_authz_matrix import ALL, Row, fixed

# fmt: off
#                                        anon  plain memA ownA  other offcr admin
OPS_ROWS: list = [
    Row("ops.readyz", "GET", "", ALL("200"), fixed("/readyz")),
    Row("ops.metrics", "GET", "", ALL("200"), fixed("/metrics")),
]
# fmt: on
