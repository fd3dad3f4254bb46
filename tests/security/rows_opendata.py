"""S1 rows for the open-data routes (step 7); appended to ``test_authz_matrix.ROWS``.

Open data is public: the page, its chart script and every dataset answer 200 to every persona
(no login, no difference between personas) and never write; a bad filter is a 400 to everyone.
The ``published`` variants build the world's instruments (orgs A and B, published) so that the
instruments dataset has rows.
"""

from __future__ import annotations

from tests.security.test_authz_matrix import ALL, PUB, Row, fixed

DATASETS = ("instruments", "providers", "vouchers", "listings", "summary")

# fmt: off
#                                                   anon  plain memA ownA  other offcr admin
OPENDATA_ROWS: list = [
    Row("opendata.index", "GET", "", ALL("200"), fixed("/open-data/")),
    Row("opendata.index", "GET", "published", ALL("200"),
        fixed("/open-data/?district=140403&start=2026-01-01"), listing_status=PUB),
    Row("opendata.index", "GET", "bad-filter", ALL("400"), fixed("/open-data/?end=2026-02-30")),
    Row("opendata.static", "GET", "", ALL("200"), fixed("/open-data/static/opendata/charts.js")),
    Row("opendata.static", "GET", "missing", ALL("404"), fixed("/open-data/static/nothing.js")),
    Row("opendata_api.catalogue", "GET", "", ALL("200"), fixed("/api/v1/open")),
    *[Row("opendata_api.dataset", "GET", name, ALL("200"), fixed(f"/api/v1/open/{name}"))
      for name in DATASETS],
    Row("opendata_api.dataset", "GET", "published", ALL("200"),
        fixed("/api/v1/open/instruments?district=140403"), listing_status=PUB),
    Row("opendata_api.dataset", "GET", "format-csv", ALL("200"),
        fixed("/api/v1/open/vouchers?format=csv")),
    Row("opendata_api.dataset", "GET", "bad-filter", ALL("400"),
        fixed("/api/v1/open/vouchers?district=999999")),
    *[Row("opendata_api.dataset_csv", "GET", name, ALL("200"), fixed(f"/api/v1/open/{name}.csv"))
      for name in DATASETS],
    Row("opendata_api.dataset_csv", "GET", "bad-filter", ALL("400"),
        fixed("/api/v1/open/summary.csv?start=tomorrow")),
]
# fmt: on
