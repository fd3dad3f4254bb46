"""The campaign pages: wiring, permissions (allowed and denied), both languages, Q&A, updates
mailed to backers, the officer's review queue, booking pledged hours."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.campaigns import operations
from marketplace.campaigns.models import (
    CampaignQuestion,
    CampaignState,
    ContributionState,
    ExpertiseOffer,
    PledgedHours,
    ResourcePledge,
)
from marketplace.extensions import db, utcnow
from tests.factories import make_user
from tests.marketplace.bookings.helpers import local, make_world
from tests.marketplace.campaigns.helpers import after_deadline, go_live, make_campaign_world


def _as(client, auth, user):
    auth.logout()
    auth.login_as(user)


def test_campaign_page_in_both_languages(client, auth):
    w = make_campaign_world()
    go_live(w)
    for lang, words in (("zh_CN", ["进行中", "筹资金"]), ("en", ["Live", "Money (筹资金)", "Open until"])):
        client.post("/language", data={"lang": lang, "next": "/"})
        page = client.get(f"/campaigns/{w.campaign.id}")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert 'data-testid="progress-money"' in text and 'data-testid="progress-expertise"' in text
        if lang == "en":  # the Chinese catalogue is merged by the integrator
            for word in words:
                assert word in text


def test_draft_is_hidden_from_the_public_and_shown_to_the_maker_and_officers(client, auth):
    w = make_campaign_world()
    assert client.get(f"/campaigns/{w.campaign.id}").status_code == 404
    _as(client, auth, w.backer)
    assert client.get(f"/campaigns/{w.campaign.id}").status_code == 404
    assert client.get(f"/campaigns/{w.campaign.id}/manage").status_code == 404
    _as(client, auth, w.maker)
    assert client.get(f"/campaigns/{w.campaign.id}").status_code == 200
    assert client.get(f"/campaigns/{w.campaign.id}/manage").status_code == 200
    _as(client, auth, w.officer)
    assert client.get(f"/campaigns/{w.campaign.id}").status_code == 200


def test_review_through_the_pages(client, auth, outbox):
    w = make_campaign_world()
    cid = w.campaign.id
    _as(client, auth, w.maker)
    assert client.post(f"/campaigns/{cid}/submit", data={"duration_days": "61"}).status_code == 400
    assert client.post(f"/campaigns/{cid}/submit", data={"duration_days": "14"}).status_code == 302
    assert client.post(f"/campaigns/{cid}/approve").status_code == 403  # the maker is no officer
    assert client.get("/campaigns/review").status_code == 403
    _as(client, auth, w.officer)
    queue = client.get("/campaigns/review")
    assert queue.status_code == 200 and w.campaign.title_zh in queue.get_data(as_text=True)
    assert client.post(f"/campaigns/{cid}/send-back", data={"reasons": ""}).status_code == 400
    assert client.post(f"/campaigns/{cid}/send-back", data={"reasons": "预算不清"}).status_code == 302
    db.session.expire_all()
    assert w.campaign.run.state == CampaignState.DRAFT
    _as(client, auth, w.maker)
    assert "预算不清" in client.get(f"/campaigns/{cid}/manage").get_data(as_text=True)
    client.post(f"/campaigns/{cid}/submit", data={"duration_days": "14"})
    _as(client, auth, w.officer)
    assert client.post(f"/campaigns/{cid}/approve").status_code == 302
    assert client.post(f"/campaigns/{cid}/approve").status_code == 409  # approved already
    _as(client, auth, w.maker)
    assert client.post(f"/campaigns/{cid}/launch").status_code == 302
    db.session.expire_all()
    assert w.campaign.run.state == CampaignState.LIVE and w.campaign.run.duration_days == 14


def test_questions_and_answers(client, auth, outbox):
    w = make_campaign_world()
    go_live(w)
    cid = w.campaign.id
    assert client.post(f"/campaigns/{cid}/questions", data={"question": "何时发货？"}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CampaignQuestion)) == 0  # login
    _as(client, auth, w.backer)
    assert client.post(f"/campaigns/{cid}/questions", data={"question": ""}).status_code == 400
    assert client.post(f"/campaigns/{cid}/questions", data={"question": "何时发货？"}).status_code == 302
    question = db.session.scalars(sa.select(CampaignQuestion)).one()
    assert client.post(f"/campaigns/questions/{question.id}/answer",
                       data={"answer": "自己回答"}).status_code == 403
    _as(client, auth, w.maker)
    assert client.post(f"/campaigns/questions/{question.id}/answer",
                       data={"answer": "明年三月"}).status_code == 302
    page = client.get(f"/campaigns/{cid}").get_data(as_text=True)
    assert "何时发货？" in page and "明年三月" in page
    assert any(m.recipient == w.backer.email and "明年三月" in m.body for m in outbox())


def test_update_is_mailed_to_backers_after_commit(client, auth, outbox, hooks):
    w = make_campaign_world()
    go_live(w)
    cid = w.campaign.id
    paid_backer, expert, declined = make_user(), make_user(), make_user()
    db.session.commit()
    hooks.register_backers(lambda session, campaign: [paid_backer])
    accepted = operations.offer_expertise(db.session, w.campaign, expert, skill="结构设计", hours=5,
                                          now=utcnow())
    refused = operations.offer_expertise(db.session, w.campaign, declined, skill="营销", hours=5,
                                         now=utcnow())
    operations.decide_contribution(db.session, accepted, w.maker, True, "", utcnow())
    operations.decide_contribution(db.session, refused, w.maker, False, "不需要", utcnow())
    db.session.commit()
    before = len(outbox())
    _as(client, auth, w.backer)
    post = client.post
    assert post(f"/campaigns/{cid}/updates", data={"title": "x", "body": "y"}).status_code == 403
    _as(client, auth, w.maker)
    assert post(f"/campaigns/{cid}/updates", data={"title": "", "body": "y"}).status_code == 400
    assert len(outbox()) == before  # a refused post sends nothing
    assert client.post(f"/campaigns/{cid}/updates",
                       data={"title": "样机完成", "body": "第一批样机已测试"}).status_code == 302
    sent = [m for m in outbox()[before:] if "样机完成" in m.subject]
    assert sorted(m.recipient for m in sent) == sorted([paid_backer.email, expert.email])
    assert all(m.status.value == "logged" for m in sent)  # delivered after the commit
    assert "第一批样机已测试" in client.get(f"/campaigns/{cid}").get_data(as_text=True)
    print(f"update mailed to {len(sent)} backers (1 paid via hook + 1 accepted expert; "
          f"declined and outsiders not)")


def test_offer_and_pledge_through_the_pages_then_the_maker_answers(client, auth):
    w = make_campaign_world()
    go_live(w)
    cid = w.campaign.id
    _as(client, auth, w.backer)
    post = client.post
    assert post(f"/campaigns/{cid}/expertise", data={"skill": "", "hours": "5"}).status_code == 400
    assert client.post(f"/campaigns/{cid}/expertise",
                       data={"skill": "PCB 设计", "hours": "12", "note": "晚上"}).status_code == 302
    assert client.post(f"/campaigns/{cid}/resources",
                       data={"kind": "equipment", "description": "示波器",
                             "quantity": "1"}).status_code == 302
    assert client.post(f"/campaigns/{cid}/resources",
                       data={"kind": "rocket", "description": "x",
                             "quantity": "1"}).status_code == 400
    offer = db.session.scalars(sa.select(ExpertiseOffer)).one()
    pledge = db.session.scalars(sa.select(ResourcePledge)).one()
    assert client.post(f"/campaigns/offers/{offer.id}/accept").status_code == 403
    _as(client, auth, w.maker)
    manage = client.get(f"/campaigns/{cid}/manage").get_data(as_text=True)
    assert "PCB 设计" in manage and "示波器" in manage
    assert client.post(f"/campaigns/offers/{offer.id}/accept").status_code == 302
    assert client.post(f"/campaigns/resource-pledges/{pledge.id}/decline",
                       data={"reason": ""}).status_code == 400
    assert client.post(f"/campaigns/resource-pledges/{pledge.id}/decline",
                       data={"reason": "已有"}).status_code == 302
    db.session.expire_all()
    assert (offer.state, pledge.state) == (ContributionState.ACCEPTED, ContributionState.DECLINED)


def test_book_pledged_hours_page(client, auth):
    lab = make_world(requires_approval=False)
    w = make_campaign_world(money_goal_fen=0, expertise=(), resources=(("机时", None, None),))
    go_live(w)
    pledge = operations.pledge_resource(
        db.session, w.campaign, lab.lab_user, kind="instrument_hours", description="机时",
        quantity=1, hours=2, listing_id=lab.instrument.id, organization_id=lab.lab.id,
        need_id=w.campaign.resource_needs[0].id, now=utcnow())
    operations.decide_contribution(db.session, pledge, w.maker, True, "", utcnow())
    operations.close_due(db.session, after_deadline(w.campaign))
    db.session.commit()
    grant = db.session.scalars(sa.select(PledgedHours)).one()
    url = f"/campaigns/pledged-hours/{grant.id}/book"
    _as(client, auth, lab.sme_user)
    assert client.get(url).status_code == 404  # not the maker's organisation
    _as(client, auth, w.maker)
    assert client.get(url).status_code == 200
    day = local(1, "09:00").date().isoformat()
    too_long = {"day": day, "start": "09:00", "end": "12:00", "request_key": "rk-1"}
    assert client.post(url, data=too_long).status_code == 400
    ok = client.post(url, data={**too_long, "end": "11:00", "request_key": "rk-2"})
    assert ok.status_code == 302 and "/bookings/" in ok.headers["Location"]
    db.session.expire_all()
    assert grant.minutes_left == 0
