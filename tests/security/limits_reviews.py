"""S8 bad-input cases for the reviews forms (step 5); appended in ``test_limits``.

Worlds: the step-3 world (other_org booked org A's instrument; booking ``owed`` is completed),
with ``rows_reviews.review_world`` for the report form.
"""

from __future__ import annotations

import tests.security.test_authz_matrix  # noqa: F401  (first: it imports rows_reviews)
from tests.security.rows_reviews import review_world
from tests.security.test_limits import FormCases

# fmt: off
REVIEW_FORMS: list = [
    FormCases("review a booking", "reviews.create", "other_org",
              lambda w: f"/reviews/booking/{w.bookings['owed']}", {
                  "empty": lambda w: {},
                  "no stars": lambda w: {"text": "很好"},
                  "zero stars": lambda w: {"stars": "0"},
                  "six stars": lambda w: {"stars": "6"},
                  "negative": lambda w: {"stars": "-1"},
                  "not a number": lambda w: {"stars": "five"},
                  "huge": lambda w: {"stars": "9" * 30},
                  "text too long": lambda w: {"stars": "4", "text": "长" * 2001},
              }, step3=True),
    FormCases("report a review", "reviews.report", "member_a",
              lambda w: f"/reviews/{w.extra['review']}/report", {
                  "empty": lambda w: {},
                  "blank": lambda w: {"reason": "   "},
                  "too long": lambda w: {"reason": "报" * 2001},
              }, step3=True, extra=review_world),
]
# fmt: on
REVIEW_BUTTONS: set[str] = {"reviews.hide", "reviews.dismiss"}
