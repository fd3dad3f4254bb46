"""S1 rows for the pledges routes (step 4); appended to ``test_authz_matrix.ROWS``.

Import what you need from ``tests.security.test_authz_matrix`` (Row, ALL, OFFICERS, S3, …) inside
this module: it is imported at the end of that module, once those names exist.

The world (``pledge_world``, built through the real operations): org A (owner_a, member_a) runs
a live campaign with two rewards, ``open`` (¥100, unlimited) and ``sold`` (¥500, one unit, held
by other_org's pending bank-transfer pledge ``pledge``, made with the request key
``matrix:pledge``), and a draft campaign; the officer runs an open programme ``programme`` (for matchfunding). Members
of org A may not back their own campaign (403); a pledge is shown to its backer, org A's members
and officers, and is a 404 to others; a campaign's list of pledges is for org A's members and
officers; only officers set up matchfunding.
"""

from __future__ import annotations

from tests.security.test_authz_matrix import ALL, MISSING, SIGNED_IN, Row, fixed

PLEDGE_KEY = "matrix:pledge"


def pledge_world(w) -> None:
    """A live and a draft campaign of org A; other_org's pending pledge on the sold-out tier."""
    from datetime import timedelta

    from listings.models import Campaign, RewardTier
    from marketplace.auth.models import User
    from marketplace.campaigns import operations as campaigns
    from marketplace.campaigns import pledges
    from marketplace.extensions import db, utcnow
    from marketplace.organizations.models import Organization
    from tests.factories import make_programme

    now = utcnow()
    org_a = db.session.get(Organization, w.org_a_id)
    owner, officer = db.session.get(User, w.uid("owner_a")), db.session.get(User, w.uid("officer"))
    backer = db.session.get(User, w.uid("other_org"))

    def campaign(title: str) -> Campaign:
        made = Campaign(organization=org_a, created_by_id=owner.id, title_zh=title,
                        district_code="140403", money_goal_fen=1_000_000,
                        deadline=now + timedelta(days=30))
        made.reward_tiers += [RewardTier(title="感谢信", min_pledge_fen=10_000),
                              RewardTier(title="样机一台", min_pledge_fen=50_000, quantity_limit=1)]
        db.session.add(made)
        db.session.flush()
        return made

    live = campaign("矩阵众筹")
    campaigns.submit_campaign(db.session, live, owner, 30, now)
    campaigns.approve_campaign(db.session, live, officer, now)
    campaigns.launch_campaign(db.session, live, owner, now)
    draft = campaign("矩阵草稿众筹")
    tiers = {t.min_pledge_fen: t for t in live.reward_tiers}
    made = pledges.pledge_money(db.session, live, backer=backer, amount_fen=50_000,
                                tier=tiers[50_000], method="bank_transfer", key=PLEDGE_KEY,
                                now=now)
    programme = make_programme(officer, name_zh="双创专项资金")
    db.session.commit()
    w.extra.update(campaign=live.id, draft=draft.id, open=tiers[10_000].id,
                   sold=tiers[50_000].id, pledge=made.id, programme=programme.id)


P = {"extra": pledge_world}


def new(which: str = "campaign"):
    return lambda w: f"/campaigns/{w.extra.get(which, MISSING)}/pledges/new"


def form(tier: str | None = None, *, key: str = "matrix:new-pledge", amount: str = "600"):
    return lambda w: {"amount": amount, "tier_id": str(w.extra[tier]) if tier else "none",
                      "organization_id": "personal", "method": "bank_transfer",
                      "request_key": key}


def staff(which: str = "campaign", suffix: str = "/pledges"):
    return lambda w: f"/campaigns/{w.extra.get(which, MISSING)}{suffix}"


def match(cap: str = "800"):
    return lambda w: {"programme_id": str(w.extra.get("programme", MISSING)), "cap": cap}


def pledge_page(w) -> str:
    return f"/campaigns/pledges/{w.extra['pledge']}"


# fmt: off
#                                                  anon  plain memA ownA  other offcr admin
PLEDGE_ROWS: list = [
    Row("pledges.create", "GET", "live", SIGNED_IN("L", "200"), new(), **P),
    Row("pledges.create", "GET", "draft", SIGNED_IN("L", "404"), new("draft"), **P),
    Row("pledges.create", "GET", "missing", SIGNED_IN("L", "404"),
        fixed(f"/campaigns/{MISSING}/pledges/new")),
    # anyone signed in may back the campaign, except the members of its own organisation
    Row("pledges.create", "POST", "live", "L    302! 403  403  302! 302! 302!", new(), form(),
        **P),
    Row("pledges.create", "POST", "open-reward", "L    302! 403  403  302! 302! 302!", new(),
        form("open"), **P),
    Row("pledges.create", "POST", "sold-out-reward", "L    409  403  403  409  409  409", new(),
        form("sold"), **P),
    # the key of other_org's pledge again: its backer is sent to it, nobody else gets it
    Row("pledges.create", "POST", "same-key", "L    409  409  409  302  409  409", new(),
        form("sold", key=PLEDGE_KEY, amount="500"), **P),
    Row("pledges.create", "POST", "below-reward-minimum", "L    400  403  403  400  400  400",
        new(), form("sold", amount="100"), **P),
    Row("pledges.create", "POST", "bad-amount", SIGNED_IN("L", "400"), new(),
        form(amount="-5"), **P),
    Row("pledges.create", "POST", "draft", SIGNED_IN("L", "404"), new("draft"), form(), **P),
    Row("pledges.create", "POST", "missing", SIGNED_IN("L", "404"),
        fixed(f"/campaigns/{MISSING}/pledges/new"), form()),
    Row("pledges.show", "GET", "", "L    404  200  200  200  200  200", pledge_page, **P),
    Row("pledges.show", "GET", "missing", SIGNED_IN("L", "404"),
        fixed(f"/campaigns/pledges/{MISSING}")),
    Row("pledges.mine", "GET", "", SIGNED_IN("L", "200"), fixed("/campaigns/pledges/mine"), **P),
    # the list of a campaign's pledges: its organisation's members and officers
    Row("pledges.index", "GET", "live", "L    403  200  200  403  200  200", staff(), **P),
    Row("pledges.index", "GET", "draft", "L    404  200  200  404  200  200", staff("draft"),
        **P),
    Row("pledges.index", "GET", "missing", SIGNED_IN("L", "404"), staff("missing")),
    Row("pledges.match_fund", "GET", "", ALL("405"), staff(suffix="/match-fund"), **P),
    Row("pledges.match_fund", "POST", "live", "L    403  403  403  403  302! 302!",
        staff(suffix="/match-fund"), match(), **P),
    Row("pledges.match_fund", "POST", "no-cap", "L    403  403  403  403  400  400",
        staff(suffix="/match-fund"), match(""), **P),
    Row("pledges.match_fund", "POST", "draft", "L    404  403  403  404  302! 302!",
        staff("draft", "/match-fund"), match(), **P),
    Row("pledges.match_fund", "POST", "missing", SIGNED_IN("L", "404"),
        staff("missing", "/match-fund"), match()),
]
# fmt: on
