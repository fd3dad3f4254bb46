"""Concurrent submissions (real threads, each with its own session and connection, as requests):
the same proposal sent 8 times at once gives one proposal, every sender answered with it; two
owners solving with different proposals at once: one wins, the other is refused."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import force_locale

from listings.models import Need
from marketplace.auth.models import User
from marketplace.errors import DomainError
from marketplace.extensions import db, utcnow
from marketplace.needs import operations
from marketplace.needs.models import NeedProposal, ProposalStatus
from tests.factories import make_instrument
from tests.marketplace.bookings.concurrency import run_in_threads
from tests.marketplace.needs.helpers import post_need, propose

THREADS = 8


def _submit(need_id, user_id, org_id, listing_id):
    session = db.session
    with force_locale("en"):
        try:
            proposal = operations.submit_proposal(
                session, session.get(Need, need_id), session.get(User, user_id),
                organization_id=org_id, listing_ids=[listing_id], message="同时提交",
                price_fen=None, now=utcnow())
            proposal_id = proposal.id
            session.commit()
            return ("ok", proposal_id)
        except DomainError as error:
            session.rollback()
            return (error.code, None)


def test_simultaneous_submissions_give_one_proposal(app, world):
    need = post_need(world)
    args = (need.id, world.uni_owner.id, world.university.id, world.patent.id)
    db.session.close()
    outcomes = run_in_threads(app, THREADS, lambda i: _submit(*args))
    errors = [repr(o.error) for o in outcomes if o.error is not None]
    assert not errors, errors
    assert {o.value[0] for o in outcomes} == {"ok"}
    assert len({o.value[1] for o in outcomes}) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NeedProposal)) == 1


def _solve(need_id, user_id, proposal_id):
    session = db.session
    with force_locale("en"):
        try:
            operations.solve_need(session, session.get(Need, need_id), session.get(User, user_id),
                                  proposal_id=proposal_id, now=utcnow())
            session.commit()
            return "ok"
        except DomainError as error:
            session.rollback()
            return error.code


def test_simultaneous_solving_chooses_exactly_one(app, world):
    need = post_need(world)
    first = propose(world, need)
    other_listing = make_instrument(world.maker)
    db.session.commit()
    second = propose(world, need, user=world.maker_owner, org=world.maker,
                     listings=[other_listing])
    args = [(need.id, world.ent_owner.id, first.id), (need.id, world.ent_member.id, second.id)]
    db.session.close()
    outcomes = run_in_threads(app, 2, lambda i: _solve(*args[i]))
    errors = [repr(o.error) for o in outcomes if o.error is not None]
    assert not errors, errors
    assert sorted(o.value for o in outcomes) == ["invalid_state", "ok"]
    statuses = sorted(db.session.scalars(sa.select(NeedProposal.status)))
    assert statuses == sorted([ProposalStatus.CHOSEN, ProposalStatus.CLOSED])
