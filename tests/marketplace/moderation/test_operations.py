"""Take-downs, appeals, decisions, the live-campaign rule, review hiding, suspension."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from listings import search
from listings.models import ListingStatus
from marketplace.audit import AuditEntry
from marketplace.auth import operations as accounts
from marketplace.campaigns.models import CampaignState
from marketplace.campaigns.pledge_models import Pledge, PledgeStatus
from marketplace.errors import ConflictError, DomainError, InvalidStateError, NotAllowedError
from marketplace.extensions import db
from marketplace.moderation import operations as moderation
from marketplace.moderation.models import TakedownStatus
from marketplace.publishing import operations as publishing
from tests.factories import make_instrument, make_officer, make_organization, make_user


def _indexed_ids(app) -> set[int]:
    return set(search.indexed_versions(app.config["SEARCH_INDEX_DIR"]))


@pytest.fixture
def world(app):
    owner, member, outsider = make_user(), make_user(), make_user()
    org = make_organization(owner, members=[member])
    make_organization(outsider)
    officer = make_officer()
    instrument = make_instrument(org)
    db.session.commit()
    return owner, member, outsider, officer, instrument


def _actions(obj) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.object_id == str(obj.id), AuditEntry.object_type == obj.__tablename__)
        .order_by(AuditEntry.id)))


def test_take_down_hides_listing_and_leaves_the_index(app, world, outbox):
    owner, member, outsider, officer, instrument = world
    assert instrument.id in _indexed_ids(app)
    takedown = moderation.take_down_listing(db.session, instrument, officer, "虚假宣传")
    db.session.commit()
    assert instrument.status == ListingStatus.ARCHIVED
    assert not instrument.can_view(outsider) and instrument.can_view(owner)
    assert instrument.id not in _indexed_ids(app)
    assert takedown.previous_status == "published"
    assert {m.recipient for m in outbox()} >= {owner.email, member.email}
    assert "moderation.take_down" in _actions(instrument)


def test_take_down_needs_an_officer_and_a_reason(world):
    owner, member, outsider, officer, instrument = world
    with pytest.raises(NotAllowedError):
        moderation.take_down_listing(db.session, instrument, owner, "x")
    with pytest.raises(DomainError) as error:
        moderation.take_down_listing(db.session, instrument, officer, "  ")
    assert error.value.field == "reason"
    with pytest.raises(DomainError):
        moderation.take_down_listing(db.session, instrument, officer, "x" * 2001)


def test_taken_down_listing_cannot_be_published_again(world):
    owner, member, outsider, officer, instrument = world
    moderation.take_down_listing(db.session, instrument, officer, "违规")
    db.session.commit()
    with pytest.raises(InvalidStateError, match="taken this listing down"):
        publishing.publish_listing(instrument, owner)
    assert instrument.status == ListingStatus.ARCHIVED


def test_second_take_down_refused(world):
    *_, officer, instrument = world
    moderation.take_down_listing(db.session, instrument, officer, "违规")
    with pytest.raises(ConflictError):
        moderation.take_down_listing(db.session, instrument, officer, "again")


def test_appeal_once_by_a_member(world):
    owner, member, outsider, officer, instrument = world
    takedown = moderation.take_down_listing(db.session, instrument, officer, "违规")
    db.session.commit()
    with pytest.raises(NotAllowedError):
        moderation.appeal_takedown(db.session, takedown, outsider, "not mine")
    with pytest.raises(NotAllowedError):
        moderation.appeal_takedown(db.session, takedown, officer, "officer")
    with pytest.raises(DomainError):
        moderation.appeal_takedown(db.session, takedown, member, " ")
    moderation.appeal_takedown(db.session, takedown, member, "设备信息属实")
    db.session.commit()
    assert takedown.appeal_pending
    with pytest.raises(ConflictError, match="one appeal"):
        moderation.appeal_takedown(db.session, takedown, owner, "again")


def test_restore_returns_the_listing_to_what_it_was(app, world):
    owner, member, outsider, officer, instrument = world
    takedown = moderation.take_down_listing(db.session, instrument, officer, "违规")
    db.session.commit()
    published_at = instrument.published_at
    moderation.decide_takedown(db.session, takedown, officer, restore=True, note="误判")
    db.session.commit()
    assert takedown.status == TakedownStatus.RESTORED
    assert instrument.status == ListingStatus.PUBLISHED
    assert instrument.published_at == published_at
    assert instrument.id in _indexed_ids(app)
    publishing.archive_listing(instrument, owner)  # the owner is in charge again
    publishing.publish_listing(instrument, owner)
    assert "moderation.restore" in _actions(instrument)
    with pytest.raises(InvalidStateError):
        moderation.decide_takedown(db.session, takedown, officer, restore=False)


def test_restore_of_a_draft_keeps_it_a_draft(world):
    owner, *_ = world
    officer = world[3]
    draft = make_instrument(world[4].organization, published=False)
    takedown = moderation.take_down_listing(db.session, draft, officer, "违规")
    moderation.decide_takedown(db.session, takedown, officer, restore=True)
    assert draft.status == ListingStatus.DRAFT


def test_uphold_keeps_it_hidden_and_unpublishable(world):
    owner, member, outsider, officer, instrument = world
    takedown = moderation.take_down_listing(db.session, instrument, officer, "违规")
    moderation.appeal_takedown(db.session, takedown, member, "请恢复")
    moderation.decide_takedown(db.session, takedown, officer, restore=False, note="维持")
    db.session.commit()
    assert takedown.status == TakedownStatus.UPHELD
    assert instrument.status == ListingStatus.ARCHIVED
    with pytest.raises(InvalidStateError):
        publishing.publish_listing(instrument, owner)
    with pytest.raises(NotAllowedError):
        moderation.decide_takedown(db.session, takedown, owner, restore=True)
    assert "moderation.uphold" in _actions(instrument)


# ---------------------------------------------------------------------------------------------
# campaigns
def test_live_campaign_refused_unless_closed_as_failed_and_pledges_refunded():
    from tests.marketplace.campaigns.test_pledges import (
        confirm_bank_refunds,
        make_live_campaign,
        pay_by_bank,
        pledge,
    )

    backing = make_live_campaign()
    paid = pledge(backing, backing.backers[0], 20_000)
    pay_by_bank(backing, paid)
    db.session.commit()
    campaign = backing.campaign
    with pytest.raises(DomainError) as error:
        moderation.take_down_listing(db.session, campaign, backing.officer, "虚假众筹")
    assert error.value.field == "close_campaign"
    db.session.rollback()
    assert campaign.run.state == CampaignState.LIVE
    takedown = moderation.take_down_listing(db.session, campaign, backing.officer, "虚假众筹",
                                            close_campaign=True)
    db.session.commit()
    assert takedown.closed_campaign
    assert campaign.run.state == CampaignState.FAILED
    assert campaign.status == ListingStatus.ARCHIVED
    assert confirm_bank_refunds(backing) == 1
    db.session.expire_all()
    assert db.session.get(Pledge, paid.id).status == PledgeStatus.REFUNDED
    # a restore shows it again, closed (it cannot be live again)
    moderation.decide_takedown(db.session, takedown, backing.officer, restore=True)
    db.session.commit()
    assert campaign.status == ListingStatus.PUBLISHED
    assert campaign.run.state == CampaignState.FAILED


def test_taken_down_approved_campaign_cannot_launch():
    from marketplace.campaigns import operations as campaigns
    from listings.models import Campaign
    from marketplace.extensions import utcnow
    from marketplace.organizations.models import OrganizationKind

    maker = make_user()
    org = make_organization(maker, kind=OrganizationKind.MAKER)
    officer = make_officer()
    campaign = Campaign(organization=org, created_by_id=maker.id, title_zh="众筹",
                        district_code="140403", money_goal_fen=100_000,
                        deadline=utcnow() + timedelta(days=30))
    db.session.add(campaign)
    db.session.flush()
    campaigns.submit_campaign(db.session, campaign, maker, 10, utcnow())
    campaigns.approve_campaign(db.session, campaign, officer, utcnow())
    moderation.take_down_listing(db.session, campaign, officer, "违规")
    with pytest.raises(InvalidStateError):
        campaigns.launch_campaign(db.session, campaign, maker, utcnow())


# ---------------------------------------------------------------------------------------------
# reviews
def test_review_hidden_with_reason_and_restored():
    from tests.marketplace.reviews.helpers import completed_booking
    from marketplace.reviews import operations as reviews

    deal = completed_booking()
    review = reviews.create_review(db.session, deal.sme_user, deal_kind="booking",
                                   deal=deal.booking, stars=1, text="骗子")
    reviews.report_review(db.session, review, deal.lab_user, "辱骂")
    db.session.commit()
    takedown = moderation.take_down_review(db.session, review, deal.officer, "含人身攻击")
    db.session.commit()
    assert review.is_hidden and not review.open_reports
    assert takedown.organization_id == deal.sme.id
    assert reviews.listing_summary(db.session, deal.instrument).count == 0
    moderation.appeal_takedown(db.session, takedown, deal.sme_user, "属实")
    moderation.decide_takedown(db.session, takedown, deal.officer, restore=True)
    db.session.commit()
    assert not review.is_hidden
    assert _actions(review) == ["moderation.take_down", "moderation.restore"]


# ---------------------------------------------------------------------------------------------
# suspension
def test_suspend_ends_sessions_and_blocks_login_then_unsuspend(world):
    owner, member, outsider, officer, instrument = world
    token = accounts.start_session(member, remember=False)
    db.session.commit()
    assert accounts.load_session(token) is not None
    assert moderation.suspend_user(db.session, member, officer, "刷单") == 1
    db.session.commit()
    assert accounts.load_session(token) is None
    from tests.factories import DEFAULT_PASSWORD

    with pytest.raises(NotAllowedError, match="suspended"):
        accounts.authenticate(member.email, DEFAULT_PASSWORD)
    assert accounts.authenticate(member.email, "wrong password") is None
    with pytest.raises(ConflictError):
        moderation.suspend_user(db.session, member, officer, "again")
    moderation.unsuspend_user(db.session, member, officer)
    db.session.commit()
    assert accounts.authenticate(member.email, DEFAULT_PASSWORD) == member
    assert _actions(member)[-2:] == ["user.suspended", "user.unsuspended"]


def test_suspension_limits(world):
    owner, member, outsider, officer, instrument = world
    other_officer = make_officer()
    with pytest.raises(NotAllowedError):
        moderation.suspend_user(db.session, member, owner, "x")
    with pytest.raises(NotAllowedError):
        moderation.suspend_user(db.session, officer, officer, "x")
    with pytest.raises(NotAllowedError):
        moderation.suspend_user(db.session, other_officer, officer, "x")
    with pytest.raises(DomainError):
        moderation.suspend_user(db.session, member, officer, "")
