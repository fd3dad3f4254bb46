"""S1 rows for the needs routes (step 5); appended to ``test_authz_matrix.ROWS``.

The world (``need_world``, through the real operations): org A (a verified enterprise: owner_a,
member_a) has posted the needs ``open`` (org B's open proposal ``prop`` on it), ``fresh`` (no
proposals), ``draft`` and ``solved`` (org B's proposal ``chosen`` won it). Org B (other_org, a
verified enterprise) has a published technology ``patent`` to link. A need is a 404 to those
who may not see needs (anonymous, plain); a draft need is a 404 to everyone outside org A but
officers, a solved one too except to the organisations that proposed (org B keeps seeing the need
its proposal won, and is refused further proposals with a 409); the owner's actions are a 403 to everyone else who can see the need, the
provider's withdrawal a 403 to everyone but org B; officers only look.
"""

from __future__ import annotations

from tests.security.test_authz_matrix import ALL, MISSING, SIGNED_IN, Row


def _user(w, persona):
    from marketplace.auth.models import User
    from marketplace.extensions import db

    return db.session.get(User, w.uid(persona))


def need_world(w) -> None:
    from datetime import timedelta

    from marketplace.extensions import db, utcnow
    from marketplace.needs import operations as ops
    from marketplace.organizations.models import Organization
    from marketplace.publishing import operations as publishing

    org_a, org_b = (db.session.get(Organization, i) for i in (w.org_a_id, w.org_b_id))
    owner, other = _user(w, "owner_a"), _user(w, "other_org")
    deadline = (utcnow() + timedelta(days=30)).date()

    def need(title, publish=True):
        made = publishing.create_listing(org_a, owner, "need", {
            "title_zh": title, "description": "矩阵测试需求", "district_code": "140403",
            "solution_kinds": ["technology"], "budget_fen": 100_000, "deadline": deadline})
        if publish:
            publishing.publish_listing(made, owner)
        return made

    patent = publishing.create_listing(org_b, other, "technology", {
        "title_zh": "矩阵专利", "district_code": "140403", "legal_status": "granted",
        "licensing_modes": ["non_exclusive"], "trl": 5})
    publishing.publish_listing(patent, other)
    made = {name: need(f"矩阵需求{name}", publish=name != "draft")
            for name in ("open", "fresh", "draft", "solved")}
    now = utcnow()

    def answer(target):
        return ops.submit_proposal(db.session, target, other, organization_id=org_b.id,
                                   listing_ids=[patent.id], message="我们可以", price_fen=None,
                                   now=now)

    prop, chosen = answer(made["open"]), answer(made["solved"])
    ops.solve_need(db.session, made["solved"], owner, proposal_id=chosen.id, now=now)
    db.session.commit()
    w.extra.update({name: n.id for name, n in made.items()})
    w.extra.update(prop=prop.id, chosen=chosen.id, patent=patent.id)


def need_url(name: str, suffix: str = ""):
    return lambda w: f"/needs/{w.extra.get(name, MISSING)}{suffix}"


def listing_url(name: str, suffix: str = ""):
    return lambda w: f"/listings/{w.extra.get(name, MISSING)}{suffix}"


def proposal(name: str, suffix: str):
    return lambda w: f"/needs/proposals/{w.extra.get(name, MISSING)}{suffix}"


def proposal_form(w) -> dict:
    return {"organization_id": str(w.org_b_id), "listing_ids": [str(w.extra["patent"])],
            "message": "我们的专利可以解决", "price_fen": "5000"}


def solve_with(name: str):
    return lambda w: {"proposal_id": str(w.extra.get(name, MISSING))}


def data(**values):
    return lambda w: dict(values)


N = {"extra": need_world}
OWNER = "L    404  302! 302! 403  403  403"  # the need's owner acts; others who see it: 403
OWNER_ONLY = "L    404  302! 302! 404  403  403"  # ... on a need outsiders cannot see

