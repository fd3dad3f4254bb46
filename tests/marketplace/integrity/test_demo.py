"""The demo: a planted related-party attempt, one case with a credit note; loading twice adds
nothing."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.demo import load_demo
from marketplace.extensions import db
from marketplace.integrity.models import RELATED_PARTY, Case, CreditNote, Signal


def test_demo_plants_signals_and_one_case_idempotently(db):
    first = load_demo()
    db.session.commit()
    signals = db.session.scalar(sa.select(sa.func.count()).select_from(Signal))
    second = load_demo()
    db.session.commit()
    assert first["integrity_signals_created"] >= 1 and first["integrity_cases_created"] == 1
    assert second["integrity_signals_created"] == 0 and second["integrity_cases_created"] == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Signal)) == signals
    related = db.session.scalars(sa.select(Signal).where(Signal.kind == RELATED_PARTY)).one()
    assert related.status == "in_case" and len(related.data["attempts"]) == 1
    assert len(db.session.scalars(sa.select(Case)).all()) == 1
    assert len(db.session.scalars(sa.select(CreditNote)).all()) == 1
