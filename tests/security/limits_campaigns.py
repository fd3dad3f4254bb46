"""S8 bad-input cases for the campaigns forms (step 4); appended to ``test_limits.FORMS``.

Import ``FormCases`` (and helpers) from ``tests.security.test_limits`` inside this module: it is
imported after ``FORMS`` is defined there. ``CAMPAIGN_BUTTONS``: POST endpoints that take no fields.
The worlds are those of the S1 rows (``rows_campaigns.campaign_world`` / ``grant_world``).
"""

from __future__ import annotations

import tests.security.test_authz_matrix  # noqa: F401  (first: it imports rows_campaigns itself)
from tests.security.rows_campaigns import booking_slot, campaign_world, grant_world
from tests.security.test_limits import FormCases

LONG = "长" * 4001


def _camp(name, suffix):
    return lambda w: f"/campaigns/{w.extra[name]}{suffix}"


def _offer(**changes):
    return lambda w: {"skill": "PCB设计", "hours": "8", "note": "", **changes}


def _pledge(**changes):
    return lambda w: {"kind": "equipment", "description": "示波器", "quantity": "1", **changes}


C = {"extra": campaign_world}

# fmt: off
CAMPAIGN_FORMS: list = [
    FormCases("submit a campaign", "campaigns.submit", "owner_a", _camp("draft", "/submit"), {
        "empty": lambda w: {},
        "zero days": lambda w: {"duration_days": "0"},
        "61 days": lambda w: {"duration_days": "61"},
        "not a number": lambda w: {"duration_days": "a month"},
        "negative": lambda w: {"duration_days": "-5"},
        "huge": lambda w: {"duration_days": "9" * 30},
    }, **C),
    FormCases("send a campaign back", "campaigns.send_back", "officer",
              _camp("submitted", "/send-back"), {
                  "empty": lambda w: {},
                  "blank": lambda w: {"reasons": "   "},
                  "too long": lambda w: {"reasons": "改" * 4001},
              }, **C),
    FormCases("offer expertise", "campaigns.offer_expertise", "other_org",
              _camp("live", "/expertise"), {
                  "empty": lambda w: {},
                  "no skill": _offer(skill=" "),
                  "zero hours": _offer(hours="0"),
                  "too many hours": _offer(hours="2001"),
                  "hours not a number": _offer(hours="ten"),
                  "skill too long": _offer(skill="技" * 201),
                  "note too long": _offer(note=LONG),
                  "unknown need": _offer(need_id="999999"),
                  "someone else's organisation": lambda w: {
                      **_offer()(w), "organization_id": str(w.org_a_id)},
                  "not a number organisation": _offer(organization_id="abc"),
              }, **C),
    FormCases("pledge resources", "campaigns.pledge_resource", "other_org",
              _camp("live", "/resources"), {
                  "empty": lambda w: {},
                  "unknown kind": _pledge(kind="rocket"),
                  "no description": _pledge(description=""),
                  "zero quantity": _pledge(quantity="0"),
                  "huge quantity": _pledge(quantity="100001"),
                  "instrument hours without hours": _pledge(kind="instrument_hours"),
                  "instrument hours without instrument": _pledge(kind="instrument_hours",
                                                                 hours="3"),
                  "too many hours": _pledge(kind="instrument_hours", hours="2001"),
                  "someone else's listing": _pledge(listing_id="999999"),
                  "description too long": _pledge(description="描" * 501),
              }, **C),
    FormCases("ask a question", "campaigns.ask", "plain", _camp("live", "/questions"), {
        "empty": lambda w: {},
        "blank": lambda w: {"question": "  "},
        "too long": lambda w: {"question": "问" * 2001},
    }, **C),
    FormCases("post an update", "campaigns.post_update", "owner_a", _camp("live", "/updates"), {
        "empty": lambda w: {},
        "no title": lambda w: {"title": "", "body": "正文"},
        "no body": lambda w: {"title": "标题", "body": " "},
        "title too long": lambda w: {"title": "标" * 201, "body": "正文"},
        "body too long": lambda w: {"title": "标题", "body": "文" * 10_001},
    }, **C),
    FormCases("answer a question", "campaigns.answer", "owner_a",
              lambda w: f"/campaigns/questions/{w.extra['question']}/answer", {
                  "empty": lambda w: {},
                  "blank": lambda w: {"answer": " "},
                  "too long": lambda w: {"answer": LONG},
              }, **C),
    FormCases("decline an expertise offer", "campaigns.decline_offer", "owner_a",
              lambda w: f"/campaigns/offers/{w.extra['offer']}/decline", {
                  "empty": lambda w: {},
                  "blank": lambda w: {"reason": "  "},
                  "too long": lambda w: {"reason": "拒" * 2001},
              }, **C),
    FormCases("decline a resource pledge", "campaigns.decline_pledge", "owner_a",
              lambda w: f"/campaigns/resource-pledges/{w.extra['pledge']}/decline", {
                  "empty": lambda w: {},
                  "blank": lambda w: {"reason": "  "},
              }, **C),
    FormCases("book pledged hours", "campaigns.book_pledged", "owner_a",
              lambda w: f"/campaigns/pledged-hours/{w.extra['grant']}/book", {
                  "empty": lambda w: {},
                  "no key": lambda w: {**booking_slot(w), "request_key": ""},
                  "not a day": lambda w: {**booking_slot(w), "day": "tomorrow"},
                  "bad clock": lambda w: {**booking_slot(w), "start": "9 o'clock"},
                  "end before start": lambda w: {**booking_slot(w), "end": "08:30"},
                  "beyond the grant": lambda w: {**booking_slot(w), "end": "12:00"},
                  "closed hours": lambda w: {**booking_slot(w), "start": "12:00", "end": "13:00"},
                  "year 3000": lambda w: {**booking_slot(w), "day": "3000-01-01"},
                  "key too long": lambda w: {**booking_slot(w), "request_key": "k" * 65},
              }, extra=grant_world),
]
# fmt: on
CAMPAIGN_BUTTONS: set[str] = {"campaigns.launch", "campaigns.approve", "campaigns.accept_offer",
                              "campaigns.accept_pledge"}
