"""S8 bad-input cases for the marketplace.integrity forms (step 7); appended in test_limits.

The world is that of the S1 rows (``rows_integrity.integrity_world``): an open signal and an open
case on org A with a credit note; the officer clears, opens cases and acts on the case; org A's
member responds to the note. Unfreeze and scan are buttons (CSRF token only).
"""

from __future__ import annotations

import tests.security.test_authz_matrix  # noqa: F401  (first: it imports rows_integrity)
from tests.security.rows_integrity import integrity_world
from tests.security.test_limits import FormCases

I = {"extra": integrity_world}


def _case(suffix):
    return lambda w: f"/office/integrity/cases/{w.extra['case']}{suffix}"


# fmt: off
INTEGRITY_FORMS: list = [
    FormCases("clear a signal", "integrity.clear", "officer",
              lambda w: f"/office/integrity/signals/{w.extra['signal']}/clear", {
                  "empty": lambda w: {},
                  "blank": lambda w: {"note": "   "},
                  "too long": lambda w: {"note": "x" * 2001},
              }, **I),
    FormCases("open a case", "integrity.open_case", "officer",
              lambda w: f"/office/integrity/signals/{w.extra['signal']}/case", {
                  "empty": lambda w: {},
                  "unknown organisation": lambda w: {"organization_id": "999999", "summary": "x"},
                  "not a number": lambda w: {"organization_id": "<script>", "summary": "x"},
                  "summary too long": lambda w: {"organization_id": str(w.org_a_id),
                                                 "summary": "x" * 2001},
              }, **I),
    FormCases("freeze voucher use", "integrity.freeze", "officer", _case("/freeze"), {
        "empty": lambda w: {},
        "too long": lambda w: {"reason": "x" * 2001},
    }, **I),
    FormCases("claw back a transfer", "integrity.clawback", "officer", _case("/clawback"), {
        "empty": lambda w: {},
        "not a number": lambda w: {"transfer_id": "abc", "reason": "x"},
        "negative": lambda w: {"transfer_id": "-1", "reason": "x"},
        "huge": lambda w: {"transfer_id": "9" * 30, "reason": "x"},
        "no reason": lambda w: {"transfer_id": "1", "reason": ""},
    }, **I),
    FormCases("credit note", "integrity.note", "officer", _case("/note"), {
        "empty": lambda w: {},
        "too long": lambda w: {"text": "x" * 2001},
    }, **I),
    FormCases("close a case", "integrity.close", "officer", _case("/close"), {
        "empty": lambda w: {},
        "too long": lambda w: {"note": "x" * 2001},
    }, **I),
    FormCases("respond to a credit note", "integrity.respond", "member_a",
              lambda w: f"/integrity/credit-notes/{w.extra['note']}/respond", {
                  "empty": lambda w: {},
                  "blank": lambda w: {"text": "  "},
                  "too long": lambda w: {"text": "x" * 2001},
              }, **I),
]
# fmt: on
# POST endpoints with no fields
INTEGRITY_BUTTONS: set[str] = {"integrity.unfreeze", "integrity.scan"}
