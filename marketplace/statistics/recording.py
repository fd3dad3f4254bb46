"""Recording what the recommendation panels showed (impressions) and what was followed (clicks).

Both are upserts on one row per organisation, listing, panel and Beijing day, so two requests at
the same moment add up instead of colliding. Callers (``recommendations.views``) run them after
the page is rendered and swallow database errors: a lost count never fails a page.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from marketplace.statistics.indicators import local_day
from marketplace.statistics.models import RecommendationImpression

CLICK_PANEL = ""  # clicks are counted on a panel-less row (the link does not say which panel)


def _insert(session):
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(RecommendationImpression.__table__)


def record_impressions(session, organization_id: int, listing_ids, panel: str,
                       now: datetime) -> None:
    ids = sorted(set(listing_ids))
    if not ids:
        return
    table = RecommendationImpression.__table__
    day = local_day(now)
    statement = _insert(session)
    statement = statement.on_conflict_do_update(
        index_elements=["organization_id", "listing_id", "panel", "shown_on"],
        set_={"impressions": table.c.impressions + 1})
    session.execute(statement, [
        {"organization_id": organization_id, "listing_id": lid, "panel": panel, "shown_on": day,
         "impressions": 1, "clicks": 0} for lid in ids])


def record_click(session, organization_id: int, listing_id: int, now: datetime) -> None:
    table = RecommendationImpression.__table__
    statement = _insert(session).values(
        organization_id=organization_id, listing_id=listing_id, panel=CLICK_PANEL,
        shown_on=local_day(now), impressions=0, clicks=1, first_clicked_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=["organization_id", "listing_id", "panel", "shown_on"],
        set_={"clicks": table.c.clicks + 1,
              "first_clicked_at": sa.func.coalesce(table.c.first_clicked_at,
                                                   statement.excluded.first_clicked_at)})
    session.execute(statement)
