"""S8 bad-input cases for the recommendation forms (step 6); appended in ``test_limits``.

The world is that of the S1 rows (``rows_recommendations.recommendation_world``): org A's member
marks org B's technology ``tech_b`` not relevant; the invite is a button (CSRF token only).
"""

from __future__ import annotations

import tests.security.test_authz_matrix  # noqa: F401  (first: it imports rows_recommendations)
from tests.security.rows_recommendations import recommendation_world
from tests.security.test_limits import FormCases

R = {"extra": recommendation_world}

# fmt: off
RECOMMENDATION_FORMS: list = [
    FormCases("mark not relevant", "recommendations.not_relevant", "member_a",
              lambda w: f"/recommendations/{w.org_a_id}/not-relevant/{w.extra['tech_b']}", {
                  "empty": lambda w: {},
                  "unknown reason": lambda w: {"reason": "boring"},
                  "reason too long": lambda w: {"reason": "too_far" * 100},
                  "unknown tab": lambda w: {"reason": "too_far", "kind": "need"},
                  "tab not a kind": lambda w: {"reason": "too_far", "kind": "<script>"},
              }, **R),
]
# fmt: on
RECOMMENDATION_BUTTONS: set[str] = {"recommendations.invite"}  # POST endpoints with no fields
