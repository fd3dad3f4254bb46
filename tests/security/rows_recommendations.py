"""S1 rows for the recommendation routes (step 6); appended to ``test_authz_matrix.ROWS``.

The world (``recommendation_world``, through the real operations): org A (a verified enterprise:
owner_a, member_a) has published the technologies ``tech_a`` and ``talked`` (a conversation with
org B is already open on ``talked``), a draft technology ``draft_a`` and a need ``need_a``; org B
(other_org, a verified enterprise that lets providers find it: discoverable) has published the
technologies ``tech_b`` and ``seen`` (org A already marked ``seen`` not relevant). Org C is a
verified enterprise that is not discoverable, org D a discoverable one still pending.

"Not relevant" is an act of the organisation's members (a 403 to everyone else who can see the
organisation); "invite" one of the listing's organisation's members (a 403 to everyone else who
can see the listing), and only towards a verified, discoverable organisation.
"""

from __future__ import annotations

from tests.security.test_authz_matrix import ALL, MISSING, SIGNED_IN, Row


def _user(w, persona):
    from marketplace.auth.models import User
    from marketplace.extensions import db

    return db.session.get(User, w.uid(persona))


def recommendation_world(w) -> None:
    from datetime import timedelta

    from marketplace.conversations import operations as conversations
    from marketplace.extensions import db, utcnow
    from marketplace.organizations.models import Organization, VerificationStatus
    from marketplace.publishing import operations as publishing
    from marketplace.recommendations import operations as ops
    from tests.factories import make_organization, make_user

    org_a, org_b = (db.session.get(Organization, i) for i in (w.org_a_id, w.org_b_id))
    owner, other = _user(w, "owner_a"), _user(w, "other_org")
    org_b.discoverable = True
    org_c = make_organization(make_user(), name_zh="不公开的企业")
    org_d = make_organization(make_user(), status=VerificationStatus.PENDING,
                              name_zh="待审核的企业", discoverable=True)

    def technology(org, user, title, publish=True):
        made = publishing.create_listing(org, user, "technology", {
            "title_zh": title, "district_code": "140403", "legal_status": "granted",
            "licensing_modes": ["non_exclusive"], "trl": 5})
        if publish:
            publishing.publish_listing(made, user)
        return made

    tech_a, talked = technology(org_a, owner, "推荐矩阵专利甲"), technology(org_a, owner, "已洽谈专利")
    draft_a = technology(org_a, owner, "草稿专利", publish=False)
    tech_b, seen = technology(org_b, other, "推荐矩阵专利乙"), technology(org_b, other, "看过的专利")
    need_a = publishing.create_listing(org_a, owner, "need", {
        "title_zh": "推荐矩阵需求", "description": "矩阵测试需求", "district_code": "140403",
        "solution_kinds": ["technology"], "budget_fen": 100_000,
        "deadline": (utcnow() + timedelta(days=30)).date()})
    publishing.publish_listing(need_a, owner)
    db.session.flush()
    conversations.open_conversation(db.session, owner, listing=talked, with_organization=org_b)
    ops.mark_not_relevant(db.session, org_a, seen, "too_far", owner, utcnow())
    db.session.commit()
    w.extra.update(tech_a=tech_a.id, talked=talked.id, draft_a=draft_a.id, tech_b=tech_b.id,
                   seen=seen.id, need_a=need_a.id, org_c=org_c.id, org_d=org_d.id)


def _id(w, name: str) -> int:
    return {"org_a": w.org_a_id, "org_b": w.org_b_id}.get(name) or w.extra.get(name, MISSING)


def not_relevant(org: str, listing: str):
    return lambda w: f"/recommendations/{_id(w, org)}/not-relevant/{_id(w, listing)}"


def invite(listing: str, org: str):
    return lambda w: f"/recommendations/listings/{_id(w, listing)}/invite/{_id(w, org)}"


def data(**values):
    return lambda w: dict(values)


R = {"extra": recommendation_world}
MEMBERS = "L    403  302! 302! 403  403  403"  # org A's members act; others who see it: 403

# fmt: off
#                                                   anon  plain memA ownA  other offcr admin
RECOMMENDATION_ROWS: list = [
    # "not relevant" with a reason, for one's own organisation
    Row("recommendations.not_relevant", "GET", "", ALL("405"), not_relevant("org_a", "tech_b"),
        **R),
    Row("recommendations.not_relevant", "POST", "", MEMBERS, not_relevant("org_a", "tech_b"),
        data(reason="too_far"), **R),
    # marked before: answered, nothing is written
    Row("recommendations.not_relevant", "POST", "again", "L    403  302  302  403  403  403",
        not_relevant("org_a", "seen"), data(reason="wrong_field"), **R),
    Row("recommendations.not_relevant", "POST", "bad-reason", "L    403  400  400  403  403  403",
        not_relevant("org_a", "tech_b"), data(reason="boring"), **R),
    Row("recommendations.not_relevant", "POST", "own-listing", "L    403  400  400  403  403  403",
        not_relevant("org_a", "tech_a"), data(reason="too_far"), **R),
    Row("recommendations.not_relevant", "POST", "missing-listing",
        "L    403  404  404  403  403  403", not_relevant("org_a", "missing"),
        data(reason="too_far"), **R),
    Row("recommendations.not_relevant", "POST", "missing-org", SIGNED_IN("L", "404"),
        not_relevant("missing", "tech_b"), data(reason="too_far"), **R),
    # a pending organisation is hidden from outsiders (404), refused to non-members of it (403)
    Row("recommendations.not_relevant", "POST", "pending-org", "L    404  404  404  404  403  403",
        not_relevant("org_d", "tech_b"), data(reason="too_far"), **R),
    # invite a discoverable enterprise to talk about one's listing
    Row("recommendations.invite", "GET", "", ALL("405"), invite("tech_a", "org_b"), **R),
    Row("recommendations.invite", "POST", "", MEMBERS, invite("tech_a", "org_b"), **R),
    # the conversation is open already: the members are sent to it, nothing is written
    Row("recommendations.invite", "POST", "again", "L    403  302  302  403  403  403",
        invite("talked", "org_b"), **R),
    Row("recommendations.invite", "POST", "not-discoverable", SIGNED_IN("L", "403"),
        invite("tech_a", "org_c"), **R),
    Row("recommendations.invite", "POST", "itself", SIGNED_IN("L", "403"),
        invite("tech_a", "org_a"), **R),
    Row("recommendations.invite", "POST", "pending-target", "L    403  404  404  403  403  403",
        invite("tech_a", "org_d"), **R),
    Row("recommendations.invite", "POST", "missing-target", "L    403  404  404  403  403  403",
        invite("tech_a", "missing"), **R),
    Row("recommendations.invite", "POST", "missing-listing", SIGNED_IN("L", "404"),
        invite("missing", "org_b"), **R),
    Row("recommendations.invite", "POST", "draft-listing", "L    404  404  404  404  403  403",
        invite("draft_a", "org_b"), **R),
    Row("recommendations.invite", "POST", "need", "L    404  400  400  403  403  403",
        invite("need_a", "org_b"), **R),
]
# fmt: on
