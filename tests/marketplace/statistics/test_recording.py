"""Recommendation impressions and clicks: the panels count what they show, a panel link
(``?via=rec``) counts a click, counts add up under repetition, and the funnel converts a click
followed by an action on the listing."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketplace.conversations import operations as conversations
from marketplace.extensions import db, utcnow
from marketplace.organizations.models import OrganizationKind
from marketplace.recommendations import service
from marketplace.statistics import indicators, recording
from marketplace.statistics.indicators import Filters, local_day
from marketplace.statistics.models import RecommendationImpression
from tests.factories import make_instrument, make_organization, make_user


def _rows():
    db.session.expire_all()
    return db.session.scalars(sa.select(RecommendationImpression)
                              .order_by(RecommendationImpression.id)).all()


def _world():
    owner = make_user()
    enterprise = make_organization(owner, name_zh="长治轴承制造有限公司",
                                   needs="需要扫描电镜做断口分析和能谱分析",
                                   description="轴承制造，失效分析")
    university = make_organization(make_user(), kind=OrganizationKind.UNIVERSITY,
                                   name_zh="长治学院分析测试中心")
    sem = make_instrument(university, title_zh="场发射扫描电镜", summary_zh="扫描电镜 断口分析 能谱分析")
    db.session.commit()
    return owner, enterprise, sem


def test_counts_add_up(db):
    owner, enterprise, sem = _world()
    now = utcnow()
    if local_day(now + timedelta(minutes=1)) != local_day(now):
        now -= timedelta(minutes=2)  # both clicks on one Beijing day, whatever the hour the test runs
    recording.record_impressions(db.session, enterprise.id, [sem.id, sem.id], "dashboard", now)
    recording.record_impressions(db.session, enterprise.id, [sem.id], "dashboard", now)
    recording.record_click(db.session, enterprise.id, sem.id, now)
    recording.record_click(db.session, enterprise.id, sem.id, now + timedelta(minutes=1))
    db.session.commit()
    shown, clicked = _rows()
    assert (shown.panel, shown.impressions, shown.clicks) == ("dashboard", 2, 0)
    assert (clicked.panel, clicked.impressions, clicked.clicks) == ("", 0, 2)
    assert clicked.first_clicked_at == now
    funnel = indicators.recommendation_funnel(db.session, Filters(), utcnow())
    assert (funnel.impressions, funnel.clicks, funnel.conversions) == (2, 2, 0)
    assert funnel.click_through_bp == 10_000


def test_panel_links_count_impressions_and_clicks(db, client, auth):
    service.reset()
    try:
        owner, enterprise, sem = _world()
        auth.login_as(owner)
        html = client.get("/dashboard").get_data(as_text=True)
        assert f"/listings/{sem.id}?via=rec" in html or f"/{sem.id}?via=rec" in html
        rows = _rows()
        assert [(r.listing_id, r.panel, r.impressions) for r in rows] == [(sem.id, "dashboard", 1)]
        link = next(part.split('"')[0] for part in html.split('href="')[1:]
                    if "via=rec" in part.split('"')[0])
        assert client.get(link).status_code == 200
        clicks = [r for r in _rows() if r.clicks]
        assert len(clicks) == 1 and clicks[0].listing_id == sem.id
        # a plain visit (no ?via=rec) is a view, not a click
        client.get(link.split("?")[0])
        assert sum(r.clicks for r in _rows()) == 1
        # the enterprise then asks about the instrument: a conversion
        conversations.open_conversation(db.session, owner, listing=sem,
                                        with_organization=sem.organization)
        db.session.commit()
        funnel = indicators.recommendation_funnel(db.session, Filters(), utcnow())
        assert (funnel.clicks, funnel.clicked_pairs, funnel.conversions) == (1, 1, 1)
        assert funnel.conversion_bp == 10_000
        # a district filter elsewhere sees none of it
        other = indicators.recommendation_funnel(db.session, Filters(district="140404"), utcnow())
        assert other.impressions == 0
    finally:
        service.reset()
