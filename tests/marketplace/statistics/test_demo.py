"""The demo gives the dashboard recommendation impressions and clicks; loading twice adds
nothing; the dashboard's figures stay consistent with the ledger on the demo data."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.demo import load_demo
from marketplace.extensions import db, utcnow
from marketplace.statistics import indicators
from marketplace.statistics.indicators import Filters
from marketplace.statistics.models import RecommendationImpression


def test_demo_impressions_idempotent(db):
    first = load_demo()
    db.session.commit()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(RecommendationImpression))
    second = load_demo()
    db.session.commit()
    assert first["recommendation_impressions"] == count > 0
    assert second["recommendation_impressions"] == 0
    funnel = indicators.recommendation_funnel(db.session, Filters(), utcnow())
    assert funnel.impressions > funnel.clicks > 0
    overview = indicators.voucher_overview(db.session, Filters(), utcnow())
    assert overview.totals.granted_fen > 0
    for f in ("granted_fen", "spent_fen", "held_fen"):
        assert sum(getattr(r.figures, f) for r in overview.layers) == getattr(overview.totals, f)
