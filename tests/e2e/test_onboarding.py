"""A new enterprise joins the platform, end to end, in a real browser against the real server.

One browser session: the home page in Chinese; registering an account; registering the
organisation (first with a wrong unified social credit code, which is refused next to the field,
then with the right one); the pending profile; signing out; an officer signing in and verifying
the organisation from the programme office's queue; switching the interface to English and back.
"""

from __future__ import annotations

import re
from functools import cache

import pytest
import sqlalchemy as sa
from babel.support import Translations
from playwright.sync_api import expect

from marketplace.auth.models import User
from marketplace.organizations.credit_code import ALPHABET
from marketplace.organizations.models import (
    MemberRole,
    Organization,
    OrganizationKind,
    OrganizationSize,
    VerificationStatus,
)
from tests.e2e.conftest import REPO_ROOT
from tests.factories import DEFAULT_PASSWORD, make_officer, unique_credit_code

pytestmark = pytest.mark.e2e


@cache
def _zh_catalogue() -> Translations:
    # Babel resolves "zh_CN" to zh_Hans_CN, so the catalogue may be stored under either name
    # (or as plain "zh"); whichever exists is what the server must show.
    return Translations.load(str(REPO_ROOT / "marketplace" / "translations"),
                             ["zh_Hans_CN", "zh_CN", "zh"])


def zh(message: str) -> str:
    """What the server shows in Chinese: the compiled zh_CN translation, or the English source
    while the catalogue does not translate that message yet."""
    return _zh_catalogue().gettext(message)


def zh_expected(message: str, chinese: str) -> str:
    """The Chinese wording the UI must use once ``message`` is translated (until then: English)."""
    return chinese if zh(message) != message else message


def _wrong_check_character(code: str) -> str:
    return code[:-1] + next(ch for ch in ALPHABET if ch != code[-1])


def _organization_count(db) -> int:
    db.session.rollback()  # end any transaction, so the server's commits are visible
    return db.session.scalar(sa.select(sa.func.count()).select_from(Organization))


