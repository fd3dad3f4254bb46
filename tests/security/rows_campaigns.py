"""S1 rows for the campaigns routes (step 4); appended to ``test_authz_matrix.ROWS``.

Import what you need from ``tests.security.test_authz_matrix`` (Row, ALL, OFFICERS, S3, …) inside
this module: it is imported at the end of that module, once those names exist.

The world (``campaign_world``, built through the real operations): org A (an enterprise: owner_a,
member_a) has a live campaign ``live`` with other_org's open expertise offer ``offer`` and
resource pledge ``pledge`` and plain's question ``question``, and campaigns ``draft``,
``submitted`` and ``approved``; ``grant_world`` adds a closed, successful campaign whose accepted
pledge of 2 hours of org B's instrument is org A's grant ``grant``. A campaign that is not live is
a 404 to outsiders (officers see it); the maker's routes are a 403 to everyone outside org A.
"""

from __future__ import annotations

from tests.security.test_authz_matrix import ALL, MISSING, OFFICERS, SIGNED_IN, Row, fixed


def _user(w, persona):
    from marketplace.auth.models import User
    from marketplace.extensions import db

    return db.session.get(User, w.uid(persona))


def _campaign(org, owner, title):
    from datetime import date, timedelta

    from marketplace.publishing.operations import create_listing

    return create_listing(org, owner, "campaign", {
        "title_zh": title, "summary_zh": "矩阵测试众筹", "district_code": "140403",
        "money_goal_fen": 100_000, "deadline_date": date.today() + timedelta(days=30),
        "expertise_needs": [("结构设计", 10)], "resource_needs": [("机时", "2小时", None)],
        "reward_tiers": [("感谢信", 1_000, "")]})


def campaign_world(w) -> None:
    from marketplace.campaigns import operations as ops
    from marketplace.extensions import db, utcnow
    from marketplace.organizations.models import Organization

    now = utcnow()
    org = db.session.get(Organization, w.org_a_id)
    owner, officer, other = _user(w, "owner_a"), _user(w, "officer"), _user(w, "other_org")
    made = {name: _campaign(org, owner, f"矩阵{name}") for name in
            ("live", "draft", "submitted", "approved")}
    for name in ("live", "submitted", "approved"):
        ops.submit_campaign(db.session, made[name], owner, 30, now)
    for name in ("live", "approved"):
        ops.approve_campaign(db.session, made[name], officer, now)
    ops.launch_campaign(db.session, made["live"], owner, now)
    live = made["live"]
    offer = ops.offer_expertise(db.session, live, other, skill="结构设计", hours=5, now=now)
    pledge = ops.pledge_resource(db.session, live, other, kind="equipment", description="示波器",
                                 quantity=1, now=now)
    question = ops.ask_question(db.session, live, _user(w, "plain"), "何时发货？", now)
    db.session.commit()
    w.extra.update({name: c.id for name, c in made.items()})
    w.extra.update(offer=offer.id, pledge=pledge.id, question=question.id)


def grant_world(w) -> None:
    from datetime import timedelta

    from marketplace.campaigns import operations as ops
    from marketplace.campaigns.models import PledgedHours
    from marketplace.extensions import db, utcnow
    from marketplace.organizations.models import Organization
    from tests.factories import make_instrument

    now = utcnow()
    org_a, org_b = (db.session.get(Organization, i) for i in (w.org_a_id, w.org_b_id))
    owner, other = _user(w, "owner_a"), _user(w, "other_org")
    instrument = make_instrument(org_b, requires_approval=False)
    campaign = _campaign(org_a, owner, "矩阵成功")
    campaign.money_goal_fen = 0
    ops.submit_campaign(db.session, campaign, owner, 1, now)
    ops.approve_campaign(db.session, campaign, _user(w, "officer"), now)
    ops.launch_campaign(db.session, campaign, owner, now)
    offer = ops.offer_expertise(db.session, campaign, other, skill="结构设计", hours=10, now=now)
    pledge = ops.pledge_resource(
        db.session, campaign, other, kind="instrument_hours", description="机时", quantity=1,
        hours=2, listing_id=instrument.id, organization_id=org_b.id,
        need_id=campaign.resource_needs[0].id, now=now)
    for item in (offer, pledge):
        ops.decide_contribution(db.session, item, owner, True, "", now)
    ops.close_due(db.session, campaign.deadline + timedelta(seconds=1))
    db.session.commit()
    grant = db.session.query(PledgedHours).one()
    w.extra.update(grant=grant.id, success=campaign.id)


