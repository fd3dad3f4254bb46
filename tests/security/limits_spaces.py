"""S8 bad-input cases for the spaces forms (step 5); appended in ``test_limits``.

The world is that of the S1 rows (``rows_spaces.space_world``): org B (other_org) asks about
org A's space; owner_a answers. Accepting an offer, withdrawing it, cancelling a viewing and
ending a lease are buttons (CSRF only)."""

from __future__ import annotations

import tests.security.test_authz_matrix  # noqa: F401  (first: it imports rows_spaces itself)
from tests.security.rows_spaces import offer_form, space_world, viewing_form
from tests.security.test_limits import FormCases

S = {"extra": space_world}


def _url(key: str, suffix: str):
    return lambda w: f"/spaces/{key.format(**w.extra)}{suffix}"


def _viewing(**changes):
    return lambda w: {**viewing_form()(w), **changes}


def _offer(**changes):
    return lambda w: {**offer_form()(w), **changes}


# fmt: off
SPACE_FORMS: list = [
    FormCases("request a viewing", "spaces.request_viewing", "other_org",
              _url("{space}", "/viewings/new"), {
                  "empty": lambda w: {},
                  "no time": _viewing(time_1=""),
                  "not a time": _viewing(time_1="next Tuesday"),
                  "no date": _viewing(time_1="10:00"),
                  "past": _viewing(time_1="2020-01-01T10:00"),
                  "too far": _viewing(time_1="2099-01-01T10:00"),
                  "same time twice": lambda w: {**viewing_form()(w),
                                                "time_2": viewing_form()(w)["time_1"]},
                  "note too long": _viewing(note="长" * 1001),
                  "someone else's organisation": lambda w: {**viewing_form()(w),
                                                            "organization_id": str(w.org_a_id)},
                  "organisation not a number": _viewing(organization_id="abc"),
              }, **S),
    FormCases("accept a viewing", "spaces.accept_viewing", "owner_a",
              _url("viewings/{viewing_requested}", "/accept"), {
                  "empty": lambda w: {},
                  "not a choice": lambda w: {"chosen": "4"},
                  "not a number": lambda w: {"chosen": "first"},
              }, **S),
    FormCases("decline a viewing", "spaces.decline_viewing", "owner_a",
              _url("viewings/{viewing_requested}", "/decline"), {
                  "empty": lambda w: {},
                  "blank": lambda w: {"reason": "   "},
                  "too long": lambda w: {"reason": "因" * 1001},
              }, **S),
    FormCases("make a lease offer", "spaces.make_offer", "other_org",
              _url("{space}", "/offers/new"), {
                  "empty": lambda w: {},
                  "zero area": _offer(area_m2="0"),
                  "more than free": _offer(area_m2="1001"),
                  "area not a number": _offer(area_m2="half"),
                  "area huge": _offer(area_m2="9" * 30),
                  "rent negative": _offer(monthly_rent="-1"),
                  "rent not money": _offer(monthly_rent="lots"),
                  "rent three decimals": _offer(monthly_rent="1.234"),
                  "term too short": _offer(term_months="3"),
                  "term too long": _offer(term_months="241"),
                  "start in the past": _offer(start_date="2020-01-01"),
                  "start not a date": _offer(start_date="soon"),
                  "no deposit": _offer(deposit=""),
                  "deposit negative": _offer(deposit="-100"),
                  "message too long": _offer(message="长" * 2001),
                  "someone else's organisation": lambda w: {**offer_form()(w),
                                                            "organization_id": str(w.org_a_id)},
              }, **S),
    FormCases("decline a lease offer", "spaces.decline_offer", "owner_a",
              _url("offers/{offer_open}", "/decline"), {
                  "empty": lambda w: {},
                  "unknown reason": lambda w: {"reason": "cheap"},
                  "note too long": lambda w: {"reason": "price", "note": "贵" * 1001},
              }, **S),
]
# fmt: on
SPACE_BUTTONS: set[str] = {"spaces.accept_offer", "spaces.withdraw_offer",
                           "spaces.cancel_viewing", "spaces.end_lease"}
