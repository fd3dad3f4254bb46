"""Step 6 end to end, in a real browser against the real server, in Chinese: an enterprise whose
profile says it needs a scanning electron microscope signs in and finds the SEM recommended on
its dashboard with the reasons; it marks it not relevant ("too far") and the SEM is gone, also
after a reload; the database holds the feedback.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from marketplace.organizations.models import OrganizationKind
from marketplace.recommendations.models import NotRelevant
from tests.e2e.test_booking import sign_in
from tests.factories import make_instrument, make_organization, make_user

pytestmark = pytest.mark.e2e


def test_enterprise_sees_a_recommendation_with_its_reason_and_rejects_it(page, live_server, db,
                                                                         browser_problems):
    ent_user = make_user(email="ent@example.cn", name="王强")
    enterprise = make_organization(ent_user, name_zh="长治市潞安轴承有限公司",
                                   needs="需要扫描电镜做轴承断口分析和能谱分析")
    lab_user = make_user(email="lab@example.cn", name="李娜")
    lab = make_organization(lab_user, kind=OrganizationKind.UNIVERSITY, name_zh="长治学院测试中心")
    sem = make_instrument(lab, title_zh="场发射扫描电镜", summary_zh="扫描电镜 断口分析 能谱分析")
    db.session.commit()
    enterprise_id, sem_id = enterprise.id, sem.id

    sign_in(page, "ent@example.cn")
    page.goto("/dashboard")
    panel = page.get_by_test_id("recommendations")
    expect(panel).to_be_visible()
    item = panel.locator(f'[data-testid="recommendation"][data-listing-id="{sem_id}"]')
    expect(item).to_be_visible()
    expect(item.get_by_test_id("recommendation-title")).to_have_text("场发射扫描电镜")
    reasons = item.get_by_test_id("reason")
    expect(reasons.first).to_be_visible()
    assert reasons.count() >= 1 and reasons.first.inner_text().strip()

    item.locator("details.not-relevant summary").click()
    form = item.get_by_test_id("not-relevant-form")
    form.locator("select[name=reason]").select_option("too_far")
    form.get_by_test_id("not-relevant").click()
    expect(page).to_have_url(re.compile(r"/dashboard\b.*#recommendations$"))
    expect(page.locator(f'[data-testid="recommendation"][data-listing-id="{sem_id}"]')
           ).to_have_count(0)
    expect(page.locator(".alert-success")).to_contain_text("场发射扫描电镜")
    page.reload()
    expect(page.get_by_test_id("recommendations")).to_be_visible()
    expect(page.locator(f'[data-testid="recommendation"][data-listing-id="{sem_id}"]')
           ).to_have_count(0)

    db.session.rollback()  # see what the server committed
    row = db.session.scalars(sa.select(NotRelevant)).one()
    assert (row.organization_id, row.listing_id, row.reason) == (enterprise_id, sem_id, "too_far")
    assert browser_problems.server_errors == [] and browser_problems.page_errors == []
