"""The dashboard pages: officers only, both languages, filters validated, exports read back."""

from __future__ import annotations

import csv
import html as html_lib
import io
import json
import re
import uuid
from datetime import timedelta

import openpyxl
import pytest
from flask_babel import force_locale

from marketplace.bookings import operations as bookings
from marketplace.extensions import db, utcnow
from marketplace.statistics import indicators, tables
from marketplace.statistics.indicators import Filters
from tests import factories
from tests.marketplace.bookings.helpers import local, make_world

PAGES = ("/office/statistics/", "/office/statistics/instruments",
         "/office/statistics/marketplace")
TABLES = ("voucher_layers", "voucher_months", "voucher_districts", "burn_down", "annual_caps",
          "instruments", "providers", "listings", "marketplace", "recommendations")


def login(client, user):
    response = client.post("/auth/login", data={"email": user.email,
                                                "password": factories.DEFAULT_PASSWORD})
    assert response.status_code == 302, response.status_code


def english(client):
    assert client.post("/language", data={"lang": "en", "next": "/"}).status_code == 302


@pytest.fixture
def world(db):
    world = make_world(quota_fen=1_000_000)
    booking = bookings.create_booking(
        world.instrument, world.sme, world.sme_user, local(1, "09:00"), local(1, "10:00"),
        programme=world.programme, purpose="", request_key=uuid.uuid4().hex, now=utcnow())
    bookings.approve_booking(booking, world.lab_user, utcnow())
    bookings.complete_booking(booking, world.lab_user, 60, "ok", "INV-9",
                              booking.starts_at + timedelta(hours=1))
    db.session.commit()
    return world


@pytest.fixture
def officer_client(client, world):
    login(client, world.officer)
    return client


def test_pages_are_for_officers_only(client, world):
    for page in PAGES:
        assert client.get(page).status_code == 302  # to the login page
    login(client, world.sme_user)
    for page in PAGES:
        assert client.get(page).status_code == 403
    assert client.get("/office/statistics/export/voucher_layers.csv").status_code == 403


def test_dashboard_figures_match_the_indicators(officer_client, world):
    response = officer_client.get("/office/statistics/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    totals = indicators.voucher_overview(db.session, Filters(), utcnow()).totals
    for key in ("budget", "granted", "held", "spent", "expired", "reimbursed"):
        match = re.search(rf'data-testid="total-{key}" data-fen="(-?\d+)"', html)
        assert match and int(match.group(1)) == getattr(totals, f"{key}_fen")
    assert totals.spent_fen > 0
    # charts: data as JSON, drawn by a static file (no inline script)
    data = re.search(r'<div id="statistics-charts" data-charts="([^"]*)" hidden>', html)
    charts = json.loads(html_lib.unescape(data.group(1)))
    assert charts["months"]["labels"] and "chart.umd.min.js" in html
    assert "js/statistics.js" in html and "onclick" not in html
    assert "<script>" not in html
    assert "代金券" in html or "创新券" in html or "预算" in html  # Chinese by default
    for page in PAGES[1:]:
        assert officer_client.get(page).status_code == 200


def test_english_pages(officer_client):
    english(officer_client)
    html = officer_client.get("/office/statistics/").get_data(as_text=True)
    assert "Vouchers per funding layer" in html and "Budget" in html
    html = officer_client.get("/office/statistics/instruments").get_data(as_text=True)
    assert "Openness per instrument" in html
    html = officer_client.get("/office/statistics/marketplace").get_data(as_text=True)
    assert "Click-through" in html


@pytest.mark.parametrize("query,field", [
    ("start=2026-13-01", "start"), ("start=yesterday", "start"), ("end=2026-02-30", "end"),
    ("start=2026-12-01&end=2026-11-01", "end"), ("district=999999", "district"),
    ("district=" + "1" * 300, "district"), ("start=2000-01-01&end=2026-01-01", "end"),
])
def test_bad_filters_are_form_errors(officer_client, query, field):
    for page in PAGES:
        response = officer_client.get(f"{page}?{query}")
        assert response.status_code == 400
        assert f'data-testid="error-{field}"' in response.get_data(as_text=True)
    response = officer_client.get(f"/office/statistics/export/instruments.csv?{query}")
    assert response.status_code == 400


def test_filters_by_district_and_period(officer_client, world):
    html = officer_client.get("/office/statistics/instruments?district=140403").get_data(
        as_text=True)
    assert world.instrument.title_zh in html
    html = officer_client.get("/office/statistics/instruments?district=140404").get_data(
        as_text=True)
    assert world.instrument.title_zh not in html
    # a development zone rolls up to its district
    from marketplace.reference import areas

    zone = next(a for a in areas() if a.is_zone and a.parent_code == "140403")
    response = officer_client.get(f"/office/statistics/?district={zone.code}")
    assert response.status_code == 200
    past = officer_client.get("/office/statistics/?start=2020-01-01&end=2020-12-31")
    assert past.status_code == 200
    assert 'data-testid="total-granted" data-fen="0"' in past.get_data(as_text=True)


def headers(name: str, locale: str) -> list[str]:
    """The table's headers as the page words them in that locale (translated or not yet)."""
    with force_locale("zh_Hans_CN" if locale == "zh" else locale):
        table = tables.find_table(name, db.session, Filters(), utcnow(), locale)
        return [str(h) for h in table.headers]


@pytest.mark.parametrize("name", TABLES)
def test_every_table_exports_as_csv_and_xlsx(officer_client, name):
    response = officer_client.get(f"/office/statistics/export/{name}.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())  # a BOM: Excel reads the Chinese right
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows and rows[0]
    assert rows[0] == headers(name, "zh")  # Chinese headers by default

    response = officer_client.get(f"/office/statistics/export/{name}.xlsx")
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()), read_only=True)
    sheet = book.active
    xrows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert [str(h) for h in xrows[0]] == rows[0]
    assert len(xrows) == len(rows)

    english(officer_client)
    rows = list(csv.reader(io.StringIO(
        officer_client.get(f"/office/statistics/export/{name}.csv").get_data().decode("utf-8-sig"))))
    assert rows[0] == headers(name, "en")  # English headers
    assert not re.search(r"[\u4e00-\u9fff]", "".join(rows[0]))


