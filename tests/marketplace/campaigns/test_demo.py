"""The demo campaigns: every state, the succeeded one with free pledged SEM hours; idempotent."""

from __future__ import annotations

import sqlalchemy as sa

from listings.models import Campaign, ListingStatus
from marketplace.campaigns.models import (
    CampaignRun,
    CampaignState,
    ExpertiseOffer,
    PledgedHours,
    ResourcePledge,
)
from marketplace.campaigns.pledge_models import Pledge, PledgeStatus
from marketplace.demo import load_demo
from marketplace.demo_campaigns import FAILED, SUBMITTED, SUCCEEDED
from marketplace.extensions import db, utcnow


def _counts():
    return {model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (CampaignRun, ExpertiseOffer, ResourcePledge, PledgedHours, Pledge)}


def test_demo_campaigns_in_every_state_and_idempotent():
    load_demo()
    db.session.commit()
    first = _counts()
    load_demo()
    db.session.commit()
    assert _counts() == first
    campaigns = {c.title_zh: c for c in db.session.scalars(sa.select(Campaign))}
    states = [c.run.state for c in campaigns.values()]
    assert campaigns[SUCCEEDED].run.state == CampaignState.SUCCEEDED
    assert campaigns[FAILED].run.state == CampaignState.FAILED
    assert campaigns[SUBMITTED].run.state == CampaignState.SUBMITTED
    assert campaigns[SUBMITTED].status == ListingStatus.DRAFT  # under review: not public
    assert states.count(CampaignState.LIVE) >= 10
    now = utcnow()
    for campaign in campaigns.values():
        published = campaign.status == ListingStatus.PUBLISHED
        assert published == (campaign.run.state in (CampaignState.LIVE, CampaignState.SUCCEEDED,
                                                     CampaignState.FAILED)), campaign.title_zh
        if campaign.run.state == CampaignState.LIVE:
            assert now < campaign.deadline, campaign.title_zh
    money = db.session.scalars(sa.select(Pledge).order_by(Pledge.id)).all()
    assert [p.status for p in money] == [PledgeStatus.PAID, PledgeStatus.PAID, PledgeStatus.PENDING]
    assert len({p.campaign_id for p in money}) == 1 and money[0].campaign.run.state == CampaignState.LIVE
    grant = db.session.scalars(sa.select(PledgedHours)).one()
    assert grant.campaign_id == campaigns[SUCCEEDED].id and grant.minutes_granted == 600
    print(f"demo campaigns: {states.count(CampaignState.LIVE)} live, 1 submitted, 1 succeeded "
          f"(10 pledged SEM hours), 1 failed, {states.count(CampaignState.DRAFT)} draft")
