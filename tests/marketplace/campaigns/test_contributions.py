"""筹智慧 expertise offers and 筹资源 resource pledges: made while live, answered by the maker,
counted toward the goals; and the success rule of a campaign without a money goal."""

from __future__ import annotations

import pytest

from marketplace.campaigns import operations
from marketplace.campaigns.models import CampaignState, ContributionState, ResourceKind
from marketplace.errors import DomainError, InvalidStateError, NotAllowedError
from marketplace.extensions import db, utcnow
from marketplace.organizations.models import OrganizationKind
from tests.factories import make_instrument, make_organization, make_user
from tests.marketplace.campaigns.helpers import after_deadline, go_live, make_campaign_world


def _offer(w, user=None, hours=25, **kw):
    return operations.offer_expertise(db.session, w.campaign, user or w.backer, skill="嵌入式软件",
                                      hours=hours, note="周末可用", now=utcnow(), **kw)


def test_expertise_offer_accepted_counts_toward_the_goal(outbox):
    w = make_campaign_world(money_goal_fen=0)
    go_live(w)
    first, second = _offer(w, hours=25), _offer(w, user=make_user(), hours=30)
    db.session.commit()
    assert any(m.recipient == w.maker.email and "25" in m.body for m in outbox())
    operations.decide_contribution(db.session, first, w.maker, True, "", utcnow())
    operations.decide_contribution(db.session, second, w.maker, False, "技能不匹配", utcnow())
    db.session.commit()
    assert (first.state, second.state) == (ContributionState.ACCEPTED, ContributionState.DECLINED)
    assert second.decline_reason == "技能不匹配"
    assert operations.progress(db.session, w.campaign)["expertise"] == (25, 40)
    with pytest.raises(InvalidStateError):  # answered already
        operations.decide_contribution(db.session, first, w.maker, False, "改主意", utcnow())


def test_decline_needs_a_reason_and_only_the_maker_decides():
    w = make_campaign_world()
    go_live(w)
    offer = _offer(w)
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        operations.decide_contribution(db.session, offer, w.maker, False, " ", utcnow())
    assert refused.value.field == "reason"
    with pytest.raises(NotAllowedError):
        operations.decide_contribution(db.session, offer, w.backer, True, "", utcnow())
    db.session.rollback()
    assert offer.state == ContributionState.OFFERED


def test_offers_only_while_live_and_not_by_the_team():
    w = make_campaign_world()
    with pytest.raises(InvalidStateError):  # a draft
        _offer(w)
    db.session.rollback()
    go_live(w)
    with pytest.raises(DomainError):  # the maker's own team
        _offer(w, user=w.maker)
    db.session.rollback()
    with pytest.raises(DomainError) as refused:
        _offer(w, hours=0)
    assert refused.value.field == "hours"
    db.session.rollback()
    with pytest.raises(NotAllowedError):  # for an organisation the user is not in
        _offer(w, organization_id=w.maker_org.id)
    db.session.rollback()
    operations.close_due(db.session, after_deadline(w.campaign))
    db.session.commit()
    with pytest.raises(InvalidStateError):  # closed
        _offer(w)


def test_resource_pledge_of_a_listing_must_be_the_pledgers_own():
    w = make_campaign_world()
    go_live(w)
    lab_user = make_user()
    lab = make_organization(lab_user, kind=OrganizationKind.UNIVERSITY)
    instrument = make_instrument(lab)
    other = make_organization(w.backer, kind=OrganizationKind.ENTERPRISE)
    db.session.commit()
    pledge = dict(kind="instrument_hours", description="扫描电镜机时", quantity=1, hours=3,
                  listing_id=instrument.id, now=utcnow())
    with pytest.raises(NotAllowedError):  # the backer's organisation does not own it
        operations.pledge_resource(db.session, w.campaign, w.backer, organization_id=other.id,
                                   **pledge)
    db.session.rollback()
    with pytest.raises(NotAllowedError):  # not a member of the lab
        operations.pledge_resource(db.session, w.campaign, w.backer, organization_id=lab.id,
                                   **pledge)
    db.session.rollback()
    with pytest.raises(DomainError) as refused:  # instrument hours need the hours
        operations.pledge_resource(db.session, w.campaign, lab_user, organization_id=lab.id,
                                   **{**pledge, "hours": None})
    assert refused.value.field == "hours"
    db.session.rollback()
    made = operations.pledge_resource(db.session, w.campaign, lab_user, organization_id=lab.id,
                                      **pledge)
    db.session.commit()
    assert made.kind == ResourceKind.INSTRUMENT_HOURS and made.listing_id == instrument.id


def test_campaign_without_money_goal_succeeds_when_expertise_and_resources_are_met():
    met, short = (make_campaign_world(money_goal_fen=0) for _ in range(2))
    for w in (met, short):
        go_live(w)
        need = w.campaign.resource_needs[0]
        offer = _offer(w, hours=40 if w is met else 39)
        pledge = operations.pledge_resource(
            db.session, w.campaign, w.backer, kind="materials", description="PLA 耗材",
            quantity=5, need_id=need.id, now=utcnow())
        operations.decide_contribution(db.session, offer, w.maker, True, "", utcnow())
        operations.decide_contribution(db.session, pledge, w.maker, True, "", utcnow())
    db.session.commit()
    assert operations.progress(db.session, met.campaign)["resources"] == (1, 1)
    operations.close_due(db.session, max(after_deadline(met.campaign),
                                         after_deadline(short.campaign)))
    db.session.commit()
    assert met.campaign.run.state == CampaignState.SUCCEEDED
    assert short.campaign.run.state == CampaignState.FAILED  # 39 of 40 hours
    print("success rule without money goal: 40/40 h + 1/1 need → succeeded; 39/40 h → failed")
