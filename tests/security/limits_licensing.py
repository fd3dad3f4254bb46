"""S8 bad-input cases for the licensing forms (step 5); appended in ``test_limits``.

The world is that of the S1 rows (``rows_licensing.licensing_world``): org A's technologies
``tech`` (NDA version 1, org B's open offer ``offer`` and enquiry ``enquiry``) and ``free``.
"""

from __future__ import annotations

import io

import tests.security.test_authz_matrix  # noqa: F401  (first: it imports rows_licensing itself)
from tests.security.rows_licensing import licensing_world
from tests.security.test_limits import FormCases

LONG = "长" * 20_001


def _tech(name, suffix):
    return lambda w: f"/licensing/technologies/{w.extra[name]}{suffix}"


def _offer(**changes):
    def data(w):
        values = {"mode": "non_exclusive", "field_of_use": "煤化工", "territory": "山西",
                  "term_years": "4", "upfront_fee": "20000", "royalty": "2.5",
                  "organization_id": str(w.org_b_id)}
        values.update(changes)
        return values
    return data


def _offer_cases(org=True) -> dict:
    cases = {
        "empty": lambda w: {},
        "no term": _offer(term_years=""),
        "zero years": _offer(term_years="0"),
        "51 years": _offer(term_years="51"),
        "years not a number": _offer(term_years="five"),
        "negative fee": _offer(upfront_fee="-1"),
        "fee not money": _offer(upfront_fee="lots"),
        "fee in tenths of fen": _offer(upfront_fee="1.005"),
        "huge fee": _offer(upfront_fee="9" * 30),
        "royalty over 100": _offer(royalty="100.5"),
        "royalty negative": _offer(royalty="-2"),
        "royalty not a number": _offer(royalty="a lot"),
        "unknown mode": _offer(mode="rent"),
        "field of use too long": _offer(field_of_use="域" * 301),
        "territory too long": _offer(territory="地" * 201),
        "message too long": _offer(message="言" * 4001),
        "milestone without title": _offer(**{"milestones-0-amount": "100"}),
        "milestone bad date": _offer(**{"milestones-0-title": "量产",
                                        "milestones-0-due": "2027-02-30"}),
        "milestone bad amount": _offer(**{"milestones-0-title": "量产",
                                          "milestones-0-amount": "abc"}),
        "milestone title too long": _offer(**{"milestones-0-title": "题" * 201}),
    }
    if org:
        cases["someone else's organisation"] = _offer(organization_id="999999")
        cases["the owner's organisation"] = lambda w: {**_offer()(w),
                                                        "organization_id": str(w.org_a_id)}
    return cases


L = {"extra": licensing_world}

# fmt: off
LICENSING_FORMS: list = [
    FormCases("edit the disclosure", "licensing.edit_disclosure", "owner_a",
              _tech("tech", "/disclosure"), {
                  "empty (would empty the NDA)": lambda w: {},
                  "problem too long": lambda w: {"problem": LONG, "nda_text": "保密协议"},
                  "confidential text too long": lambda w: {"confidential_text": LONG,
                                                           "nda_text": "保密协议"},
                  "NDA too long": lambda w: {"nda_text": LONG},
                  "NDA blanked": lambda w: {"nda_text": "   "},
              }, **L),
    FormCases("upload a confidential file", "licensing.upload_file", "owner_a",
              _tech("tech", "/files"), {
                  "empty": lambda w: {},
                  "html named pdf": lambda w: {"file": (io.BytesIO(b"<html><script>"), "a.pdf")},
                  "executable": lambda w: {"file": (io.BytesIO(b"MZ\x90\x00\x03"), "a.docx")},
                  "zip that is not docx": lambda w: {
                      "file": (io.BytesIO(b"PK\x03\x04xx"), "a.docx")},
                  "empty file": lambda w: {"file": (io.BytesIO(b""), "a.pdf")},
              }, **L),
    FormCases("accept an NDA", "licensing.accept_nda", "other_org",
              _tech("tech", "/nda/accept"), {
        "empty": lambda w: {},
        "old version": lambda w: {"version": "0", "organization_id": str(w.org_b_id)},
        "future version": lambda w: {"version": "2", "organization_id": str(w.org_b_id)},
        "version not a number": lambda w: {"version": "v1", "organization_id": str(w.org_b_id)},
        "organisation not a number": lambda w: {"version": "1", "organization_id": "abc"},
        "someone else's organisation": lambda w: {"version": "1",
                                                  "organization_id": str(w.org_a_id)},
    }, **L),
    FormCases("send an enquiry", "licensing.enquire", "other_org", _tech("tech", "/enquiry"), {
        "empty": lambda w: {},
        "blank": lambda w: {"message": "   ", "organization_id": str(w.org_b_id)},
        "too long": lambda w: {"message": "言" * 4001, "organization_id": str(w.org_b_id)},
        "someone else's organisation": lambda w: {"message": "你好",
                                                  "organization_id": str(w.org_a_id)},
    }, **L),
    FormCases("decline an enquiry", "licensing.decline_enquiry", "owner_a",
              lambda w: f"/licensing/enquiries/{w.extra['enquiry']}/decline", {
                  "empty": lambda w: {},
                  "unknown reason": lambda w: {"reason": "bored"},
                  "note too long": lambda w: {"reason": "price", "note": "注" * 1001},
              }, **L),
    FormCases("make an offer", "licensing.make_offer", "other_org", _tech("free", "/offer"),
              _offer_cases(), **L),
    FormCases("counter an offer", "licensing.counter", "owner_a",
              lambda w: f"/licensing/offers/{w.extra['offer']}/counter", _offer_cases(org=False),
              **L),
    FormCases("decline an offer", "licensing.decline_offer", "owner_a",
              lambda w: f"/licensing/offers/{w.extra['offer']}/decline", {
                  "empty": lambda w: {},
                  "unknown reason": lambda w: {"reason": "bored"},
                  "note too long": lambda w: {"reason": "terms", "note": "注" * 1001},
              }, **L),
]
# fmt: on
LICENSING_BUTTONS: set[str] = {"licensing.delete_file", "licensing.withdraw", "licensing.accept"}
