"""S1 rows for the licensing routes (step 5); appended to ``test_authz_matrix.ROWS``.

The world (``licensing_world``, built through the real operations): org A (owner_a, member_a)
has three published technologies: ``tech`` with a disclosure, an NDA (version 1) and a
confidential file ``file``, on which org B (other_org) has an open offer ``offer`` (and so an
enquiry ``enquiry``); ``free`` with no offers yet; ``done``, licensed to org B (``agreement``).
Org B has not accepted the NDA (variant ``accepted``: it has). The owner's pages are a 403 to
non-members (officers too: they read, they do not edit); offers and agreements are a 404 to
everyone outside the two organisations except officers; the receiving side (org A) accepts or
declines org B's offer, its author (org B) withdraws it, either side counters.
"""

from __future__ import annotations

import io

from tests.security.test_authz_matrix import ALL, Row

PDF = b"%PDF-1.4\n%matrix\n%%EOF"


def _user(w, persona):
    from marketplace.auth.models import User
    from marketplace.extensions import db

    return db.session.get(User, w.uid(persona))


def _terms(**changes):
    values = {"mode": "non_exclusive", "field_of_use": "煤化工", "territory": "山西",
              "term_years": 3, "upfront_fee_fen": 1_000_000, "royalty_bp": 200, "milestones": []}
    values.update(changes)
    return values


def licensing_world(w, *, accepted: bool = False) -> None:
    from marketplace.extensions import db, utcnow
    from marketplace.licensing import operations as ops
    from marketplace.organizations.models import Organization
    from tests.marketplace.licensing.helpers import make_technology

    now = utcnow()
    org_a, org_b = (db.session.get(Organization, i) for i in (w.org_a_id, w.org_b_id))
    owner, other = _user(w, "owner_a"), _user(w, "other_org")
    tech, free, done = (make_technology(org_a, title_zh=f"矩阵技术{n}") for n in range(3))
    ops.update_disclosure(db.session, tech, owner, problem="问题", advantages="优势",
                          applications="应用", confidential_text="机密", nda_text="保密协议",
                          now=now)
    item = ops.add_confidential_file(db.session, tech, owner, filename="图纸.pdf",
                                     stream=io.BytesIO(PDF), now=now)
    offer = ops.make_offer(db.session, tech, other, terms=_terms(), now=now)
    agreement = ops.conclude_agreement(db.session, technology=done, licensee_org=org_b,
                                       terms=_terms(), now=now)
    if accepted:
        ops.accept_nda(db.session, tech, other, version=1, now=now)
    db.session.commit()
    w.extra.update(tech=tech.id, free=free.id, done=done.id, file=item.id, offer=offer.id,
                   enquiry=ops.get_enquiry(db.session, tech, org_b).id, agreement=agreement.id)


def _accepted_world(w) -> None:
    licensing_world(w, accepted=True)


def _tech(name, suffix=""):
    return lambda w: f"/licensing/technologies/{w.extra[name]}{suffix}"


def _path(kind, name, suffix=""):
    return lambda w: f"/licensing/{kind}/{w.extra[name]}{suffix}"


def _offer_form(w, **changes):
    data = {"mode": "non_exclusive", "field_of_use": "煤化工", "territory": "山西",
            "term_years": "4", "upfront_fee": "20000", "royalty": "2.5", "message": "矩阵"}
    data.update(changes)
    return data


L = {"extra": licensing_world}

