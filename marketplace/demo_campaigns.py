"""Demo campaigns in every state (step 4), on the 17 campaign listings of the catalogue.

* 轻量化铝合金液压支架护帮板中试 (太行精密机械, sme@): succeeded — a 筹智慧/筹资源 campaign (its money
  goal is set to 0 here) whose expertise and resource needs were met by accepted offers and
  pledges, among them 10 hours of the analysis centre's SEM, now free pledged hours for the maker;
* 谷子田无人机变量植保示范: failed (closed at its deadline without the money);
* 液压阀性能试验台共建: submitted, awaiting the officer's review (not in the catalogue);
* 武乡小米锅巴新品众筹: a draft; every other published campaign: live.

The contributions and the close go through the real operations with ``now`` moved back; the
life cycle of the others is written directly (their organisations have no demo users). Re-running
is idempotent: the history is made once; each run only re-applies what the catalogue's refresh
may have reset (the submitted one unpublished, the deadlines that going live set, the goal 0).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from listings.models import Campaign, Instrument, Listing, ListingStatus
from marketplace.campaigns import operations
from marketplace.campaigns.models import VISIBLE, CampaignState
from marketplace.extensions import db, utcnow

SUCCEEDED = "轻量化铝合金液压支架护帮板中试"
FAILED = "谷子田无人机变量植保示范"
SUBMITTED = "液压阀性能试验台共建"
SEM = "场发射扫描电子显微镜 Hitachi SU8010"


def load_demo_campaigns(users: dict, organizations: dict) -> dict[str, int]:
    """Give the demo campaigns their states (once) and keep them consistent. Flushes only."""
    campaigns = {c.title_zh: c
                 for c in db.session.scalars(sa.select(Campaign).order_by(Campaign.id))}
    if not campaigns:
        return {"campaigns_live": 0}
    now = utcnow()
    officer = users["officer@demo.czinno.cn"]
    made = 0
    succeeded = campaigns.get(SUCCEEDED)
    if succeeded is not None:
        succeeded.money_goal_fen = 0  # the catalogue's refresh sets it back each run
    if succeeded is not None and operations.state_of(succeeded) == CampaignState.DRAFT:
        _succeeded_history(succeeded, users, officer, now)
        made += 1
    failed = campaigns.get(FAILED)
    if failed is not None and operations.state_of(failed) == CampaignState.DRAFT:
        _force_live(failed, officer, now - timedelta(days=50), 20)
        db.session.flush()
        operations.close_due(db.session, failed.deadline + timedelta(minutes=5))
        made += 1
    submitted = campaigns.get(SUBMITTED)
    if submitted is not None and operations.state_of(submitted) == CampaignState.DRAFT:
        run = operations.get_run(db.session, submitted)
        run.state, run.duration_days = CampaignState.SUBMITTED, 45
        run.submitted_at = now - timedelta(days=1)
        made += 1
    for title, campaign in campaigns.items():
        run = operations.get_run(db.session, campaign)
        if (run.state == CampaignState.DRAFT and campaign.status == ListingStatus.PUBLISHED
                and title not in (SUCCEEDED, FAILED, SUBMITTED)):
            _force_live(campaign, officer, now - timedelta(days=3),
                        min(60, max(10, (campaign.deadline - now).days + 3)))
            made += 1
        # what the catalogue's refresh may have reset
        if run.state in VISIBLE:
            campaign.deadline = operations.deadline_for(run.went_live_at, run.duration_days)
            if campaign.status != ListingStatus.PUBLISHED:
                campaign.publish(run.went_live_at)
        elif campaign.status == ListingStatus.PUBLISHED:
            campaign.status, campaign.published_at = ListingStatus.DRAFT, None
    db.session.flush()
    pledged = _demo_money_pledges(campaigns, users, now)
    db.session.flush()
    counts = {state: 0 for state in CampaignState}
    for campaign in campaigns.values():
        counts[operations.state_of(campaign)] += 1
    # the catalogue's listing counts, as they are now that a campaign under review is unpublished
    statuses = dict(db.session.execute(sa.select(Listing.status, sa.func.count())
                                       .group_by(Listing.status)).all())
    return {"campaign_states_set": made, "campaigns_live": counts[CampaignState.LIVE],
            "money_pledges": pledged,
            "campaigns_closed": counts[CampaignState.SUCCEEDED] + counts[CampaignState.FAILED],
            "published": statuses.get(ListingStatus.PUBLISHED, 0),
            "drafts": statuses.get(ListingStatus.DRAFT, 0),
            "archived": statuses.get(ListingStatus.ARCHIVED, 0)}


def _demo_money_pledges(campaigns: dict, users: dict, now) -> int:
    """筹资金 on the first live campaign of maker@'s team: two bank transfers from 太行精密 (sme@)
    that the maker confirmed, one still waiting for the maker, one anonymous. Through the real
    operations; the fixed request keys make a second run return the same pledges."""
    from marketplace.campaigns import pledges
    from marketplace.payments.models import PaymentMethod, PaymentStatus

    maker, sme = users["maker@demo.czinno.cn"], users["sme@demo.czinno.cn"]
    campaign = next((c for c in campaigns.values() if c.organization.is_member(maker)
                     and operations.state_of(c) == CampaignState.LIVE), None)
    if campaign is None:
        return 0
    backer_org = next((m.organization for m in sme.memberships), None)
    made = 0
    for n, (amount_fen, anonymous, confirmed) in enumerate(
            ((300_000, False, True), (120_000, True, True), (50_000, False, False)), start=1):
        pledge = pledges.pledge_money(
            db.session, campaign, backer=sme, amount_fen=amount_fen, anonymous=anonymous,
            method=PaymentMethod.BANK_TRANSFER, key=f"demo:pledge:{n}",
            organization=backer_org, now=now - timedelta(days=2, hours=n))
        payment = pledges.payment_of(db.session, pledge)
        if confirmed and payment.status == PaymentStatus.PENDING:
            from marketplace.payments import operations as payments

            payments.confirm_bank_transfer(db.session, payment, user=maker,
                                           now=now - timedelta(days=1, hours=n))
        made += 1
    return made


def _force_live(campaign: Campaign, officer, went_live, days: int) -> None:
    """Submitted, approved and live at ``went_live`` (the review written as the officer's)."""
    run = operations.get_run(db.session, campaign)
    run.state, run.duration_days = CampaignState.LIVE, days
    run.submitted_at = went_live - timedelta(days=2)
    run.reviewed_by_id, run.reviewed_at = officer.id, went_live - timedelta(days=1)
    run.went_live_at = went_live
    campaign.deadline = operations.deadline_for(went_live, days)
    if campaign.status != ListingStatus.PUBLISHED:
        campaign.publish(went_live)


def _succeeded_history(campaign: Campaign, users: dict, officer, now) -> None:
    sme, lab = users["sme@demo.czinno.cn"], users["lab@demo.czinno.cn"]
    maker, park = users["maker@demo.czinno.cn"], users["park@demo.czinno.cn"]
    went_live = now - timedelta(days=40)
    _force_live(campaign, officer, went_live, 30)
    db.session.flush()
    when = went_live + timedelta(days=5)
    sem = db.session.scalar(sa.select(Instrument).where(Instrument.title_zh == SEM))
    sem_org = sem.organization if sem is not None else None
    contributions = []
    experts = [lab, maker]
    for need, expert in zip(campaign.expertise_needs, experts * 2, strict=False):
        contributions.append(operations.offer_expertise(
            db.session, campaign, expert, skill=need.skill, hours=need.hours,
            note="可远程与现场结合", need_id=need.id, now=when))
    for need in campaign.resource_needs:
        if sem is not None and need.linked_listing_id == sem.id and sem_org.is_member(lab):
            contributions.append(operations.pledge_resource(
                db.session, campaign, lab, kind="instrument_hours", description="SEM断口分析机时",
                quantity=1, hours=10, listing_id=sem.id, organization_id=sem_org.id,
                need_id=need.id, note="含能谱", now=when))
        else:
            contributions.append(operations.pledge_resource(
                db.session, campaign, park, kind="space" if "厂房" in need.item else "equipment",
                description=need.item, quantity=1, need_id=need.id, now=when))
    for contribution in contributions:
        operations.decide_contribution(db.session, contribution, sme, True, "",
                                       when + timedelta(days=1))
    db.session.flush()
    operations.close_due(db.session, campaign.deadline + timedelta(minutes=5))
