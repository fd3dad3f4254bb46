"""S8 bad-input cases for the marketplace.statistics forms (step 7); appended in test_limits.

The statistics pages have no POST form: the only form is the GET filter (start, end, district)
shared by the pages and the exports. Its bad values (impossible dates, start after end, a period
over ten years, unknown or over-long district codes) are checked for a form error with a 400 —
never a 500 — in tests/marketplace/statistics/test_views.py::test_bad_filters_are_form_errors
and in the S1 rows (``rows_statistics``: "bad-filter", "bad-district").
"""

from __future__ import annotations

STATISTICS_FORMS: list = []
STATISTICS_BUTTONS: set[str] = set()  # POST endpoints with no fields