# fmt: off
#                                                   anon  plain memA ownA  other offcr admin
NEED_ROWS: list = [
    # the need's page (catalogue.show renders show_need.html); its owners' "could solve it"
    # panel records recommendation impressions (step 7), a write on GET
    Row("catalogue.show", "GET", "need-open", "404  404  200! 200! 200  200  200",
        listing_url("open"), **N),
    Row("catalogue.show", "GET", "need-draft", "404  404  200  200  404  200  200",
        listing_url("draft"), **N),
    Row("catalogue.show", "GET", "need-solved", "404  404  200  200  200  200  200",
        listing_url("solved"), **N),
    Row("publishing.create", "GET", "need", "L    302  200  200  200  302  302",
        lambda w: "/listings/new/need", **N),
    # proposals
    Row("needs.propose", "GET", "", ALL("405"), need_url("fresh", "/proposals"), **N),
    Row("needs.propose", "POST", "fresh", "L    404  403  403  302! 403  403",
        need_url("fresh", "/proposals"), proposal_form, **N),
    # a second proposal while org B's first is open: the first is returned, nothing is written
    Row("needs.propose", "POST", "again", "L    404  403  403  302  403  403",
        need_url("open", "/proposals"), proposal_form, **N),
    Row("needs.propose", "POST", "draft", "L    404  403  403  404  403  403",
        need_url("draft", "/proposals"), proposal_form, **N),
    Row("needs.propose", "POST", "solved", "L    404  403  403  409  403  403",
        need_url("solved", "/proposals"), proposal_form, **N),
    Row("needs.propose", "POST", "missing", "L    404  404  404  404  404  404",
        need_url("missing", "/proposals"), proposal_form, **N),
    Row("needs.withdraw", "GET", "", ALL("405"), proposal("prop", "/withdraw"), **N),
    Row("needs.withdraw", "POST", "open", "L    404  403  403  302! 403  403",
        proposal("prop", "/withdraw"), **N),
    Row("needs.withdraw", "POST", "chosen", "L    404  403  403  409  403  403",
        proposal("chosen", "/withdraw"), **N),
    Row("needs.withdraw", "POST", "missing", SIGNED_IN("L", "404"),
        proposal("missing", "/withdraw"), **N),
    # the need's owner
    Row("needs.shortlist", "GET", "", ALL("405"), proposal("prop", "/shortlist"), **N),
    Row("needs.shortlist", "POST", "open", OWNER, proposal("prop", "/shortlist"), **N),
    Row("needs.shortlist", "POST", "chosen", "L    404  409  409  403  403  403",
        proposal("chosen", "/shortlist"), **N),
    Row("needs.shortlist", "POST", "missing", SIGNED_IN("L", "404"),
        proposal("missing", "/shortlist"), **N),
    Row("needs.decline", "GET", "", ALL("405"), proposal("prop", "/decline"), **N),
    Row("needs.decline", "POST", "open", OWNER, proposal("prop", "/decline"),
        data(reason="price", note="预算不够"), **N),
    Row("needs.decline", "POST", "no-reason", "L    404  400  400  403  403  403",
        proposal("prop", "/decline"), data(note="预算不够"), **N),
    Row("needs.decline", "POST", "chosen", "L    404  409  409  403  403  403",
        proposal("chosen", "/decline"), data(reason="price"), **N),
    Row("needs.solve", "GET", "", ALL("405"), need_url("open", "/solve"), **N),
    Row("needs.solve", "POST", "open", "L    404  302! 302! 403  403  403",
        need_url("open", "/solve"), solve_with("prop"), **N),
    Row("needs.solve", "POST", "other-needs-proposal", "L    404  400  400  403  403  403",
        need_url("open", "/solve"), solve_with("chosen"), **N),
    # the same request again: answered, nothing changes
    Row("needs.solve", "POST", "solved", "L    404  302  302  403  403  403",
        need_url("solved", "/solve"), solve_with("chosen"), **N),
    Row("needs.solve", "POST", "draft-no-proposal", "L    404  400  400  404  403  403",
        need_url("draft", "/solve"), solve_with("prop"), **N),
    # lists
    Row("needs.mine", "GET", "", SIGNED_IN("L", "200"), lambda w: "/needs/mine", **N),
    Row("needs.proposals", "GET", "", SIGNED_IN("L", "200"), lambda w: "/needs/proposals", **N),
]
# fmt: on
