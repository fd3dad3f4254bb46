"""The demo take-down: one, with its appeal pending; loading twice adds nothing."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.demo import load_demo
from marketplace.extensions import db
from marketplace.moderation.models import Takedown


def test_demo_has_one_takedown_with_a_pending_appeal(app):
    first = load_demo()
    db.session.commit()
    second = load_demo()
    db.session.commit()
    assert first["takedowns_created"] == 1 and second["takedowns_created"] == 0
    takedowns = db.session.scalars(sa.select(Takedown)).all()
    assert len(takedowns) == 1 and takedowns[0].appeal_pending
