"""The open-data page: public (no login), Chinese by default and English on request, the
tables and charts with the same figures as the API, filters, bad filters explained (400), no
inline script (CSP), the nav link; and the demo data published without its people."""

from __future__ import annotations

import html
import json
import re

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.reference import areas
from tests.marketplace.opendata.helpers import PROVIDER, SEM_TITLE
from tests.security.test_headers import assert_no_inline_code

CHART = re.compile(r'<canvas[^>]*data-chart="([^"]*)"')


def page(client, **args) -> str:
    response = client.get("/open-data/", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_page_is_public_and_chinese_by_default(client, world):
    body = page(client)
    assert '<html lang="zh-CN">' in body
    assert SEM_TITLE in body and PROVIDER in body and "潞州区" in body
    assert 'data-testid="table-vouchers"' in body and 'data-testid="table-instruments"' in body
    assert "¥1,260" in body  # the Luzhou cell: 3 x ¥420
    assert 'href="/open-data/"' in client.get("/").get_data(as_text=True)  # the nav link
    assert_no_inline_code(body, "open-data page")
    assert '/static/vendor/chartjs-4.5.1/chart.umd.min.js' in body
    assert '/open-data/static/opendata/charts.js' in body
    script = client.get("/open-data/static/opendata/charts.js")
    assert script.status_code == 200 and b"data-chart" in script.get_data()
    script.close()


def test_page_in_english(client, world):
    client.post("/language", data={"lang": "en"})
    body = page(client)
    assert '<html lang="en">' in body
    assert "Open data" in body and "Open shared FE-SEM" in body and "Open Data Test Lab" in body
    assert "Luzhou District" in body and "Vouchers spent" in body
    assert SEM_TITLE not in body


def test_charts_carry_the_tables_figures(client, world):
    body = page(client)
    charts = [json.loads(html.unescape(match)) for match in CHART.findall(body)]
    vouchers, instruments = charts
    month = world.anchor.strftime("%Y-%m")
    assert vouchers["labels"] == [month]
    assert vouchers["series"][0]["data"] == [1260.0]  # published cells only (Shangdang withheld)
    assert instruments["labels"] == [SEM_TITLE]
    api = client.get("/api/v1/open/instruments").get_json()["rows"][0]
    assert [s["data"][0] for s in instruments["series"]] == [
        api["hours_open"], api["hours_booked"], api["hours_used"]]


def test_page_filters_and_download_links_keep_them(client, world):
    body = page(client, district="140404")
    assert SEM_TITLE not in body  # the SEM is in Luzhou
    assert 'href="/api/v1/open/vouchers.csv?district=140404"' in body
    body = page(client, start=world.anchor.isoformat())
    assert f"start={world.anchor.isoformat()}" in body


def test_bad_filters_are_explained_on_the_page(client, db):
    response = client.get("/open-data/", query_string={"start": "2026-02-30"})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert 'data-testid="filter-error"' in body and "YYYY-MM-DD" in body
    assert 'value="2026-02-30"' in body and "is-invalid" in body
    assert client.get("/open-data/", query_string={"district": "<b>x</b>"}).status_code == 400
    assert "<b>x</b>" not in client.get("/open-data/", query_string={"district": "<b>x</b>"}) \
        .get_data(as_text=True)


def test_demo_data_is_published_without_its_people(client, db):
    """The demo (every role, bookings, campaigns, licences, leases): every open response is
    free of the demo users' names and e-mails and the organisations' phones and addresses."""
    from marketplace.auth.models import User
    from marketplace.demo import load_demo
    from marketplace.organizations.models import Organization

    load_demo()
    db.session.commit()
    people = [(u.display_name, u.email) for u in db.session.scalars(sa.select(User))]
    organizations = db.session.scalars(sa.select(Organization)).all()
    secrets = {value for pair in people for value in pair}
    secrets |= {o.contact_phone for o in organizations if o.contact_phone}
    secrets |= {o.address for o in organizations if o.address}
    secrets |= {o.actual_controller for o in organizations if o.actual_controller}
    from listings.models import Listing

    for listing in db.session.scalars(sa.select(Listing)):
        secrets |= {v for v in (listing.contact_name, listing.contact_phone,
                                listing.contact_email) if v}
    instruments = client.get("/api/v1/open/instruments").get_json()["rows"]
    # an actual controller may be an organisation whose lab is itself a public provider
    # and an address may be just a development zone's name (the filter lists every zone)
    public = {row["provider_name_zh"] for row in instruments}
    places = {name for area in areas() for name in (area.name_zh, area.name_en)}
    secrets = {s for s in secrets if s not in places and not any(s in name for name in public)}
    assert len(secrets) > 20
    assert instruments and any(row["used_bookings"] for row in instruments)
    summary = client.get("/api/v1/open/summary").get_json()["rows"][0]
    assert summary["campaigns_launched"] or summary["licences_concluded"] \
        or summary["spaces_leased"]
    paths = ["/open-data/", "/api/v1/open"]
    for name in ("instruments", "providers", "vouchers", "listings", "summary"):
        paths += [f"/api/v1/open/{name}", f"/api/v1/open/{name}.csv"]
    for language in ("zh_CN", "en"):
        client.post("/language", data={"lang": language})
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, path
            body = response.get_data(as_text=True)
            for secret in secrets:
                assert secret not in body and json.dumps(secret) not in body, (path, secret)
