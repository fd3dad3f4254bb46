"""The demo's interactions: a few hundred views from the demo enterprises, a few not-relevant
marks, opted-in enterprises; loading again adds nothing; the demo trains."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.demo import load_demo
from marketplace.extensions import db
from marketplace.organizations.models import Organization, OrganizationKind
from marketplace.recommendations import service
from marketplace.recommendations.models import ListingView, NotRelevant


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_demo_interactions_idempotent_and_trainable(app, db):
    first = load_demo()
    db.session.commit()
    views, marks = _count(ListingView), _count(NotRelevant)
    assert 300 <= views <= 600 and first["listing_views_created"] == views
    assert 1 <= marks <= 5
    second = load_demo()
    db.session.commit()
    assert second["listing_views_created"] == 0 and second["not_relevant_created"] == 0
    assert (_count(ListingView), _count(NotRelevant)) == (views, marks)

    enterprises = list(db.session.scalars(sa.select(Organization).where(
        Organization.kind == OrganizationKind.ENTERPRISE, Organization.discoverable.is_(True))))
    assert len(enterprises) >= 5

    result = app.test_cli_runner().invoke(args=["matching", "train"])
    assert result.exit_code == 0, result.output
    assert "hybrid" in result.output and "NDCG@10" in result.output
    taihang = db.session.scalar(sa.select(Organization).where(
        Organization.name_zh == "长治市太行精密机械有限公司"))
    recommendations = service.recommend_for_organization(taihang)
    assert recommendations and all(r.reasons for r in recommendations)
    assert all(r.listing.organization_id != taihang.id for r in recommendations)
