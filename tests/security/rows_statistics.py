"""S1 authorization-matrix rows for marketplace.statistics (step 7); appended in test_authz_matrix.

The dashboard is for officers (and admins, who are officers too): everyone else signed in gets a
403, an anonymous visitor the login page. The rows walk the step-3 world (a lab's instrument
booked with vouchers) so the pages have figures to show. Every route is a GET that writes
nothing (the matrix checks the database stays as it was). Bad filters are a 400 for officers.
"""

from __future__ import annotations

from tests.security.test_authz_matrix import ALL, OFFICERS, Row, fixed

S3 = {"step3": True}

# fmt: off
#                                                  anon  plain memA ownA  other offcr admin
STATISTICS_ROWS: list = [
    Row("statistics.index", "GET", "", OFFICERS("200"), fixed("/office/statistics/"), **S3),
    Row("statistics.index", "GET", "filtered", OFFICERS("200"),
        fixed("/office/statistics/?start=2026-01-01&end=2027-12-31&district=140403"), **S3),
    Row("statistics.index", "GET", "bad-filter", OFFICERS("400"),
        fixed("/office/statistics/?start=2026-02-31"), **S3),
    Row("statistics.instruments", "GET", "", OFFICERS("200"),
        fixed("/office/statistics/instruments"), **S3),
    Row("statistics.instruments", "GET", "bad-district", OFFICERS("400"),
        fixed("/office/statistics/instruments?district=999999"), **S3),
    Row("statistics.marketplace", "GET", "", OFFICERS("200"),
        fixed("/office/statistics/marketplace"), **S3),
    Row("statistics.export", "GET", "csv", OFFICERS("200"),
        fixed("/office/statistics/export/voucher_layers.csv"), **S3),
    Row("statistics.export", "GET", "xlsx", OFFICERS("200"),
        fixed("/office/statistics/export/instruments.xlsx"), **S3),
    Row("statistics.export", "GET", "unknown-table", OFFICERS("404"),
        fixed("/office/statistics/export/users.csv"), **S3),
    Row("statistics.export", "GET", "bad-filter", OFFICERS("400"),
        fixed("/office/statistics/export/providers.csv?end=tomorrow"), **S3),
]
# fmt: on
