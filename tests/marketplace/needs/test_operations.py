"""Needs and proposals through the operations: posting rules, who may propose with what, one
open proposal per provider, shortlist, decline with feedback, withdraw, solve, close."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from listings.models import ListingStatus, Need
from marketplace.errors import DomainError, InvalidStateError, NotAllowedError
from marketplace.extensions import db, utcnow
from marketplace.feedback import DeclineReason
from marketplace.needs import operations
from marketplace.needs.models import NeedProposal, ProposalStatus
from marketplace.publishing import operations as publishing
from tests.factories import make_instrument
from tests.marketplace.needs.helpers import SHANGHAI_TODAY, need_values, post_need, propose


# --- posting through publishing ----------------------------------------------------------------
def test_need_is_posted_and_published_by_an_enterprise(world):
    need = post_need(world)
    assert isinstance(need, Need) and need.is_open
    assert need.solutions[0].value == "technology" and need.budget_fen == 50_000_000
    assert need.is_searchable


@pytest.mark.parametrize(("changes", "field"), [
    ({"solution_kinds": []}, "solution_kinds"),
    ({"solution_kinds": ["rocket"]}, "solution_kinds"),
    ({"budget_fen": -1}, "budget_fen"),
    ({"deadline": None}, "deadline"),
    ({"title_zh": "", "title_en": ""}, "title_zh"),
    ({"district_code": "000000"}, "district_code"),
])
def test_need_bad_input_is_refused(world, changes, field):
    with pytest.raises(DomainError) as caught:
        publishing.create_listing(world.enterprise, world.ent_owner, "need", need_values(**changes))
    assert caught.value.field == field


def test_need_deadline_in_the_past_is_refused_but_an_unchanged_one_is_kept(world):
    with pytest.raises(DomainError) as caught:
        publishing.create_listing(world.enterprise, world.ent_owner, "need",
                                  need_values(deadline=SHANGHAI_TODAY() - timedelta(days=1)))
    assert caught.value.field == "deadline"
    need = post_need(world)
    need.deadline = SHANGHAI_TODAY() - timedelta(days=3)  # it has passed since
    db.session.commit()
    publishing.update_listing(need, world.ent_owner,
                              need_values(deadline=need.deadline, title_zh="改过的标题"))
    assert need.title_zh == "改过的标题"


def test_budget_empty_means_open_to_offers(world):
    need = post_need(world, budget_fen=None)
    assert need.budget_fen is None


def test_only_enterprises_and_makers_of_verified_organisations_publish_needs(world):
    need = publishing.create_listing(world.university, world.uni_owner, "need", need_values())
    with pytest.raises(NotAllowedError):
        publishing.publish_listing(need, world.uni_owner)
    maker_need = publishing.create_listing(world.maker, world.maker_owner, "need", need_values())
    publishing.publish_listing(maker_need, world.maker_owner)
    assert maker_need.is_published
    with pytest.raises(NotAllowedError):
        publishing.create_listing(world.enterprise, world.plain, "need", need_values())


# --- proposing ---------------------------------------------------------------------------------
def test_a_verified_provider_proposes_its_listings(world, outbox):
    need = post_need(world)
    proposal = propose(world, need, listings=[world.patent, world.instrument], price_fen=1_000)
    assert proposal.status == ProposalStatus.SUBMITTED
    assert [item.id for item in proposal.listings] == sorted([world.patent.id,
                                                              world.instrument.id])
    assert proposal.author_id == world.uni_owner.id and proposal.price_fen == 1_000
    recipients = {m.recipient for m in outbox()}
    assert {world.ent_owner.email, world.ent_member.email} <= recipients


def test_double_submission_gives_one_proposal(world):
    need = post_need(world)
    first = propose(world, need)
    second = propose(world, need, message="再说一次")
    assert first.id == second.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NeedProposal)) == 1


def test_after_withdrawing_the_provider_may_propose_again(world):
    need = post_need(world)
    first = propose(world, need)
    operations.withdraw_proposal(db.session, first, world.uni_owner, utcnow())
    db.session.commit()
    second = propose(world, need)
    assert second.id != first.id and first.status == ProposalStatus.WITHDRAWN


def test_no_proposal_on_your_own_need(world):
    need = post_need(world)
    with pytest.raises(NotAllowedError):
        operations.submit_proposal(db.session, need, world.ent_owner,
                                   organization_id=world.enterprise.id, listing_ids=[1],
                                   message="自己", price_fen=None, now=utcnow())


@pytest.mark.parametrize("who", ["pending_owner", "plain", "officer"])
def test_unverified_and_unaffiliated_users_cannot_propose(world, who):
    need = post_need(world)
    user = getattr(world, who)
    org = world.pending if who == "pending_owner" else world.university
    with pytest.raises(NotAllowedError):
        operations.submit_proposal(db.session, need, user, organization_id=org.id,
                                   listing_ids=[world.patent.id], message="试试",
                                   price_fen=None, now=utcnow())


def test_a_provider_cannot_answer_for_an_organisation_it_does_not_belong_to(world):
    need = post_need(world)
    with pytest.raises(NotAllowedError):
        operations.submit_proposal(db.session, need, world.maker_owner,
                                   organization_id=world.university.id,
                                   listing_ids=[world.patent.id], message="冒充",
                                   price_fen=None, now=utcnow())


def test_only_own_published_listings_of_linkable_kinds_can_be_linked(world):
    need = post_need(world)
    other_need = post_need(world, title_zh="另一个需求")
    draft = make_instrument(world.university, published=False)
    foreign = make_instrument(world.maker)
    db.session.commit()
    for listing_ids in ([draft.id], [foreign.id], [other_need.id], [], [999_999]):
        with pytest.raises(DomainError) as caught:
            operations.submit_proposal(db.session, need, world.uni_owner,
                                       organization_id=world.university.id,
                                       listing_ids=listing_ids, message="链接", price_fen=None,
                                       now=utcnow())
        assert caught.value.field == "listing_ids"


@pytest.mark.parametrize(("message", "price", "field"), [
    ("   ", None, "message"), ("长" * 4001, None, "message"), ("好", -5, "price_fen"),
])
def test_proposal_bad_input(world, message, price, field):
    need = post_need(world)
    with pytest.raises(DomainError) as caught:
        propose(world, need, message=message, price_fen=price)
    assert caught.value.field == field


def test_no_proposals_on_drafts_solved_archived_or_past_deadline_needs(world):
    draft = post_need(world, publish=False)
    with pytest.raises(InvalidStateError):
        propose(world, draft)
    db.session.rollback()
    archived = post_need(world)
    publishing.archive_listing(archived, world.ent_owner)
    db.session.commit()
    with pytest.raises(InvalidStateError):
        propose(world, archived)
    db.session.rollback()
    late = post_need(world)
    late.deadline = SHANGHAI_TODAY() - timedelta(days=1)
    db.session.commit()
    with pytest.raises(InvalidStateError):
        propose(world, late)
    db.session.rollback()
    solved = post_need(world)
    proposal = propose(world, solved)
    operations.solve_need(db.session, solved, world.ent_owner, proposal_id=proposal.id,
                          now=utcnow())
    db.session.commit()
    with pytest.raises(InvalidStateError):
        propose(world, solved, user=world.maker_owner, org=world.maker,
                listings=[make_instrument(world.maker)])


# --- the owner's answers -------------------------------------------------------------------------
def test_shortlist_decline_and_the_feedback(world, outbox):
    need = post_need(world)
    proposal = propose(world, need)
    operations.shortlist_proposal(db.session, proposal, world.ent_member, utcnow())
    operations.shortlist_proposal(db.session, proposal, world.ent_member, utcnow())  # no-op
    assert proposal.status == ProposalStatus.SHORTLISTED
    operations.decline_proposal(db.session, proposal, world.ent_owner, reason="price",
                                note="  太贵了 ", now=utcnow())
    db.session.commit()
    assert proposal.status == ProposalStatus.DECLINED
    assert proposal.decline_reason == DeclineReason.PRICE and proposal.decline_note == "太贵了"
    assert any(m.recipient == world.uni_owner.email for m in outbox())
    with pytest.raises(InvalidStateError):
        operations.shortlist_proposal(db.session, proposal, world.ent_owner, utcnow())


@pytest.mark.parametrize("who", ["uni_owner", "maker_owner", "officer", "plain"])
def test_only_the_needs_owner_shortlists_declines_and_solves(world, who):
    need = post_need(world)
    proposal = propose(world, need)
    user = getattr(world, who)
    with pytest.raises(NotAllowedError):
        operations.shortlist_proposal(db.session, proposal, user, utcnow())
    with pytest.raises(NotAllowedError):
        operations.decline_proposal(db.session, proposal, user, reason="price", note="",
                                    now=utcnow())
    with pytest.raises(NotAllowedError):
        operations.solve_need(db.session, need, user, proposal_id=proposal.id, now=utcnow())
    assert proposal.status == ProposalStatus.SUBMITTED


def test_decline_needs_a_known_reason_and_a_short_note(world):
    need = post_need(world)
    proposal = propose(world, need)
    for reason, note, field in (("bored", "", "reason"), ("price", "长" * 1001, "note")):
        with pytest.raises(DomainError) as caught:
            operations.decline_proposal(db.session, proposal, world.ent_owner, reason=reason,
                                        note=note, now=utcnow())
        assert caught.value.field == field


def test_only_the_provider_withdraws_an_open_proposal(world):
    need = post_need(world)
    proposal = propose(world, need)
    for user in (world.ent_owner, world.maker_owner, world.officer):
        with pytest.raises(NotAllowedError):
            operations.withdraw_proposal(db.session, proposal, user, utcnow())
    operations.withdraw_proposal(db.session, proposal, world.uni_owner, utcnow())
    operations.withdraw_proposal(db.session, proposal, world.uni_owner, utcnow())  # again: no-op
    assert proposal.status == ProposalStatus.WITHDRAWN


def test_solve_chooses_one_and_closes_the_others(world, outbox):
    need = post_need(world)
    winner = propose(world, need)
    space = make_instrument(world.maker)
    db.session.commit()
    other = propose(world, need, user=world.maker_owner, org=world.maker, listings=[space])
    operations.solve_need(db.session, need, world.ent_owner, proposal_id=winner.id, now=utcnow())
    db.session.commit()
    db.session.expire_all()
    assert winner.status == ProposalStatus.CHOSEN and other.status == ProposalStatus.CLOSED
    assert need.is_solved and need.status == ListingStatus.ARCHIVED and not need.is_searchable
    again = operations.solve_need(db.session, need, world.ent_owner, proposal_id=winner.id,
                                  now=utcnow())
    assert again.id == winner.id  # the same request twice
    with pytest.raises(InvalidStateError):
        operations.solve_need(db.session, need, world.ent_owner, proposal_id=other.id,
                              now=utcnow())
    with pytest.raises(InvalidStateError):
        publishing.publish_listing(need, world.ent_owner)


def test_solve_needs_an_open_proposal_of_this_need(world):
    need = post_need(world)
    other_need = post_need(world, title_zh="别的需求")
    foreign = propose(world, other_need)
    withdrawn = propose(world, need)
    operations.withdraw_proposal(db.session, withdrawn, world.uni_owner, utcnow())
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        operations.solve_need(db.session, need, world.ent_owner, proposal_id=foreign.id,
                              now=utcnow())
    assert caught.value.field == "proposal_id"
    with pytest.raises(InvalidStateError):
        operations.solve_need(db.session, need, world.ent_owner, proposal_id=withdrawn.id,
                              now=utcnow())
    with pytest.raises(DomainError):
        operations.solve_need(db.session, need, world.ent_owner, proposal_id=999_999,
                              now=utcnow())


def test_archiving_a_need_closes_its_open_proposals_and_keeps_it(world):
    need = post_need(world)
    proposal = propose(world, need)
    publishing.archive_listing(need, world.ent_owner)
    db.session.commit()
    assert proposal.status == ProposalStatus.CLOSED and not need.is_solved
    with pytest.raises(InvalidStateError):  # the provider's record stays
        publishing.delete_listing(need, world.ent_owner)
    fresh = post_need(world, title_zh="没人回应的需求")
    publishing.archive_listing(fresh, world.ent_owner)
    publishing.delete_listing(fresh, world.ent_owner)
    db.session.commit()
    assert db.session.get(Need, fresh.id) is None


def test_one_open_proposal_per_provider_is_enforced_by_the_database(world):
    need = post_need(world)
    propose(world, need)
    db.session.add(NeedProposal(need_id=need.id, provider_org_id=world.university.id,
                                message="直接插入", status=ProposalStatus.SUBMITTED))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