# fmt: off
#                                                  anon  plain memA ownA  other offcr admin
LICENSING_ROWS: list = [
    Row("licensing.index", "GET", "", "L    200  200  200  200  200  200", lambda w: "/licensing/",
        **L),
    # --- the owner's disclosure, NDA and files --------------------------------------------------
    Row("licensing.edit_disclosure", "GET", "", "L    403  200  200  403  403  403",
        _tech("tech", "/disclosure"), **L),
    Row("licensing.edit_disclosure", "POST", "", "L    403  302! 302! 403  403  403",
        _tech("tech", "/disclosure"),
        lambda w: {"problem": "新问题", "advantages": "", "applications": "",
                   "confidential_text": "新机密", "nda_text": "保密协议第二版"}, **L),
    Row("licensing.upload_file", "GET", "", ALL("405"), _tech("tech", "/files"), **L),
    Row("licensing.upload_file", "POST", "", "L    403  302! 302! 403  403  403",
        _tech("tech", "/files"), lambda w: {"file": (io.BytesIO(PDF), "报告.pdf")}, **L),
    Row("licensing.delete_file", "GET", "", ALL("405"), _path("files", "file", "/delete"), **L),
    Row("licensing.delete_file", "POST", "", "L    403  302! 302! 403  403  403",
        _path("files", "file", "/delete"), **L),
    Row("licensing.file", "GET", "", "L    404  200  200  404  200  200", _path("files", "file"),
        **L),
    Row("licensing.file", "GET", "accepted", "L    404  200  200  200  200  200",
        _path("files", "file"), extra=_accepted_world),
    # --- NDA and the confidential part --------------------------------------------------------
    Row("licensing.nda", "GET", "", "L    200  200  200  200  200  200", _tech("tech", "/nda"),
        **L),
    Row("licensing.nda", "GET", "no-nda", "L    404  404  404  404  404  404",
        _tech("free", "/nda"), **L),
    Row("licensing.accept_nda", "GET", "", ALL("405"), _tech("tech", "/nda/accept"), **L),
    Row("licensing.accept_nda", "POST", "", "L    400  400  400  302! 400  400",
        _tech("tech", "/nda/accept"),
        lambda w: {"version": "1", "organization_id": str(w.org_b_id)},
        **L),
    Row("licensing.confidential", "GET", "", "L    302  200  200  302  200  200",
        _tech("tech", "/confidential"), **L),
    Row("licensing.confidential", "GET", "accepted", "L    302  200  200  200  200  200",
        _tech("tech", "/confidential"), extra=_accepted_world),
    # --- enquiries ------------------------------------------------------------------------------
    Row("licensing.enquire", "GET", "", "L    200  200  200  200  200  200",
        _tech("tech", "/enquiry"), **L),
    Row("licensing.enquire", "POST", "", "L    400  400  400  302! 400  400",
        _tech("tech", "/enquiry"),
        lambda w: {"message": "请联系", "organization_id": str(w.org_b_id)}, **L),
    Row("licensing.decline_enquiry", "GET", "", ALL("405"),
        _path("enquiries", "enquiry", "/decline"), **L),
    Row("licensing.decline_enquiry", "POST", "", "L    404  302! 302! 403  403  403",
        _path("enquiries", "enquiry", "/decline"), lambda w: {"reason": "price"}, **L),
    # --- offers ---------------------------------------------------------------------------------
    Row("licensing.make_offer", "GET", "", "L    200  200  200  200  200  200",
        _tech("free", "/offer"), **L),
    Row("licensing.make_offer", "POST", "", "L    400  400  400  302! 400  400",
        _tech("free", "/offer"), lambda w: _offer_form(w, organization_id=str(w.org_b_id)), **L),
    Row("licensing.make_offer", "POST", "open-offer", "L    400  400  400  409  400  400",
        _tech("tech", "/offer"), lambda w: _offer_form(w, organization_id=str(w.org_b_id)), **L),
    Row("licensing.offer", "GET", "", "L    404  200  200  200  200  200",
        _path("offers", "offer"), **L),
    Row("licensing.counter", "GET", "", ALL("405"), _path("offers", "offer", "/counter"), **L),
    Row("licensing.counter", "POST", "", "L    404  302! 302! 302! 403  403",
        _path("offers", "offer", "/counter"), lambda w: _offer_form(w, upfront_fee="30000"),
        **L),
    Row("licensing.withdraw", "GET", "", ALL("405"), _path("offers", "offer", "/withdraw"), **L),
    Row("licensing.withdraw", "POST", "", "L    404  403  403  302! 403  403",
        _path("offers", "offer", "/withdraw"), **L),
    Row("licensing.accept", "GET", "", ALL("405"), _path("offers", "offer", "/accept"), **L),
    Row("licensing.accept", "POST", "", "L    404  302! 302! 403  403  403",
        _path("offers", "offer", "/accept"), **L),
    Row("licensing.decline_offer", "GET", "", ALL("405"), _path("offers", "offer", "/decline"),
        **L),
    Row("licensing.decline_offer", "POST", "", "L    404  302! 302! 403  403  403",
        _path("offers", "offer", "/decline"), lambda w: {"reason": "terms", "note": "再议"}, **L),
    # --- agreements -----------------------------------------------------------------------------
    Row("licensing.agreement", "GET", "", "L    404  200  200  200  200  200",
        _path("agreements", "agreement"), **L),
    Row("licensing.print_agreement", "GET", "", "L    404  200  200  200  200  200",
        _path("agreements", "agreement", "/print"), **L),
]
# fmt: on
