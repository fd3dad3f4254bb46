"""A 三筹 campaign end to end, in a real browser against the real server: a maker team writes a
campaign and submits it, the programme officer approves it, the maker takes it live; an SME
pledges money by bank transfer (对公转账) and the maker confirms the transfer; a university lab
pledges instrument hours, which the maker accepts. The deadline passes (moved into the past in the
database — the one step not done through the browser) and the cron command `flask campaigns
close-due` closes it: it succeeded, the escrow is released to the maker, and the maker books the
pledged instrument hours free of charge. Money and the ledger are checked at the end.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from listings.models import Campaign
from marketplace.bookings.models import Booking
from marketplace.bookings.rules import SHANGHAI
from marketplace.campaigns.accounts import escrow
from marketplace.checks import ALL_CHECKS
from marketplace.extensions import utcnow
from marketplace.ledger.models import LedgerAccount
from marketplace.ledger.queries import verify
from marketplace.organizations.models import OrganizationKind
from marketplace.payments.accounts import payable
from tests.e2e.test_booking import sign_in, sign_out
from tests.factories import make_instrument, make_officer, make_organization, make_user

pytestmark = pytest.mark.e2e
REPO_ROOT = Path(__file__).resolve().parents[2]
TITLE = "太行山区智能农机众筹"


def balance(db, code: str) -> int:
    db.session.rollback()  # see what the server committed
    account = db.session.scalars(sa.select(LedgerAccount).where(LedgerAccount.code == code)).first()
    return 0 if account is None else account.posted_balance


def close_due_by_cron(database_url: str, instance_path: Path) -> str:
    """``flask campaigns close-due`` as cron would run it, against the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "MAIL_"))}
    env.update({"DATABASE_URL": database_url, "INSTANCE_PATH": str(instance_path),
                "SEARCH_INDEX_DIR": str(instance_path / "search-index"),
                "MODEL_DIR": str(instance_path / "models"), "RUN_JOBS_IN_PROCESS": "0",
                "FLASK_APP": "wsgi.py", "SECRET_KEY": "e2e-cron"})
    flask = Path(sys.executable).with_name("flask")
    done = subprocess.run([str(flask), "campaigns", "close-due"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_maker_campaign_pledges_close_and_free_pledged_hours(page, live_server, db, database_url,
                                                             instance_path, browser_problems,
                                                             results_dir):
    make_officer(email="officer@example.cn", name="赵敏")
    maker = make_organization(make_user(email="maker@example.cn", name="李创"),
                              kind=OrganizationKind.MAKER, name_zh="长治智耕创客团队")
    sme = make_organization(make_user(email="sme@example.cn", name="王强"),
                            name_zh="长治市潞安精密机械有限公司")
    lab = make_organization(make_user(email="lab@example.cn", name="陈老师"),
                            kind=OrganizationKind.UNIVERSITY, name_zh="长治学院材料实验室")
    instrument = make_instrument(lab, title_zh="三坐标测量机", requires_approval=False)
    db.session.commit()
    maker_id, sme_id, lab_id, instrument_id = maker.id, sme.id, lab.id, instrument.id

    # --- the maker writes the campaign and submits it for review ----------------------------
    sign_in(page, "maker@example.cn")
    page.goto("/my/listings")
    page.get_by_test_id("new-campaign").click()
    expect(page).to_have_url(re.compile(r"/listings/new/campaign$"))
    page.fill("#title_zh", TITLE)
    page.fill("#summary_zh", "为山地果园研制小型智能采摘机，筹资金、筹智慧、筹资源")
    page.select_option("#district_code", "140404")
    page.fill("#money_goal_fen", "5000")
    page.fill("#deadline", (utcnow().astimezone(SHANGHAI).date() + timedelta(days=30)).isoformat())
    page.fill("#expertise_needs-0-skill", "嵌入式控制")
    page.fill("#expertise_needs-0-hours", "20")
    page.fill("#resource_needs-0-item", "三坐标测量机机时")
    page.locator("form.listing-form #submit").click()
    db.session.rollback()
    campaign_id = db.session.scalars(sa.select(Campaign.id).where(Campaign.title_zh == TITLE)).one()

    page.goto(f"/campaigns/{campaign_id}/manage")
    page.fill("#duration_days", "30")
    page.locator(f'form[action="/campaigns/{campaign_id}/submit"] #submit').click()
    expect(page.get_by_test_id("campaign-state")).to_have_attribute("data-state", "submitted")
    sign_out(page)

    # --- the officer approves; the maker takes it live ----------------------------------------
    sign_in(page, "officer@example.cn")
    page.goto("/campaigns/review")
    page.locator(f'#campaign-{campaign_id} form[action$="/approve"] button').click()
    expect(page.locator(f"#campaign-{campaign_id}")).to_have_count(0)
    sign_out(page)

    sign_in(page, "maker@example.cn")
    page.goto(f"/campaigns/{campaign_id}/manage")
    page.locator(f'form[action="/campaigns/{campaign_id}/launch"] button').click()
    expect(page.get_by_test_id("campaign-state")).to_have_attribute("data-state", "live")
    sign_out(page)

    # --- an SME pledges ¥5,000 by bank transfer ----------------------------------------------
    sign_in(page, "sme@example.cn")
    page.goto(f"/campaigns/{campaign_id}")
    form = page.get_by_test_id("pledge-form")
    form.locator('input[name="amount"]').fill("5000")
    if form.locator('select[name="organization_id"]').count():
        form.locator('select[name="organization_id"]').select_option(str(sme_id))
    form.locator('input[name="method"][value="bank_transfer"]').check()
    form.locator('[type="submit"]').click()
    expect(page.get_by_test_id("reference-code")).to_be_visible()
    reference = page.get_by_test_id("reference-code").inner_text().strip()
    assert reference
    sign_out(page)

    # --- the maker confirms the transfer arrived ---------------------------------------------
    sign_in(page, "maker@example.cn")
    page.goto("/payments/confirmations")
    row = page.locator("tr", has_text=reference)
    row.locator('form[action$="/confirm"] [type="submit"]').click()
    expect(page.locator("tr", has_text=reference)).to_have_count(0)
    assert balance(db, escrow(campaign_id)) == 500_000
    sign_out(page)

    # --- the lab pledges three instrument hours; the maker accepts ---------------------------
    sign_in(page, "lab@example.cn")
    page.goto(f"/campaigns/{campaign_id}")
    resources = page.locator(f'form[action="/campaigns/{campaign_id}/resources"]')
    resources.locator('select[name="organization_id"]').select_option(str(lab_id))
    resources.locator('select[name="kind"]').select_option("instrument_hours")
    resources.locator('input[name="description"]').fill("三坐标测量机，精度2.5微米")
    resources.locator('input[name="hours"]').fill("3")
    resources.locator('select[name="listing_id"]').select_option(str(instrument_id))
    resources.locator('[type="submit"]').click()
    expect(page.locator(".alert-danger")).to_have_count(0)
    sign_out(page)

    sign_in(page, "maker@example.cn")
    page.goto(f"/campaigns/{campaign_id}/manage")
    page.locator('form[action$="/accept"]').first.locator("button").click()
    expect(page.locator('form[action$="/accept"]')).to_have_count(0)

    # --- the deadline passes; cron closes the campaign ---------------------------------------
    db.session.rollback()
    campaign = db.session.get(Campaign, campaign_id)
    campaign.deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    out = close_due_by_cron(database_url, instance_path)
    assert "closed 1 campaigns: 1 succeeded" in out, out
    assert balance(db, escrow(campaign_id)) == 0
    assert balance(db, payable(maker_id)) == 500_000

    page.goto(f"/campaigns/{campaign_id}/manage")
    expect(page.get_by_test_id("campaign-state")).to_have_attribute("data-state", "succeeded")
    grant = page.locator('[data-testid^="grant-"]')
    expect(grant).to_contain_text("3")
    grant.locator("a").click()

    # --- the maker books two of the pledged hours, free of charge -----------------------------
    tomorrow = utcnow().astimezone(SHANGHAI).date() + timedelta(days=1)
    page.fill("#day", tomorrow.isoformat())
    page.fill("#start", "09:00")
    page.fill("#end", "11:00")
    page.locator("form #submit").click()
    expect(page).to_have_url(re.compile(r"/bookings/\d+$"))
    db.session.rollback()
    booking = db.session.scalars(sa.select(Booking)).one()
    assert booking.organization_id == maker_id and booking.instrument_id == instrument_id
    assert booking.price_fen == 0 and booking.voucher_held_fen == 0
    page.goto(f"/campaigns/{campaign_id}/manage")
    expect(page.locator('[data-testid^="grant-"]')).to_contain_text("1")
    page.screenshot(path=str(results_dir / "campaign-pledged-hours.png"), full_page=True)

    report = verify(db.session, ALL_CHECKS)
    assert report.ok, report.verdict()
    assert browser_problems.server_errors == [] and browser_problems.page_errors == []
