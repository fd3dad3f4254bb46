"""S8 bad-input cases for the pledges forms (step 4); appended to ``test_limits.FORMS``.

Import ``FormCases`` (and helpers) from ``tests.security.test_limits`` inside this module: it is
imported after ``FORMS`` is defined there. ``PLEDGE_BUTTONS``: POST endpoints that take no fields.

The pledge form is posted by ``plain`` (no organisation of their own) to org A's live campaign of
``rows_pledges.pledge_world``; every case must come back with a form error (or a 4xx) and write
nothing: no pledge, no payment, no ledger account.
"""

from __future__ import annotations

from tests.security.test_limits import FormCases

PLEDGE_KEY = "matrix:pledge"  # rows_pledges.PLEDGE_KEY (not imported: see _world)


def _world(w) -> None:
    # imported here: rows_pledges imports test_authz_matrix, which would be half-initialised
    # when test_limits is collected first
    from tests.security.rows_pledges import pledge_world

    pledge_world(w)


def pledge(w, **changes) -> dict:
    """A valid pledge of ¥600 without a reward, by bank transfer, with a fresh request key."""
    return {"amount": "600", "tier_id": "none", "organization_id": "personal",
            "method": "bank_transfer", "request_key": "limits:new-pledge", **changes}


# fmt: off
PLEDGE_FORMS: list = [
    FormCases("pledge money", "pledges.create", "plain",
              lambda w: f"/campaigns/{w.extra['campaign']}/pledges/new", {
        "empty": lambda w: {},
        "no amount": lambda w: pledge(w, amount=""),
        "amount not a number": lambda w: pledge(w, amount="十元"),
        "amount zero": lambda w: pledge(w, amount="0"),
        "amount negative": lambda w: pledge(w, amount="-100"),
        "amount three decimals": lambda w: pledge(w, amount="1.005"),
        "amount huge": lambda w: pledge(w, amount="9" * 40),
        "amount above one pledge's limit": lambda w: pledge(w, amount="100000001"),
        "amount NaN": lambda w: pledge(w, amount="NaN"),
        "amount infinity": lambda w: pledge(w, amount="Infinity"),
        "amount exponent": lambda w: pledge(w, amount="1e9999"),
        "amount too long": lambda w: pledge(w, amount="1" * 5000),
        "below the reward's minimum": lambda w: pledge(w, tier_id=str(w.extra["open"]),
                                                       amount="99.99"),
        "sold-out reward": lambda w: pledge(w, tier_id=str(w.extra["sold"]), amount="500"),
        "reward of another campaign": lambda w: pledge(w, tier_id="999999"),
        "reward not a number": lambda w: pledge(w, tier_id="abc"),
        "organisation not one's own": lambda w: pledge(w, organization_id=str(w.org_a_id)),
        "organisation not a number": lambda w: pledge(w, organization_id="x"),
        "no method": lambda w: pledge(w, method=""),
        "unknown method": lambda w: pledge(w, method="cheque"),
        "online payment not offered": lambda w: pledge(w, method="stripe"),
        "no request key": lambda w: pledge(w, request_key=""),
        "request key too long": lambda w: pledge(w, request_key="k" * 65),
        "another backer's request key": lambda w: pledge(w, request_key=PLEDGE_KEY,
                                                         tier_id=str(w.extra["sold"]),
                                                         amount="500"),
        "anonymous flag garbage": lambda w: pledge(w, anonymous="yes" * 2000, amount="-1"),
    }, extra=_world),
    FormCases("matchfunding", "pledges.match_fund", "officer",
              lambda w: f"/campaigns/{w.extra['campaign']}/match-fund", {
        "empty": lambda w: {},
        "no cap": lambda w: {"programme_id": str(w.extra["programme"]), "cap": ""},
        "cap zero": lambda w: {"programme_id": str(w.extra["programme"]), "cap": "0"},
        "cap negative": lambda w: {"programme_id": str(w.extra["programme"]), "cap": "-1"},
        "cap huge": lambda w: {"programme_id": str(w.extra["programme"]), "cap": "9" * 30},
        "cap not a number": lambda w: {"programme_id": str(w.extra["programme"]), "cap": "x"},
        "unknown programme": lambda w: {"programme_id": "999999", "cap": "100"},
        "programme not a number": lambda w: {"programme_id": "abc", "cap": "100"},
    }, extra=_world),
]
# fmt: on
PLEDGE_BUTTONS: set[str] = set()
