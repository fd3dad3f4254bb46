"""S8 bad-input cases for the needs forms (step 5); appended in ``test_limits``.

The world is that of the S1 rows (``rows_needs.need_world``): org A's needs ``open`` (org B's
open proposal ``prop``), ``fresh``, ``draft``, ``solved``; org B's published technology
``patent``. Posting a need goes through ``publishing.create`` (kind ``need``).
"""

from __future__ import annotations

import tests.security.test_authz_matrix  # noqa: F401  (first: it imports rows_needs itself)
from tests.security.rows_needs import need_world
from tests.security.test_limits import FormCases


def _need(**changes):
    def data(w):
        from datetime import timedelta

        from marketplace.extensions import utcnow

        values = {"organization_id": str(w.org_a_id), "title_zh": "寻求耐磨涂层",
                  "description": "轴承座磨损", "district_code": "140403",
                  "solution_kinds": ["technology"], "budget_fen": "1000",
                  "deadline": (utcnow() + timedelta(days=20)).date().isoformat()}
        values.update(changes)
        return values

    return data


def _proposal(**changes):
    def data(w):
        values = {"organization_id": str(w.org_b_id), "listing_ids": [str(w.extra["patent"])],
                  "message": "我们可以解决", "price_fen": "5000"}
        values.update(changes)
        return values

    return data


N = {"extra": need_world}

# fmt: off
NEED_FORMS: list = [
    FormCases("post a need", "publishing.create", "owner_a", lambda w: "/listings/new/need", {
        "empty": lambda w: {},
        "no solution kind": _need(solution_kinds=[]),
        "unknown solution kind": _need(solution_kinds=["rocket"]),
        "negative budget": _need(budget_fen="-1"),
        "budget not a number": _need(budget_fen="lots"),
        "budget too precise": _need(budget_fen="1.234"),
        "no deadline": _need(deadline=""),
        "deadline in the past": _need(deadline="2020-01-01"),
        "deadline not a date": _need(deadline="soon"),
        "no title": _need(title_zh="", title_en=""),
        "unknown district": _need(district_code="999999"),
        "another organisation": _need(organization_id="999999"),
    }, **N),
    FormCases("edit a need", "publishing.edit", "owner_a",
              lambda w: f"/listings/{w.extra['open']}/edit", {
                  "empty": lambda w: {},
                  "no solution kind": _need(solution_kinds=[]),
                  "deadline in the past": _need(deadline="2020-01-01"),
                  "negative budget": _need(budget_fen="-1"),
              }, **N),
    FormCases("propose a solution", "needs.propose", "other_org",
              lambda w: f"/needs/{w.extra['fresh']}/proposals", {
                  "empty": lambda w: {},
                  "no message": _proposal(message="  "),
                  "message too long": _proposal(message="长" * 4001),
                  "no listing": _proposal(listing_ids=[]),
                  "unknown listing": _proposal(listing_ids=["999999"]),
                  "listing not a number": _proposal(listing_ids=["abc"]),
                  "someone else's listing": lambda w: _proposal(
                      listing_ids=[str(w.extra["open"])])(w),
                  "negative price": _proposal(price_fen="-1"),
                  "price not a number": _proposal(price_fen="free"),
                  "someone else's organisation": _proposal(organization_id=str(0)),
                  "organisation not a number": _proposal(organization_id="abc"),
              }, **N),
    FormCases("decline a proposal", "needs.decline", "owner_a",
              lambda w: f"/needs/proposals/{w.extra['prop']}/decline", {
                  "empty": lambda w: {},
                  "unknown reason": lambda w: {"reason": "bored"},
                  "note too long": lambda w: {"reason": "price", "note": "长" * 1001},
              }, **N),
    FormCases("solve a need", "needs.solve", "owner_a",
              lambda w: f"/needs/{w.extra['open']}/solve", {
                  "empty": lambda w: {},
                  "not a number": lambda w: {"proposal_id": "abc"},
                  "unknown proposal": lambda w: {"proposal_id": "999999"},
                  "another need's proposal": lambda w: {"proposal_id": str(w.extra["chosen"])},
                  "negative": lambda w: {"proposal_id": "-3"},
              }, **N),
]
# fmt: on
NEED_BUTTONS: set[str] = {"needs.shortlist", "needs.withdraw"}  # POST endpoints that take no fields
