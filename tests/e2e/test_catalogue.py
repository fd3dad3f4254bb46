"""A shared instrument goes from a provider's form to a visitor's search, end to end, in a real
browser against the real server (gunicorn, the test database, the shared search index).

One browser session: a member of a verified university signs in, opens "My listings", creates an
instrument (first with a rate that is not an amount, which is refused next to the field and saves
nothing, then correctly), sees the draft and publishes it; signs out. An anonymous visitor opens the
search page, types pinyin initials and picks the synonym the suggestion list offers, sees the
instrument found through the synonym with the matched words highlighted, searches again with the
English abbreviation, opens the listing and sees its title and price; then switches to English.
"""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from babel.support import Translations
from playwright.sync_api import expect

from listings.models import InstrumentCategory, Listing, ListingKind, ListingStatus
from marketplace.organizations.models import OrganizationKind
from tests.e2e.conftest import REPO_ROOT
from tests.factories import DEFAULT_PASSWORD, make_organization, make_user

pytestmark = pytest.mark.e2e

TITLE = "场发射扫描电子显微镜"  # the synonyms 扫描电镜 and SEM are not in the title
SUMMARY = "冷场发射电子枪，二次电子分辨率1纳米，可做断口形貌观察与微区成分分析。"
LAB = "长治学院理工楼 B108"


@cache
def _zh_catalogue() -> Translations:
    return Translations.load(str(REPO_ROOT / "marketplace" / "translations"),
                             ["zh_Hans_CN", "zh_CN", "zh"])


def zh(message: str) -> str:
    """What the server shows in Chinese: the compiled translation, or the English source."""
    return _zh_catalogue().gettext(message)


def _query_text(url: str) -> str:
    return parse_qs(urlsplit(url).query)["q"][0]


def _listings(db) -> list[Listing]:
    db.session.rollback()  # end any transaction, so the server's commits are visible
    return list(db.session.scalars(sa.select(Listing).order_by(Listing.id)))