def test_new_enterprise_registers_and_officer_verifies_it(page, live_server, db, results_dir,
                                                          browser_problems):
    officer = make_officer(email="officer@example.cn", name="审核员")
    db.session.commit()
    officer_id = officer.id

    valid_code = unique_credit_code()
    invalid_code = _wrong_check_character(valid_code)
    founder = {"email": "founder@example.cn", "name": "王创新", "password": "Shangdang-2026-lab"}
    org_name = "长治端到端测试科技有限公司"

    # --- the home page, in Chinese by default ------------------------------------------------
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    nav = page.locator("nav.site-nav")
    untranslated = ("the zh_CN catalogue translates this, but the server shows something else: "
                    "does it find the compiled catalogue for its default locale?")
    expect(nav.locator('a[href="/auth/login"]'), untranslated).to_have_text(
        zh_expected("Sign in", "登录"))
    expect(nav.locator('a[href="/auth/register"]'), untranslated).to_have_text(
        zh_expected("Register", "注册"))
    expect(nav.locator('button[data-lang="zh_CN"]')).to_have_text("中文")
    expect(nav.locator('button[data-lang="zh_CN"]'),
           "the current language's button must be marked (current_locale in templating.py must "
           "be a LANGUAGES key, not Babel's zh_Hans_CN)").to_have_attribute("aria-current", "true")
    expect(nav.locator('button[data-lang="en"]')).to_have_text("English")

    # --- a new account ------------------------------------------------------------------------
    nav.locator('a[href="/auth/register"]').click()
    expect(page).to_have_url(re.compile(r"/auth/register$"))
    page.fill("#email", founder["email"])
    page.fill("#display_name", founder["name"])
    page.fill("#password", founder["password"])
    page.fill("#confirm", founder["password"])
    page.locator("form input[type=submit]").click()

    # ... which goes straight on to registering the organisation
    expect(page).to_have_url(re.compile(r"/organizations/new$"))
    expect(page.locator("h1")).to_have_text(zh("Register an organisation"))
    expect(nav.locator('a[href="/auth/account"]')).to_have_text(founder["name"])
    db.session.rollback()
    user = db.session.scalars(sa.select(User).where(User.email == founder["email"])).one()
    assert user.display_name == founder["name"]
    assert not user.is_officer

    # --- the organisation, with a wrong check character first ----------------------------------
    page.fill("#name_zh", org_name)
    page.fill("#credit_code", invalid_code)
    page.select_option("#kind", OrganizationKind.ENTERPRISE.value)
    page.select_option("#industry", "C")
    page.select_option("#district_code", "140404")
    page.select_option("#size", OrganizationSize.SMALL.value)
    page.locator("form #submit").click()

    expect(page).to_have_url(re.compile(r"/organizations/new$"))
    expect(page.locator("#credit_code")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#credit_code")).to_have_value(invalid_code)
    field_error = page.locator("#credit_code ~ .invalid-feedback")
    expect(field_error).to_be_visible()
    expect(field_error).to_have_text(zh(
        "The check character (the 18th) is wrong: this is not a valid unified social credit "
        "code. Please check it against the business licence."))
    # the rest of the form is kept
    expect(page.locator("#name_zh")).to_have_value(org_name)
    expect(page.locator("#district_code")).to_have_value("140404")
    expect(page.locator(".is-invalid")).to_have_count(1)
    assert _organization_count(db) == 0

    # ... then the right one
    page.fill("#credit_code", valid_code)
    page.locator("form #submit").click()
    expect(page).to_have_url(re.compile(r"/organizations/\d+$"))
    organization_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("h1")).to_have_text(org_name)
    expect(page.locator(".badge.status-pending")).to_have_text(zh("Awaiting verification"))
    expect(page.locator(".alert-warning")).to_have_text(
        zh("This organisation is awaiting verification by the programme office."))
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("dl.profile code")).to_have_text(valid_code)
    page.screenshot(path=str(results_dir / "e2e-organization.png"), full_page=True)

    assert _organization_count(db) == 1
    organization = db.session.get(Organization, organization_id)
    assert organization.status == VerificationStatus.PENDING
    assert organization.credit_code == valid_code
    assert organization.name_zh == org_name
    assert organization.district_code == "140404"
    assert [(m.user.email, m.role) for m in organization.memberships] == [
        (founder["email"], MemberRole.OWNER)]

    # --- signing out ----------------------------------------------------------------------------
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"127\.0\.0\.1:\d+/$"))
    expect(page.get_by_test_id("logout")).to_have_count(0)
    expect(nav.locator('a[href="/auth/login"]')).to_be_visible()

    # --- the officer verifies it ------------------------------------------------------------------
    nav.locator('a[href="/auth/login"]').click()
    page.fill("#email", "officer@example.cn")
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("form #submit").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    nav.locator('a[href="/office/"]').click()
    expect(page).to_have_url(re.compile(r"/office/$"))
    row = page.locator("tbody tr", has_text=valid_code)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(org_name)
    row.locator(f'a[href="/office/organizations/{organization_id}"]').click()

    expect(page).to_have_url(re.compile(rf"/office/organizations/{organization_id}$"))
    expect(page.locator("h1 .status-pending")).to_be_visible()
    expect(page.locator("dl.profile")).to_contain_text(founder["email"])
    page.locator(f'form[action="/office/organizations/{organization_id}/verify"] '
                 'input[type=submit]').click()

    expect(page).to_have_url(re.compile(r"/office/$"))
    expect(page.locator(".alert-success")).to_contain_text(org_name)
    expect(page.locator("tbody tr", has_text=valid_code)).to_have_count(0)

    db.session.rollback()
    organization = db.session.get(Organization, organization_id)
    assert organization.status == VerificationStatus.VERIFIED
    assert organization.decided_by_id == officer_id
    assert organization.decided_at is not None

    page.goto(f"/organizations/{organization_id}")
    expect(page.locator(".badge.status-verified")).to_have_text(zh("Verified"))
    expect(page.locator(".badge.status-pending")).to_have_count(0)
    expect(page.locator(".alert-warning")).to_have_count(0)

    # --- the language switch ------------------------------------------------------------------------
    nav.locator('button[data-lang="en"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(rf"/organizations/{organization_id}$"))  # same page
    expect(page.get_by_test_id("logout")).to_have_text("Sign out")
    expect(nav.locator('a[href="/office/"]')).to_have_text("Programme office")
    expect(page.locator(".badge.status-verified")).to_have_text("Verified")
    expect(nav.locator('button[data-lang="en"]')).to_have_attribute("aria-current", "true")

    nav.locator('button[data-lang="zh_CN"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(nav.locator('button[data-lang="zh_CN"]')).to_have_attribute("aria-current", "true")
    expect(page.get_by_test_id("logout")).to_have_text(zh("Sign out"))
    db.session.rollback()
    assert db.session.get(User, officer_id).locale == "zh_CN"

    # --- and nothing broke on the way -------------------------------------------------------------
    assert browser_problems.server_errors == []
    assert browser_problems.page_errors == []
