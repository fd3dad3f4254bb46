"""An instrument booking paid with innovation vouchers, end to end, in a real browser against the
real server: the SME books from the week calendar and sees the price split before confirming,
the lab approves and records the actual use, the programme officer settles the booking in a
reimbursement batch. The balances shown at each step are checked against the arithmetic of the
programme (city 50 % + district 20 % of the fee) and against the ledger.

The server runs on real time, so "the booking has started" is reached by moving the approved
booking's slot into the past in the database (the one step not done through the browser).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from marketplace.bookings.models import Booking, BookingStatus
from marketplace.bookings.rules import SHANGHAI
from marketplace.checks import ALL_CHECKS
from marketplace.extensions import utcnow
from marketplace.ledger.queries import verify
from marketplace.organizations.models import OrganizationKind
from tests.e2e.test_catalogue import zh
from tests.factories import (
    DEFAULT_PASSWORD,
    admit,
    grant,
    make_instrument,
    make_officer,
    make_organization,
    make_programme,
    make_user,
)

pytestmark = pytest.mark.e2e


def sign_in(page, email: str) -> None:
    page.goto("/auth/login")
    page.fill("#email", email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("form #submit").click()
    expect(page.locator('[data-testid="logout"]')).to_be_visible()


def sign_out(page) -> None:
    page.locator('[data-testid="logout"]').click()
    expect(page.locator('nav.site-nav a[href="/auth/login"]')).to_be_visible()


def only_booking(db) -> Booking:
    db.session.rollback()  # see what the server committed
    return db.session.scalars(sa.select(Booking)).one()


def test_sme_books_with_vouchers_lab_records_use_officer_settles(page, live_server, db,
                                                                 browser_problems, results_dir):
    officer = make_officer(email="officer@example.cn", name="赵敏")
    lab_user = make_user(email="lab@example.cn", name="李娜")
    lab = make_organization(lab_user, kind=OrganizationKind.UNIVERSITY,
                            name_zh="长治学院分析测试中心", actual_controller="长治学院")
    instrument = make_instrument(lab, title_zh="场发射扫描电子显微镜", rate_fen=60_000,
                                 requires_approval=True, lead_time_hours=0)
    sme_user = make_user(email="sme@example.cn", name="张伟")
    sme = make_organization(sme_user, name_zh="长治市太行精密机械有限公司", actual_controller="张伟")
    programme = make_programme(officer, name_zh="长治市科技创新券")  # city 50 %, district 20 %
    admit(programme, lab, officer=officer)
    grant(programme, sme, 1_000_000, officer=officer)  # ¥10,000 of quota
    db.session.commit()
    instrument_id, sme_id, programme_id = instrument.id, sme.id, programme.id
    tomorrow = (utcnow().astimezone(SHANGHAI) + timedelta(days=1)).date().isoformat()

    # --- the SME picks a free slot in the week calendar and previews the price ---------------
    sign_in(page, "sme@example.cn")
    page.goto(f"/listings/{instrument_id}")
    cell = page.locator(f'td[data-start="{tomorrow}T09:00"]')
    expect(cell).to_have_attribute("data-state", "free")
    cell.locator("a").click()
    expect(page.locator("#starts_at")).to_have_value("09:00")
    page.fill("#ends_at", "11:00")  # two hours at ¥600
    page.select_option("#organization_id", str(sme_id))
    page.select_option("#programme_id", str(programme_id))
    page.fill("#purpose", "液压阀体断口分析")
    page.locator('[data-testid="preview"]').click()
    quote = page.locator('[data-testid="quote"]')
    expect(quote.locator('[data-testid="price"]')).to_have_text("¥1,200")
    expect(quote.locator('[data-testid="voucher"]')).to_have_text("¥840")  # 50 % + 20 %
    expect(quote.locator('[data-testid="self-paid"]')).to_have_text("¥360")
    expect(quote.locator('[data-testid="remaining"]')).to_contain_text("¥9,160")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Booking)) == 0  # a preview

    page.locator('[data-testid="confirm"]').click()
    expect(page.locator('[data-testid="voucher-held"]')).to_have_text("¥840")
    expect(page.locator('[data-testid="self-paid-quote"]')).to_have_text("¥360")
    booking = only_booking(db)
    assert booking.status == BookingStatus.REQUESTED and booking.voucher_held_fen == 84_000

    page.goto("/bookings/")
    expect(page.locator(f'[data-testid="available-{sme_id}-{programme_id}"]')).to_have_text("¥9,160")
    page.goto(f"/listings/{instrument_id}")
    expect(page.locator(f'td[data-start="{tomorrow}T09:30"]')).to_have_attribute("data-state", "taken")
    sign_out(page)

    # --- the lab approves the request in its inbox ------------------------------------------
    sign_in(page, "lab@example.cn")
    page.goto("/bookings/lab")
    expect(page.locator('[data-testid="request-count"]')).to_have_text("1")
    page.locator(f'li[data-booking="{booking.id}"] form[action$="/approve"] button').click()
    expect(page.locator('[data-testid="request-count"]')).to_have_text("0")
    assert only_booking(db).status == BookingStatus.APPROVED

    # time passes: the session is over (moved into the past, same length)
    moved = only_booking(db)
    shift = moved.ends_at - utcnow() + timedelta(hours=1)
    moved.starts_at, moved.ends_at = moved.starts_at - shift, moved.ends_at - shift
    db.session.commit()

    # --- the lab records 90 minutes of actual use ---------------------------------------------
    page.goto("/bookings/lab")
    row = page.locator(f'.lab-to-complete li[data-booking="{booking.id}"]')
    row.locator('input[name="actual_minutes"]').fill("90")
    row.locator('input[name="invoice_number"]').fill("14052677")
    row.locator('input[name="usage_note"]').fill("断口形貌照片12张，能谱3处")
    row.locator('form[action$="/complete"] button').click()
    page.goto(f"/bookings/{booking.id}")
    expect(page.locator('[data-testid="charged"]')).to_have_text("¥900")  # 1.5 h × ¥600
    expect(page.locator('[data-testid="voucher-paid"]')).to_have_text("¥630")  # 70 %
    expect(page.locator('[data-testid="self-paid"]')).to_contain_text("¥270")
    sign_out(page)

    # the SME's balance: ¥10,000 − ¥630; the unused part of the hold came back
    sign_in(page, "sme@example.cn")
    page.goto("/bookings/")
    expect(page.locator(f'[data-testid="available-{sme_id}-{programme_id}"]')).to_have_text("¥9,370")
    sign_out(page)

    # --- the officer settles it in a reimbursement batch -------------------------------------
    sign_in(page, "officer@example.cn")
    page.goto("/office/settlement/new")
    today = utcnow().astimezone(SHANGHAI).date()
    page.select_option("#programme_id", str(programme_id))
    page.fill("#period_start", (today - timedelta(days=3)).isoformat())
    page.fill("#period_end", today.isoformat())
    page.locator("form #submit").click()
    expect(page.locator(f'a[href="/bookings/{booking.id}"]')).to_be_visible()
    expect(page.locator('input[name="invoice_number"]')).to_have_value("14052677")
    expect(page.locator("main")).to_contain_text("¥630")
    page.locator('form[action$="/approve"] button').click()
    page.fill("#reference", "长财科〔2026〕118号")
    page.locator('form[action$="/pay"] #submit').click()
    expect(page.locator("main")).to_contain_text("长财科〔2026〕118号")
    settled = only_booking(db)
    assert settled.status == BookingStatus.SETTLED
    page.goto(f"/bookings/{booking.id}")
    expect(page.locator("main")).to_contain_text(zh("Settled"))
    page.screenshot(path=str(results_dir / "booking-settled.png"), full_page=True)

    report = verify(db.session, ALL_CHECKS)
    assert report.ok, report.verdict()
    assert browser_problems.server_errors == [] and browser_problems.page_errors == []
