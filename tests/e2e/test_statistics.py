"""Step 7 in a real browser: the officers' statistics pages draw their charts with the vendored
Chart.js from the data attribute (no inline script, the CSP allows 'self' only), and the figure
in the totals card is the ledger's."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_booking import sign_in
from tests.factories import grant, make_officer, make_organization, make_programme, make_user

pytestmark = pytest.mark.e2e


def test_officer_sees_the_voucher_charts_drawn(page, live_server, db, browser_problems):
    officer = make_officer(email="officer@example.cn", name="赵敏")
    programme = make_programme(officer, name_zh="长治市科技创新券")
    sme = make_organization(make_user(email="sme@example.cn", name="张伟"),
                            name_zh="长治市测试精密机械有限公司")
    grant(programme, sme, 200_000, officer=officer)
    db.session.commit()

    sign_in(page, "officer@example.cn")
    page.goto("/office/statistics/")
    expect(page.locator('[data-testid="total-granted"]')).to_have_attribute("data-fen", "200000")
    drawn = page.evaluate(
        "() => Array.from(document.querySelectorAll('canvas[data-chart]'))"
        ".filter(c => window.Chart && window.Chart.getChart(c)).length")
    assert drawn >= 1, "no chart was drawn"
    assert browser_problems.page_errors == [] and browser_problems.server_errors == []