def test_exported_voucher_figures(officer_client, world):
    rows = list(csv.reader(io.StringIO(officer_client.get(
        "/office/statistics/export/voucher_layers.csv").get_data().decode("utf-8-sig"))))
    totals = indicators.voucher_overview(db.session, Filters(), utcnow()).totals
    total_row = rows[-1]
    assert float(total_row[3]) * 100 == totals.granted_fen
    assert round(float(total_row[5]) * 100) == totals.spent_fen
    book = openpyxl.load_workbook(io.BytesIO(officer_client.get(
        "/office/statistics/export/voucher_layers.xlsx").get_data()))
    last = [c.value for c in book.active[book.active.max_row]]
    assert round(last[5] * 100) == totals.spent_fen


def test_unknown_export_is_404(officer_client):
    assert officer_client.get("/office/statistics/export/users.csv").status_code == 404
    assert officer_client.get("/office/statistics/export/instruments.pdf").status_code == 404


def test_office_home_links_to_the_dashboard(officer_client):
    html = officer_client.get("/office/").get_data(as_text=True)
    assert 'data-testid="statistics-card"' in html and "/office/statistics/" in html


@pytest.fixture
def simple_cache(app):
    """A real in-process cache for one test (the suite's is NullCache)."""
    from marketplace.extensions import cache

    saved = app.config["CACHE_TYPE"]
    app.config["CACHE_TYPE"] = "SimpleCache"
    cache.init_app(app)
    cache.clear()
    yield cache
    cache.clear()
    app.config["CACHE_TYPE"] = saved
    cache.init_app(app)


def test_a_section_is_computed_once_per_filter_and_language_within_the_cache_time(
        app, officer_client, simple_cache, monkeypatch):
    calls = []
    real = tables.SECTIONS["instruments"]
    monkeypatch.setitem(tables.SECTIONS, "instruments",
                        lambda *args: calls.append(args[1:4:2]) or real(*args))
    for _ in range(2):
        assert officer_client.get("/office/statistics/instruments").status_code == 200
    assert len(calls) == 1
    officer_client.get("/office/statistics/instruments?district=140403")
    english(officer_client)
    officer_client.get("/office/statistics/instruments")
    assert [language for _filters, language in calls] == ["zh", "zh", "en"]
    monkeypatch.setitem(app.config, "STATISTICS_CACHE_SECONDS", 0)  # off: every request
    officer_client.get("/office/statistics/instruments")
    assert len(calls) == 4
