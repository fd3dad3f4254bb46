"""A maker with a campaign, an officer, and the way to take the campaign live."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from marketplace.campaigns import operations
from marketplace.extensions import db, utcnow
from marketplace.organizations.models import OrganizationKind
from marketplace.publishing.operations import create_listing
from tests.factories import make_officer, make_organization, make_user


@dataclass
class CampaignWorld:
    maker: object
    maker_org: object
    officer: object
    backer: object
    campaign: object


def make_campaign(organization, owner, *, money_goal_fen: int = 500_000,
                  expertise=(("嵌入式软件", 40),), resources=(("3D打印机时", "10小时", None),),
                  title: str = "智能农业传感器") -> object:
    values = {"title_zh": title, "title_en": "Smart farm sensor", "summary_zh": "低功耗土壤传感器",
              "district_code": "140403", "description": "众筹首批量产",
              "money_goal_fen": money_goal_fen,
              "deadline_date": date.today() + timedelta(days=30),
              "expertise_needs": list(expertise), "resource_needs": list(resources),
              "reward_tiers": [("感谢信", 10_000, "电子版")]}
    return create_listing(organization, owner, "campaign", values)


def make_campaign_world(**campaign) -> CampaignWorld:
    maker = make_user()
    maker_org = make_organization(maker, kind=OrganizationKind.MAKER)
    officer = make_officer()
    backer = make_user()
    made = make_campaign(maker_org, maker, **campaign)
    db.session.commit()
    return CampaignWorld(maker, maker_org, officer, backer, made)


def go_live(world: CampaignWorld, days: int = 30, now=None):
    now = now or utcnow()
    operations.submit_campaign(db.session, world.campaign, world.maker, days, now)
    operations.approve_campaign(db.session, world.campaign, world.officer, now)
    operations.launch_campaign(db.session, world.campaign, world.maker, now)
    db.session.commit()
    return world.campaign


def after_deadline(campaign):
    return campaign.deadline + timedelta(seconds=1)
