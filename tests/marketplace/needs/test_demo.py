"""The demo needs: an open need with a shortlisted and a submitted proposal, another with a
withdrawn one (or solved: ``SOLVE_FRACTURE``), a declined proposal with feedback, a draft; loading
again changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from listings.models import Need
from marketplace.demo import load_demo
from marketplace.demo_needs import FACTORY, FRACTURE, HEAT_TREATMENT, SOLVE_FRACTURE, VISION
from marketplace.extensions import db
from marketplace.feedback import DeclineReason
from marketplace.needs.models import NeedProposal, ProposalStatus


def _statuses(need):
    return sorted(p.status.value for p in db.session.scalars(
        sa.select(NeedProposal).where(NeedProposal.need_id == need.id)))


def test_demo_needs_and_proposals_idempotent(db):
    load_demo()
    db.session.commit()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(NeedProposal))
    load_demo()
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NeedProposal)) == count == 5
    needs = {n.title_zh: n for n in db.session.scalars(sa.select(Need))}
    assert needs[HEAT_TREATMENT].is_open
    assert _statuses(needs[HEAT_TREATMENT]) == ["shortlisted", "submitted"]
    if SOLVE_FRACTURE:
        assert needs[FRACTURE].is_solved and not needs[FRACTURE].is_searchable
        assert _statuses(needs[FRACTURE]) == ["chosen", "closed"]
    else:
        assert needs[FRACTURE].is_open
        assert _statuses(needs[FRACTURE]) == ["submitted", "withdrawn"]
    declined = db.session.scalars(sa.select(NeedProposal).where(
        NeedProposal.need_id == needs[VISION].id)).one()
    assert declined.status == ProposalStatus.DECLINED
    assert declined.decline_reason == DeclineReason.NOT_OUR_FIELD
    assert not needs[FACTORY].is_published
