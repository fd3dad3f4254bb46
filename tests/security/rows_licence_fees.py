"""S1 rows for the licence_fees routes (step 5); appended to ``test_authz_matrix.ROWS``.

The world (``fee_world``, built through the real operations): org A (an enterprise: owner_a,
member_a) owns a published technology ``technology`` offered under an express licence (¥20,000)
and a technology ``withdrawn`` whose express licence is switched off; org B (other_org) holds
quota in an open programme that admits technology transfer services (org A admitted), and has
concluded a negotiated licence ``agreement`` of ``technology`` awaiting its fee of ¥10,000, and
``paid``, an agreement of another technology already in force. Only the technology's owners edit
the express terms; only members of another verified organisation take it (org A's members have
no other organisation: 403); only the licensee pays (the licensor and officers see the
agreement: 403; others 404).
"""

from __future__ import annotations

from tests.security.test_authz_matrix import MISSING, Row

EXPRESS_KEY = "matrix:express"


def fee_world(w) -> None:
    from marketplace.auth.models import User
    from marketplace.extensions import db
    from marketplace.licensing import fees
    from marketplace.licensing.operations import conclude_agreement
    from marketplace.organizations.models import Organization
    from marketplace.vouchers.models import TECHNOLOGY_TRANSFER
    from tests.factories import admit, grant, make_programme
    from tests.marketplace.licensing.helpers import make_technology, terms

    org_a, org_b = (db.session.get(Organization, i) for i in (w.org_a_id, w.org_b_id))
    owner, officer = db.session.get(User, w.uid("owner_a")), db.session.get(User, w.uid("officer"))
    made = {name: make_technology(org_a, title_zh=f"矩阵技术{name}")
            for name in ("technology", "withdrawn", "sold")}
    for name, active in (("technology", True), ("withdrawn", False)):
        fees.set_express_licence(db.session, made[name], owner, price_fen=2_000_000,
                                 term_years=5, territory="中国大陆", field_of_use="煤化工",
                                 is_active=active)
    programme = make_programme(officer, eligible_categories=[TECHNOLOGY_TRANSFER])
    admit(programme, org_a, officer=officer)
    grant(programme, org_b, 5_000_000, officer=officer)
    agreement = conclude_agreement(db.session, technology=made["technology"], licensee_org=org_b,
                                   terms=terms(upfront_fee_fen=1_000_000, milestones=[]))
    paid = conclude_agreement(db.session, technology=made["sold"], licensee_org=org_b,
                              terms=terms(upfront_fee_fen=0, milestones=[]))
    db.session.commit()
    w.extra.update({name: t.id for name, t in made.items()})
    w.extra.update(programme=programme.id, agreement=agreement.id, paid=paid.id)


def express(name: str = "technology", suffix: str = "") -> callable:
    return lambda w: f"/licensing/fees/technologies/{w.extra.get(name, MISSING)}/express{suffix}"


def agreement(name: str = "agreement") -> callable:
    return lambda w: f"/licensing/fees/agreements/{w.extra.get(name, MISSING)}/pay"


def express_terms(w) -> dict:
    return {"price": "30000", "term_years": "3", "territory": "山西省", "field_of_use": "焦化",
            "is_active": "y"}


def take_form(w) -> dict:
    return {"organization_id": str(w.org_b_id), "programme_id": str(w.extra["programme"]),
            "method": "bank_transfer", "request_key": EXPRESS_KEY}


def pay_form(w) -> dict:
    return {"programme_id": str(w.extra["programme"]), "method": "bank_transfer",
            "request_key": "matrix:fee"}


F = {"extra": fee_world}
ANYWHERE_404 = "L    404  404  404  404  404  404"

# fmt: off
#                                                               anon plain memA ownA other offcr admin
LICENCE_FEE_ROWS: list = [
    Row("licence_fees.edit_express", "GET", "", "L    403  200  200  403  403  403", express(), **F),
    Row("licence_fees.edit_express", "POST", "", "L    403  302! 302! 403  403  403", express(),
        express_terms, **F),
    Row("licence_fees.edit_express", "GET", "missing", ANYWHERE_404, express("missing"), **F),
    Row("licence_fees.edit_express", "POST", "missing", ANYWHERE_404, express("missing"),
        express_terms, **F),
    Row("licence_fees.take_express", "GET", "", "L    403  403  403  200  403  403",
        express(suffix="/take"), **F),
    Row("licence_fees.take_express", "POST", "", "L    403  403  403  302! 403  403",
        express(suffix="/take"), take_form, **F),
    Row("licence_fees.take_express", "GET", "withdrawn", ANYWHERE_404,
        express("withdrawn", "/take"), **F),
    Row("licence_fees.take_express", "POST", "withdrawn", ANYWHERE_404,
        express("withdrawn", "/take"), take_form, **F),
    Row("licence_fees.take_express", "GET", "missing", ANYWHERE_404,
        express("missing", "/take"), **F),
    Row("licence_fees.pay", "GET", "", "L    404  403  403  200  403  403", agreement(), **F),
    Row("licence_fees.pay", "POST", "", "L    404  403  403  302! 403  403", agreement(),
        pay_form, **F),
    Row("licence_fees.pay", "GET", "in-force", "L    404  403  403  403  403  403",
        agreement("paid"), **F),
    Row("licence_fees.pay", "POST", "in-force", "L    404  403  403  403  403  403",
        agreement("paid"), pay_form, **F),
    Row("licence_fees.pay", "GET", "missing", ANYWHERE_404, agreement("missing"), **F),
    Row("licence_fees.pay", "POST", "missing", ANYWHERE_404, agreement("missing"), pay_form, **F),
]
# fmt: on