def test_university_publishes_instrument_and_visitor_finds_it_by_synonym(
        page, live_server, db, results_dir, browser_problems):
    console_errors: list[str] = []

    def on_console(message):
        # Chromium fetches /favicon.ico by itself and logs the 404 (the site has no favicon):
        # not an error of the pages under test.
        url = message.location.get("url") or ""
        if message.type == "error" and not url.endswith("/favicon.ico"):
            console_errors.append(f"{message.text} ({url})")

    page.on("console", on_console)

    member = make_user(email="lab@example.cn", name="李老师")
    university = make_organization(member, kind=OrganizationKind.UNIVERSITY,
                                   name_zh="长治学院", name_en="Changzhi University")
    db.session.commit()
    university_id = university.id
    nav = page.locator("nav.site-nav")

    # --- the member signs in and opens "My listings" -------------------------------------------
    page.goto("/")
    nav.locator('a[href="/auth/login"]').click()
    page.fill("#email", "lab@example.cn")
    page.fill("#password", DEFAULT_PASSWORD)
    page.locator("form #submit").click()
    expect(page.get_by_test_id("logout")).to_be_visible()

    nav.locator('a[href="/my/listings"]').click()
    expect(page).to_have_url(re.compile(r"/my/listings$"))
    expect(page.locator("table")).to_have_count(0)  # nothing listed yet
    page.get_by_test_id("new-instrument").click()

    # --- the instrument form, with a rate that is not an amount first ---------------------------
    expect(page).to_have_url(re.compile(r"/listings/new/instrument$"))
    form = page.locator("form.listing-form")
    expect(form.locator("#organization_id")).to_have_value(str(university_id))
    page.fill("#title_zh", TITLE)
    page.fill("#summary_zh", SUMMARY)
    page.select_option("#district_code", "140404")
    page.select_option("#instrument_category", InstrumentCategory.ELECTRON_MICROSCOPY.value)
    page.fill("#manufacturer", "日立")
    page.fill("#model_name", "SU8010")
    page.fill("#lab_location", LAB)
    page.fill("#rate_internal_fen", "200")
    page.fill("#rate_external_fen", "abc")
    # opening hours: weekdays keep their default, Saturday morning added, Sunday stays closed
    expect(page.locator("#hours_0")).to_have_value("08:30-12:00, 14:00-17:30")
    page.fill("#hours_5", "09:00-12:00")
    expect(page.locator("#hours_6")).to_have_value("")
    form.locator("#submit").click()

    expect(page).to_have_url(re.compile(r"/listings/new/instrument$"))
    rate = page.locator("#rate_external_fen")
    expect(rate).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(rate).to_have_value("abc")
    rate_error = page.locator("#rate_external_fen ~ .invalid-feedback")
    expect(rate_error).to_be_visible()
    expect(rate_error).to_have_text(zh("Enter an amount in yuan, e.g. 350 or 1,280.50."))
    expect(page.locator(".is-invalid")).to_have_count(1)
    # the rest of the form is kept
    expect(page.locator("#title_zh")).to_have_value(TITLE)
    expect(page.locator("#instrument_category")).to_have_value("electron_microscopy")
    expect(page.locator("#rate_internal_fen")).to_have_value("200")
    expect(page.locator("#hours_5")).to_have_value("09:00-12:00")
    assert _listings(db) == []

    # ... then a real rate
    page.fill("#rate_external_fen", "450")
    form.locator("#submit").click()

    # --- the draft ---------------------------------------------------------------------------
    expect(page).to_have_url(re.compile(r"/listings/\d+$"))
    listing_id = int(page.url.rsplit("/", 1)[1])
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator(".alert-success")).to_have_text(
        zh("Draft saved. Publish it when it is ready."))
    expect(page.locator(".alert-warning")).to_be_visible()  # not public yet
    expect(page.get_by_test_id("publish")).to_be_visible()

    [listing] = _listings(db)
    assert listing.id == listing_id
    assert listing.kind == ListingKind.INSTRUMENT
    assert listing.status == ListingStatus.DRAFT
    assert listing.organization_id == university_id
    assert (listing.title_zh, listing.title_en) == (TITLE, None)
    assert listing.instrument_category == InstrumentCategory.ELECTRON_MICROSCOPY
    assert (listing.rate_internal_fen, listing.rate_external_fen) == (20_000, 45_000)
    assert listing.opening_hours == {
        **{day: [["08:30", "12:00"], ["14:00", "17:30"]] for day in "01234"},
        "5": [["09:00", "12:00"]]}

    # --- publishing -----------------------------------------------------------------------------
    page.get_by_test_id("publish").click()
    expect(page).to_have_url(re.compile(rf"/listings/{listing_id}$"))
    expect(page.locator(".alert-success")).to_have_text(zh("Published."))
    expect(page.locator(".alert-warning")).to_have_count(0)
    expect(page.get_by_test_id("publish")).to_have_count(0)
    db.session.rollback()
    listing = db.session.get(Listing, listing_id)
    assert listing.status == ListingStatus.PUBLISHED
    assert listing.published_at is not None

    nav.locator('a[href="/my/listings"]').click()
    row = page.locator("tbody tr", has_text=TITLE)
    expect(row).to_have_count(1)
    expect(row.locator(".badge")).to_have_text(zh("Published"))

    # --- signing out --------------------------------------------------------------------------
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"127\.0\.0\.1:\d+/$"))
    expect(page.get_by_test_id("logout")).to_have_count(0)

    # --- an anonymous visitor searches: suggestions for pinyin initials ------------------------
    nav.locator('a[href="/search"]').click()
    expect(page).to_have_url(re.compile(r"/search$"))
    search_box = page.locator("#q")
    suggestions = page.locator("#suggestions")
    expect(suggestions).to_be_hidden()
    search_box.click()
    search_box.press_sequentially("smdj", delay=50)
    expect(suggestions).to_be_visible()
    offered = suggestions.locator("li", has_text=re.compile(r"^扫描电镜$"))
    expect(offered).to_have_count(1)
    page.screenshot(path=str(results_dir / "e2e-catalogue-suggest.png"))
    offered.click()

    # ... the chosen synonym finds the instrument, whose title never says 扫描电镜
    expect(page).to_have_url(re.compile(r"/search\?"))
    assert _query_text(page.url) == "扫描电镜"
    expect(search_box).to_have_value("扫描电镜")
    cards = page.locator(".listing-card")
    expect(cards).to_have_count(1)
    title_link = cards.locator(f'h2 a[href="/listings/{listing_id}"]')
    expect(title_link).to_have_text(TITLE)
    # Found through the synonym group, not by the relaxed any-word fallback (which would match
    # 扫描 alone): every word matched, and the title's 扫描电子显微镜 is highlighted, 显微镜 included.
    expect(page.locator("section")).not_to_contain_text(
        zh("No listing matched every word; showing listings that match some of them."))
    marks = title_link.locator("mark")
    expect(marks.first).to_be_visible()
    marked = marks.all_inner_texts()
    for text in marked:
        assert text and text in TITLE, f"highlighted {text!r}, which is not part of the title"
    assert "显微镜" in "".join(marked), marked
    expect(cards).to_contain_text("¥450")
    expect(suggestions).to_be_hidden()

    # --- the English abbreviation, typed and submitted with Enter --------------------------------
    search_box.fill("")
    search_box.press_sequentially("SEM", delay=30)
    search_box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?.*\bq=SEM\b"))
    assert _query_text(page.url) == "SEM"
    expect(cards).to_have_count(1)
    expect(title_link).to_have_text(TITLE)
    expect(page.locator("section")).not_to_contain_text(
        zh("No listing matched every word; showing listings that match some of them."))
    expect(marks.first).to_be_visible()
    marked = marks.all_inner_texts()
    assert all(text and text in TITLE for text in marked), marked
    assert "显微镜" in "".join(marked), marked
    page.screenshot(path=str(results_dir / "e2e-catalogue-results.png"), full_page=True)

    # --- the listing page ---------------------------------------------------------------------
    title_link.click()
    expect(page).to_have_url(re.compile(rf"/listings/{listing_id}$"))
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator(".alert-warning")).to_have_count(0)
    expect(page.locator(".owner-actions")).to_have_count(0)  # a visitor cannot edit it
    price = page.locator(".card-body .h4")
    expect(price).to_contain_text("¥450")
    expect(page.locator(".card-body")).to_contain_text("¥200")
    expect(page.locator("p.lead")).to_have_text(SUMMARY)
    expect(page.locator("dl.profile")).to_contain_text(LAB)
    expect(page.locator("dl.profile")).to_contain_text("日立 SU8010")

    # --- in English -----------------------------------------------------------------------------
    nav.locator('button[data-lang="en"]').click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(rf"/listings/{listing_id}$"))  # same page
    expect(page.locator("h1")).to_have_text(TITLE)  # no English title: the Chinese one is shown
    expect(price).to_have_text(re.compile(r"^¥450\s+per hour$"))
    expect(page.locator(".card-body")).to_contain_text("Members of 长治学院: ¥200 per hour")
    expect(page.locator(".card-body")).to_contain_text("Innovation vouchers accepted")
    expect(page.locator(".breadcrumb")).to_contain_text("Shared instrument")
    profile = page.locator("dl.profile")
    expect(profile.locator("dt").first).to_have_text("Category")
    expect(profile.locator("dd").first).to_have_text("Electron microscopy")
    hours = page.locator("table tbody")
    expect(hours.locator("tr", has_text="Monday").locator("td")).to_have_text(
        "08:30–12:00, 14:00–17:30")
    expect(hours.locator("tr", has_text="Saturday").locator("td")).to_have_text("09:00–12:00")
    expect(hours.locator("tr", has_text="Sunday").locator("td")).to_have_text("Closed")
    page.screenshot(path=str(results_dir / "e2e-catalogue-listing-en.png"), full_page=True)

    # --- and nothing broke on the way -------------------------------------------------------------
    assert browser_problems.server_errors == []
    assert browser_problems.page_errors == []
    assert console_errors == []
