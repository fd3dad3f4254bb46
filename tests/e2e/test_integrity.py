"""Step 7 end to end, in a real browser against the real server: an enterprise whose actual
controller also controls the lab tries to pay the lab's instrument with vouchers and is refused;
the refused attempt is in the officer's integrity queue although the request rolled back; the
officer opens a case and freezes the enterprise's voucher use; the enterprise's next voucher
booking (its related-party link now gone) is refused because of the freeze.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from marketplace.bookings.models import Booking
from marketplace.bookings.rules import SHANGHAI
from marketplace.extensions import utcnow
from marketplace.integrity.models import RELATED_PARTY, Case, Signal, VoucherFreeze
from marketplace.organizations.models import Organization, OrganizationKind
from tests.e2e.test_booking import sign_in, sign_out
from tests.factories import (
    admit,
    grant,
    make_instrument,
    make_officer,
    make_organization,
    make_programme,
    make_user,
)

pytestmark = pytest.mark.e2e


def fresh(db):
    db.session.rollback()  # see what the server committed
    return db.session


def try_voucher_booking(page, instrument_id, sme_id, programme_id, day, start):
    page.goto(f"/instruments/{instrument_id}/book?date={day}&start={start}")
    page.select_option("#organization_id", str(sme_id))
    page.select_option("#programme_id", str(programme_id))
    page.fill("#purpose", "阀体断口分析")
    page.locator('[data-testid="preview"]').click()
    expect(page.locator('[data-testid="quote"]')).to_have_count(0)


def test_related_party_attempt_case_and_freeze(page, live_server, db, browser_problems):
    officer = make_officer(email="officer@example.cn", name="赵敏")
    lab_user = make_user(email="lab@example.cn", name="李娜")
    lab = make_organization(lab_user, kind=OrganizationKind.UNIVERSITY,
                            name_zh="太行检测技术中心", actual_controller="王大成")
    instrument = make_instrument(lab, title_zh="场发射扫描电子显微镜", lead_time_hours=0)
    sme_user = make_user(email="sme@example.cn", name="张伟")
    sme = make_organization(sme_user, name_zh="长治市大成精密机械有限公司",
                            actual_controller="王大成")
    programme = make_programme(officer, name_zh="长治市科技创新券")
    admit(programme, lab, officer=officer)
    grant(programme, sme, 1_000_000, officer=officer)
    db.session.commit()
    ids = instrument.id, sme.id, programme.id
    day = (utcnow().astimezone(SHANGHAI) + timedelta(days=1)).date().isoformat()

    # --- the enterprise tries to pay its controller's lab with vouchers: refused -------------
    sign_in(page, "sme@example.cn")
    try_voucher_booking(page, *ids, day, "09:00")
    expect(page.locator("body")).to_contain_text("太行检测技术中心")
    assert fresh(db).scalar(sa.select(sa.func.count()).select_from(Booking)) == 0
    signal = fresh(db).scalars(sa.select(Signal)).one()
    assert signal.kind == RELATED_PARTY and signal.organization_id == ids[1]
    sign_out(page)

    # --- the officer finds it in the queue, opens a case and freezes the enterprise -----------
    sign_in(page, "officer@example.cn")
    page.goto("/office/")
    page.locator('.integrity-office a[href="/office/integrity/"]').click()
    row = page.locator("tr.signal-related_party")
    expect(row).to_contain_text("长治市大成精密机械有限公司")
    row.locator("a").click()
    expect(page.locator(".signal-records")).to_contain_text("太行检测技术中心")
    page.select_option("#organization_id", str(ids[1]))
    page.fill("#summary", "企业与检测机构同一实际控制人，尝试以创新券支付关联方")
    page.locator('form[action$="/case"] #submit').click()
    expect(page).to_have_url(re.compile(r"/office/integrity/cases/\d+$"))
    page.fill("#reason", "调查期间冻结创新券使用")
    page.locator('form[action$="/freeze"] #submit').click()
    expect(page.locator(".case-frozen")).to_be_visible()
    case = fresh(db).scalars(sa.select(Case)).one()
    assert case.organization_id == ids[1]
    assert fresh(db).scalars(sa.select(VoucherFreeze)).one().lifted_at is None
    assert fresh(db).get(Signal, signal.id).status == "in_case"
    sign_out(page)

    # --- the relationship is gone, the freeze is not: the voucher booking is refused ----------
    session = fresh(db)
    session.get(Organization, ids[1]).actual_controller = "张伟"
    session.commit()
    sign_in(page, "sme@example.cn")
    try_voucher_booking(page, *ids, day, "13:00")
    expect(page.locator("body")).to_contain_text(re.compile("frozen|冻结"))
    assert fresh(db).scalar(sa.select(sa.func.count()).select_from(Booking)) == 0
