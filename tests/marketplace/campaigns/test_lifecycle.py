"""The campaign life cycle: draft → submitted → approved (or sent back) → live → closed, with
its refusals, the goals fixed once submitted, visibility, and the idempotent close."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from listings.models import ListingStatus
from marketplace.audit import AuditEntry
from marketplace.campaigns import operations
from marketplace.campaigns.models import CampaignRun, CampaignState, PledgedHours
from marketplace.errors import DomainError, InvalidStateError, NotAllowedError
from marketplace.extensions import db, utcnow
from marketplace.publishing.operations import archive_listing, publish_listing, update_listing
from tests.marketplace.bookings.concurrency import run_in_threads
from tests.marketplace.campaigns.helpers import after_deadline, go_live, make_campaign_world

SHANGHAI_MIDNIGHT_UTC_HOUR = 16  # 00:00 in Beijing is 16:00 UTC the day before


def _search_ids(client, q="传感器"):
    return [r["id"] for r in client.get(f"/api/v1/listings?q={q}").get_json()["results"]]


def test_full_life_cycle_publishes_only_when_live(client):
    w = make_campaign_world()
    c = w.campaign
    assert operations.state_of(c) == CampaignState.DRAFT and c.status == ListingStatus.DRAFT
    now = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
    operations.submit_campaign(db.session, c, w.maker, 10, now)
    db.session.commit()
    assert c.status == ListingStatus.DRAFT and _search_ids(client) == []
    operations.approve_campaign(db.session, c, w.officer, now)
    db.session.commit()
    assert c.run.state == CampaignState.APPROVED and _search_ids(client) == []
    operations.launch_campaign(db.session, c, w.maker, now)
    db.session.commit()
    assert c.run.state == CampaignState.LIVE and c.status == ListingStatus.PUBLISHED
    assert _search_ids(client) == [c.id]
    # 10 days after 1 December 10:00 Beijing → open until the end of 11 December (Beijing)
    assert c.deadline == datetime(2026, 12, 11, SHANGHAI_MIDNIGHT_UTC_HOUR, 0, tzinfo=UTC)
    actions = list(db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.object_type == "campaign_runs").order_by(AuditEntry.id)))
    assert actions == ["campaign.submit", "campaign.approve", "campaign.launch"]


def test_send_back_returns_to_draft_with_reasons_and_can_be_resubmitted(outbox):
    w = make_campaign_world()
    c = w.campaign
    operations.submit_campaign(db.session, c, w.maker, 20, utcnow())
    operations.send_back_campaign(db.session, c, w.officer, "请补充预算明细", utcnow())
    db.session.commit()
    assert c.run.state == CampaignState.DRAFT and c.run.review_note == "请补充预算明细"
    assert any("请补充预算明细" in m.body for m in outbox() if m.recipient == w.maker.email)
    with pytest.raises(DomainError) as refused:
        operations.send_back_campaign(db.session, c, w.officer, "  ", utcnow())
    assert refused.value.field == "reasons"
    db.session.rollback()
    operations.submit_campaign(db.session, c, w.maker, 20, utcnow())
    db.session.commit()
    assert c.run.state == CampaignState.SUBMITTED


@pytest.mark.parametrize("days", [0, 61, -1, 365])
def test_duration_outside_one_to_sixty_days_is_refused(days):
    w = make_campaign_world()
    with pytest.raises(DomainError) as refused:
        operations.submit_campaign(db.session, w.campaign, w.maker, days, utcnow())
    assert refused.value.field == "duration_days"
    db.session.rollback()
    assert operations.state_of(w.campaign) == CampaignState.DRAFT


@pytest.mark.parametrize("days", [1, 60])
def test_duration_limits_are_accepted(days):
    w = make_campaign_world()
    go_live(w, days)
    assert w.campaign.run.duration_days == days


def test_refusals_in_the_wrong_state_or_by_the_wrong_person():
    w = make_campaign_world()
    c, now = w.campaign, utcnow()
    with pytest.raises(InvalidStateError):  # not submitted yet
        operations.approve_campaign(db.session, c, w.officer, now)
    db.session.rollback()
    with pytest.raises(InvalidStateError):  # not approved yet
        operations.launch_campaign(db.session, c, w.maker, now)
    db.session.rollback()
    with pytest.raises(NotAllowedError):  # an outsider
        operations.submit_campaign(db.session, c, w.backer, 30, now)
    db.session.rollback()
    operations.submit_campaign(db.session, c, w.maker, 30, now)
    db.session.commit()
    with pytest.raises(InvalidStateError):  # twice
        operations.submit_campaign(db.session, c, w.maker, 30, now)
    db.session.rollback()
    for not_officer in (w.maker, w.backer):
        with pytest.raises(NotAllowedError):
            operations.approve_campaign(db.session, c, not_officer, now)
        db.session.rollback()
        with pytest.raises(NotAllowedError):
            operations.send_back_campaign(db.session, c, not_officer, "no", now)
        db.session.rollback()
    operations.approve_campaign(db.session, c, w.officer, now)
    db.session.commit()
    with pytest.raises(NotAllowedError):
        operations.launch_campaign(db.session, c, w.backer, now)
    db.session.rollback()
    with pytest.raises(InvalidStateError):  # approved already
        operations.approve_campaign(db.session, c, w.officer, now)
    db.session.rollback()
    assert c.run.state == CampaignState.APPROVED and c.status == ListingStatus.DRAFT


def test_maker_cannot_bypass_review_with_the_listing_publish():
    w = make_campaign_world()
    with pytest.raises(InvalidStateError):
        publish_listing(w.campaign, w.maker)
    db.session.rollback()
    operations.submit_campaign(db.session, w.campaign, w.maker, 30, utcnow())
    operations.approve_campaign(db.session, w.campaign, w.officer, utcnow())
    with pytest.raises(InvalidStateError):  # approved, but going live is the launch
        publish_listing(w.campaign, w.maker)
    db.session.rollback()
    assert w.campaign.status == ListingStatus.DRAFT


def _edit_values(c, **changes):
    values = {"title_zh": c.title_zh, "title_en": c.title_en, "summary_zh": "新的简介",
              "district_code": c.district_code, "description": c.description,
              "money_goal_fen": c.money_goal_fen,
              "deadline_date": (utcnow() + timedelta(days=5)).date(),
              "expertise_needs": [(n.skill, n.hours) for n in c.expertise_needs],
              "resource_needs": [(r.item, r.quantity, r.linked_listing_id)
                                 for r in c.resource_needs],
              "reward_tiers": [(t.title, t.min_pledge_fen, t.description) for t in c.reward_tiers]}
    values.update(changes)
    return values


def _child_ids(c):
    return ([n.id for n in c.expertise_needs], [r.id for r in c.resource_needs],
            [t.id for t in c.reward_tiers])


@pytest.mark.parametrize("change", [
    {"money_goal_fen": 900_000}, {"expertise_needs": [("嵌入式软件", 80)]},
    {"resource_needs": []}, {"reward_tiers": [("感谢信", 1, "电子版")]},
])
def test_goals_cannot_change_once_live_but_texts_can(change):
    w = make_campaign_world()
    c = go_live(w)
    deadline, goal = c.deadline, c.money_goal_fen
    with pytest.raises(InvalidStateError) as refused:
        update_listing(c, w.maker, _edit_values(c, **change))
    assert refused.value.field == "money_goal_fen"
    db.session.rollback()
    children = _child_ids(c)
    update_listing(c, w.maker, _edit_values(c))  # same goals, new summary: fine
    db.session.commit()
    assert c.summary_zh == "新的简介" and c.money_goal_fen == goal
    # the needs and rewards are the same rows (offers and pledges point at them)
    assert _child_ids(c) == children and all(children)
    assert c.deadline == deadline  # the deadline comes from going live, not from the form


def test_goals_can_change_in_draft():
    w = make_campaign_world()
    update_listing(w.campaign, w.maker, _edit_values(w.campaign, money_goal_fen=900_000))
    db.session.commit()
    assert w.campaign.money_goal_fen == 900_000


def test_live_campaign_cannot_be_archived_until_closed():
    w = make_campaign_world()
    c = go_live(w)
    with pytest.raises(InvalidStateError):
        archive_listing(c, w.maker)
    db.session.rollback()
    operations.close_due(db.session, after_deadline(c))
    archive_listing(c, w.maker)
    db.session.commit()
    assert c.status == ListingStatus.ARCHIVED


# ---------------------------------------------------------------------------------------------
# the close
def test_close_due_twice_closes_once_and_calls_the_handlers_once(hooks):
    w = make_campaign_world(money_goal_fen=100_000)
    c = go_live(w)
    calls = []
    hooks.register_money_raised(lambda session, campaign: 100_000)
    hooks.register_close_handler(lambda session, campaign, ok, now: calls.append((campaign.id, ok)))
    assert operations.close_due(db.session, c.deadline - timedelta(seconds=1)) == []  # not due
    first = operations.close_due(db.session, after_deadline(c))
    db.session.commit()
    second = operations.close_due(db.session, after_deadline(c) + timedelta(hours=1))
    db.session.commit()
    assert [r.campaign_id for r in first] == [c.id] and second == []
    assert calls == [(c.id, True)]
    assert c.run.state == CampaignState.SUCCEEDED and c.run.money_raised_fen == 100_000
    assert c.status == ListingStatus.PUBLISHED  # still visible, as closed
    print(f"close_due idempotent: 2 calls → {len(first) + len(second)} close, "
          f"{len(calls)} handler call")


def test_close_handler_runs_in_the_closing_transaction(hooks):
    """A handler that fails undoes the close: nothing is half-closed."""
    w = make_campaign_world()
    c = go_live(w)

    def broken(session, campaign, ok, now):
        raise RuntimeError("pledges refused")

    hooks.register_close_handler(broken)
    with pytest.raises(RuntimeError):
        operations.close_due(db.session, after_deadline(c))
    db.session.rollback()
    db.session.expire_all()
    assert c.run.state == CampaignState.LIVE and c.run.closed_at is None


def test_success_rule_money_goal(hooks):
    """Succeeded iff the money raised reaches the goal (one fen short fails)."""
    raised = {}
    hooks.register_money_raised(lambda session, campaign: raised[campaign.id])
    short, met = (make_campaign_world(money_goal_fen=100_000) for _ in range(2))
    go_live(short), go_live(met)
    raised[short.campaign.id], raised[met.campaign.id] = 99_999, 100_000
    closed = operations.close_due(db.session, after_deadline(met.campaign) + timedelta(hours=1))
    db.session.commit()
    assert len(closed) == 2
    assert short.campaign.run.state == CampaignState.FAILED
    assert met.campaign.run.state == CampaignState.SUCCEEDED
    assert operations.money_raised_fen(db.session, short.campaign) == 99_999  # kept from the close


def test_without_registered_hook_money_raised_is_zero(hooks):
    hooks._money_raised[:] = []
    w = make_campaign_world(money_goal_fen=1)
    go_live(w)
    assert operations.money_raised_fen(db.session, w.campaign) == 0
    operations.close_due(db.session, after_deadline(w.campaign))
    db.session.commit()
    assert w.campaign.run.state == CampaignState.FAILED


def test_no_goal_at_all_cannot_be_submitted():
    w = make_campaign_world(money_goal_fen=0, expertise=(), resources=())
    with pytest.raises(DomainError):
        operations.submit_campaign(db.session, w.campaign, w.maker, 30, utcnow())


def test_concurrent_close_from_two_threads_closes_once(app, hooks):
    w = make_campaign_world()
    c = go_live(w)
    calls = []
    hooks.register_close_handler(lambda session, campaign, ok, now: calls.append(campaign.id))
    when = after_deadline(c)

    def close(_index):
        closed = operations.close_due(db.session, when)
        db.session.commit()
        return len(closed)

    outcomes = run_in_threads(app, 2, close)
    assert [o.error for o in outcomes] == [None, None]
    assert sorted(o.value for o in outcomes) == [0, 1]
    assert calls == [c.id]
    db.session.expire_all()
    assert db.session.scalar(sa.select(CampaignRun.state).where(
        CampaignRun.campaign_id == c.id)) == CampaignState.FAILED
    backend = db.engine.dialect.name
    report_line = (f"campaign close race ({backend}): 2 threads → "
                   f"{sum(o.value for o in outcomes)} close, {len(calls)} handler call")
    print(report_line)


def test_cli_close_due_prints_a_summary(app):
    w = make_campaign_world()
    c = go_live(w, days=1)
    c.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["campaigns", "close-due"])
    second = runner.invoke(args=["campaigns", "close-due"])
    assert first.exit_code == 0
    assert first.output.strip() == "closed 1 campaigns: 0 succeeded, 1 failed"
    assert second.output.strip() == "closed 0 campaigns: 0 succeeded, 0 failed"
    db.session.expire_all()
    assert c.run.state == CampaignState.FAILED


def test_in_process_job_closes_due_campaigns(app):
    from marketplace.campaigns import jobs

    w = make_campaign_world()
    c = go_live(w, days=1)
    c.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert jobs.start_jobs(app) is None  # testing: no thread
    assert jobs.run_once(app) == 1 and jobs.run_once(app) == 0
    db.session.expire_all()
    assert c.run.state == CampaignState.FAILED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PledgedHours)) == 0
