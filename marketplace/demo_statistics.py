"""Demo data of step 7 (statistics): recommendation impressions and clicks, so the officers'
dashboard shows a click-through and a conversion rate. Derived from the demo's listing views
(step 6): each viewed listing was shown in the organisation's panel that day (one more time than
it was viewed), and every third view came from the panel's link. Idempotent: nothing is added
when impressions exist already."""

from __future__ import annotations

from datetime import UTC, datetime, time

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.recommendations.models import ListingView
from marketplace.statistics.models import RecommendationImpression


def load(users, organizations) -> dict[str, int]:
    if db.session.scalar(sa.select(sa.func.count()).select_from(RecommendationImpression)):
        return {"recommendation_impressions": 0}
    added = 0
    views = db.session.scalars(sa.select(ListingView).order_by(ListingView.id)).all()
    for n, view in enumerate(views):
        clicked = n % 3 == 0
        db.session.add(RecommendationImpression(
            organization_id=view.organization_id, listing_id=view.listing_id, panel="dashboard",
            shown_on=view.viewed_on, impressions=view.views + 1, clicks=1 if clicked else 0,
            first_clicked_at=datetime.combine(view.viewed_on, time(2), UTC) if clicked else None))
        added += 1
    db.session.flush()
    return {"recommendation_impressions": added}