def camp(name: str, suffix: str = "") -> callable:
    return lambda w: f"/campaigns/{w.extra.get(name, MISSING)}{suffix}"


def item(path: str, name: str, suffix: str) -> callable:
    return lambda w: f"/campaigns/{path}/{w.extra.get(name, MISSING)}{suffix}"


def data(**values):
    return lambda w: dict(values)


def booking_slot(w) -> dict:
    from tests.security.helpers import local_day

    return {"day": local_day(1).isoformat(), "start": "09:00", "end": "10:00",
            "request_key": "matrix-pledged"}


C = {"extra": campaign_world}
G = {"extra": grant_world}
MAKER = "L    403  302! 302! 403  403  403"  # the maker's POSTs on a live campaign
MAKER_HIDDEN = "L    404  302! 302! 404  403  403"  # ... on a campaign outsiders cannot see
GIVERS = "L    302! 400  400  302! 302! 302!"  # everyone but the campaign's own team
OFFER = data(skill="PCB设计", hours="8", note="周末")
PLEDGE = data(kind="materials", description="PLA耗材", quantity="3")

# fmt: off
#                                                   anon  plain memA ownA  other offcr admin
CAMPAIGN_ROWS: list = [
    Row("campaigns.show", "GET", "live", ALL("200"), camp("live"), **C),
    Row("campaigns.show", "GET", "draft", "404  404  200  200  404  200  200",
        camp("draft"), **C),
    Row("campaigns.show", "GET", "missing", ALL("404"), camp("missing"), **C),
    Row("campaigns.manage", "GET", "live", "L    403  200  200  403  403  403",
        camp("live", "/manage"), **C),
    Row("campaigns.manage", "GET", "draft", "L    404  200  200  404  403  403",
        camp("draft", "/manage"), **C),
    Row("campaigns.submit", "GET", "", ALL("405"), camp("draft", "/submit"), **C),
    Row("campaigns.submit", "POST", "draft", MAKER_HIDDEN, camp("draft", "/submit"),
        data(duration_days="30"), **C),
    Row("campaigns.submit", "POST", "too-long", "L    404  400  400  404  403  403",
        camp("draft", "/submit"), data(duration_days="61"), **C),
    Row("campaigns.submit", "POST", "live", "L    403  409  409  403  403  403",
        camp("live", "/submit"), data(duration_days="30"), **C),
    Row("campaigns.launch", "GET", "", ALL("405"), camp("approved", "/launch"), **C),
    Row("campaigns.launch", "POST", "approved", MAKER_HIDDEN, camp("approved", "/launch"), **C),
    Row("campaigns.launch", "POST", "submitted", "L    404  409  409  404  403  403",
        camp("submitted", "/launch"), **C),
    Row("campaigns.review", "GET", "", OFFICERS("200"), fixed("/campaigns/review"), **C),
    Row("campaigns.approve", "GET", "", ALL("405"), camp("submitted", "/approve"), **C),
    Row("campaigns.approve", "POST", "submitted", OFFICERS("302!"), camp("submitted", "/approve"),
        **C),
    Row("campaigns.approve", "POST", "draft", OFFICERS("409"), camp("draft", "/approve"), **C),
    Row("campaigns.approve", "POST", "missing", OFFICERS("404"), camp("missing", "/approve"), **C),
    Row("campaigns.send_back", "GET", "", ALL("405"), camp("submitted", "/send-back"), **C),
    Row("campaigns.send_back", "POST", "submitted", OFFICERS("302!"),
        camp("submitted", "/send-back"), data(reasons="请补充预算"), **C),
    Row("campaigns.send_back", "POST", "no-reasons", OFFICERS("400"),
        camp("submitted", "/send-back"), data(reasons=" "), **C),
    Row("campaigns.send_back", "POST", "live", OFFICERS("409"), camp("live", "/send-back"),
        data(reasons="请补充预算"), **C),
    Row("campaigns.offer_expertise", "GET", "", ALL("405"), camp("live", "/expertise"), **C),
    Row("campaigns.offer_expertise", "POST", "live", GIVERS, camp("live", "/expertise"), OFFER,
        **C),
    Row("campaigns.offer_expertise", "POST", "draft", "L    404  400  400  404  409  409",
        camp("draft", "/expertise"), OFFER, **C),
    Row("campaigns.pledge_resource", "GET", "", ALL("405"), camp("live", "/resources"), **C),
    Row("campaigns.pledge_resource", "POST", "live", GIVERS, camp("live", "/resources"), PLEDGE,
        **C),
    Row("campaigns.pledge_resource", "POST", "missing", SIGNED_IN("L", "404"),
        camp("missing", "/resources"), PLEDGE, **C),
    Row("campaigns.ask", "GET", "", ALL("405"), camp("live", "/questions"), **C),
    Row("campaigns.ask", "POST", "live", SIGNED_IN("L", "302!"), camp("live", "/questions"),
        data(question="能开发票吗？"), **C),
    Row("campaigns.ask", "POST", "draft", "L    404  409  409  404  409  409",
        camp("draft", "/questions"), data(question="能开发票吗？"), **C),
    Row("campaigns.post_update", "GET", "", ALL("405"), camp("live", "/updates"), **C),
    Row("campaigns.post_update", "POST", "live", MAKER, camp("live", "/updates"),
        data(title="样机完成", body="第一批样机已测试"), **C),
    Row("campaigns.answer", "GET", "", ALL("405"), item("questions", "question", "/answer"), **C),
    Row("campaigns.answer", "POST", "", MAKER, item("questions", "question", "/answer"),
        data(answer="明年三月"), **C),
    Row("campaigns.answer", "POST", "missing", SIGNED_IN("L", "404"),
        item("questions", "missing", "/answer"), data(answer="明年三月"), **C),
    Row("campaigns.accept_offer", "GET", "", ALL("405"), item("offers", "offer", "/accept"), **C),
    Row("campaigns.accept_offer", "POST", "", MAKER, item("offers", "offer", "/accept"), **C),
    Row("campaigns.accept_offer", "POST", "missing", SIGNED_IN("L", "404"),
        item("offers", "missing", "/accept"), **C),
    Row("campaigns.decline_offer", "GET", "", ALL("405"), item("offers", "offer", "/decline"), **C),
    Row("campaigns.decline_offer", "POST", "", MAKER, item("offers", "offer", "/decline"),
        data(reason="不需要"), **C),
    Row("campaigns.decline_offer", "POST", "no-reason", "L    403  400  400  403  403  403",
        item("offers", "offer", "/decline"), data(reason=""), **C),
    Row("campaigns.accept_pledge", "GET", "", ALL("405"),
        item("resource-pledges", "pledge", "/accept"), **C),
    Row("campaigns.accept_pledge", "POST", "", MAKER, item("resource-pledges", "pledge", "/accept"),
        **C),
    Row("campaigns.decline_pledge", "GET", "", ALL("405"),
        item("resource-pledges", "pledge", "/decline"), **C),
    Row("campaigns.decline_pledge", "POST", "", MAKER,
        item("resource-pledges", "pledge", "/decline"), data(reason="已有"), **C),
    Row("campaigns.book_pledged", "GET", "", "L    404  200  200  404  404  404",
        item("pledged-hours", "grant", "/book"), **G),
    Row("campaigns.book_pledged", "GET", "missing", SIGNED_IN("L", "404"),
        item("pledged-hours", "missing", "/book"), **G),
    Row("campaigns.book_pledged", "POST", "", "L    404  302! 302! 404  404  404",
        item("pledged-hours", "grant", "/book"), booking_slot, **G),
    Row("campaigns.book_pledged", "POST", "beyond-grant", "L    404  400  400  404  404  404",
        item("pledged-hours", "grant", "/book"),
        lambda w: {**booking_slot(w), "end": "12:00"}, **G),
]
# fmt: on
