"""The open-data API: figures equal the statistics indicators' for the same filters, vouchers
in whole ended months with small cells suppressed, CSV that parses and matches the JSON, no
personal data anywhere, bad filters refused with a JSON message, cache headers, the OpenAPI
document. Nobody signs in."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from listings.models import PUBLIC_KINDS
from marketplace.extensions import db, utcnow
from marketplace.opendata.datasets import DATASETS, MIN_PARTIES
from marketplace.reference import areas
from marketplace.statistics import indicators
from marketplace.statistics.indicators import Filters
from tests.factories import make_instrument
from tests.marketplace.opendata.helpers import PROVIDER, SEM_TITLE, secret_strings

OPENNESS = ("hours_open", "hours_booked", "hours_used", "external_share_bp",
            "median_wait_hours", "bookings", "used_bookings", "external_bookings",
            "cancellations", "no_shows")


def get(client, name, **args):
    response = client.get(f"/api/v1/open/{name}", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def _filters(args) -> Filters:
    start, end = args.get("start"), args.get("end")
    return Filters(start=date.fromisoformat(start) if start else None,
                   end=date.fromisoformat(end) if end else None, district=args.get("district"))


def _query_cases(world):
    anchor = world.anchor
    return [{}, {"start": anchor.isoformat(), "end": (anchor + timedelta(days=1)).isoformat()},
            {"district": "140403"}, {"district": "140404"},
            {"start": (anchor + timedelta(days=2)).isoformat(), "district": "140403"}]


def test_instruments_and_providers_equal_the_indicators(client, world):
    for args in _query_cases(world):
        filters, now = _filters(args), utcnow()
        expected = [row for row in indicators.instrument_openness(db.session, filters, now)
                    if row.listing_id == world.sem.id]  # the draft and archived are not public
        data = get(client, "instruments", **args)
        assert data["filters"]["district"] == args.get("district")
        assert [row["listing_id"] for row in data["rows"]] == [r.listing_id for r in expected]
        for row, want in zip(data["rows"], expected, strict=True):
            assert {k: row[k] for k in OPENNESS} == {k: getattr(want, k) for k in OPENNESS}
            assert (row["title_zh"], row["provider_name_zh"]) == (SEM_TITLE, PROVIDER)
        providers = get(client, "providers", **args)["rows"]
        want = indicators.provider_openness(expected)
        assert [{k: row[k] for k in (*OPENNESS, "instruments")} for row in providers] == [
            {k: getattr(p, k) for k in (*OPENNESS, "instruments")} for p in want]
    everything = get(client, "instruments")["rows"][0]
    assert everything["used_bookings"] == len(world.sessions)
    assert everything["external_share_bp"] == 10_000
    assert everything["url"].endswith(f"/listings/{world.sem.id}")


def test_draft_and_archived_instruments_are_not_published(client, world):
    ids = {row["listing_id"] for row in get(client, "instruments")["rows"]}
    assert ids == {world.sem.id}
    assert world.archived.id in {r.listing_id for r in indicators.instrument_openness(
        db.session, Filters(), utcnow())}  # the indicators count it; the public data does not


def test_a_taken_down_instrument_leaves_the_open_data(client, world):
    from marketplace.moderation import operations as moderation

    moderation.take_down_listing(db.session, world.sem, world.officer, "虚假宣传")
    db.session.commit()
    assert get(client, "instruments")["rows"] == []
    assert get(client, "providers")["rows"] == []
    assert SEM_TITLE not in client.get("/open-data/").get_data(as_text=True)


def test_summary_and_listings_equal_the_indicators(client, world):
    for args in _query_cases(world):
        summary = indicators.marketplace_summary(db.session, _filters(args), utcnow())
        row = get(client, "summary", **args)["rows"][0]
        for column in DATASETS["summary"].columns:
            want = getattr(summary, column.name)
            if column.name == "licence_value_fen" and summary.licences_concluded < MIN_PARTIES:
                want = None
            assert row[column.name] == want, column.name
        listings = get(client, "listings", **args)["rows"]
        expected = sorted((kind.value, district or None, count) for kind in PUBLIC_KINDS
                          for district, count in summary.listings.get(kind.value, {}).items())
        assert sorted((r["kind"], r["district"], r["listings"]) for r in listings) == expected


def test_vouchers_are_whole_ended_months_with_small_cells_suppressed(client, world):
    month = world.anchor.strftime("%Y-%m")
    data = get(client, "vouchers")
    cells = {(row["month"], row["district"]): row for row in data["rows"]}
    assert set(cells) == {(month, "140403"), (month, "140404")}  # this month is not there yet
    luzhou, shangdang = cells[(month, "140403")], cells[(month, "140404")]
    first_day = world.anchor.replace(day=1)
    last_closed = utcnow().astimezone(indicators.SHANGHAI).date().replace(day=1) \
        - timedelta(days=1)
    expected = {(r.month, r.district): r for r in indicators.vouchers_by_month_and_district(
        db.session, Filters(end=last_closed), utcnow())}
    assert luzhou["spent_fen"] == expected[(month, "140403")].spent_fen == 3 * 42_000
    assert luzhou["bookings_paid"] == 3 and luzhou["suppressed"] is False
    assert shangdang == {**shangdang, "spent_fen": None, "bookings_paid": None,
                         "suppressed": True}
    assert expected[(month, "140404")].spent_fen == 42_000  # there, but one enterprise's money
    assert data["months"] == {"start": None, "end": last_closed.isoformat(), "district": None}
    # a period inside the month answers the whole month (no differencing by days)
    narrow = get(client, "vouchers", start=(world.anchor + timedelta(days=1)).isoformat(),
                 end=(world.anchor + timedelta(days=1)).isoformat(), district="140403")
    assert narrow["rows"] == [luzhou]
    assert narrow["months"]["start"] == first_day.isoformat()
    # a zone's code selects its district
    zone = next(a for a in areas() if a.is_zone and a.parent_code == "140403")
    assert get(client, "vouchers", district=zone.code)["rows"] == [luzhou]
    # a period in the current month: nothing has ended yet
    today = utcnow().astimezone(indicators.SHANGHAI).date()
    assert get(client, "vouchers", start=today.isoformat())["rows"] == []


@pytest.mark.parametrize("name", list(DATASETS))
def test_csv_parses_and_matches_the_json(client, world, name):
    args = {"district": "140403"}
    data = get(client, name, **args)
    response = client.get(f"/api/v1/open/{name}.csv", query_string=args)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "charset=utf-8" in response.headers["Content-Type"]
    assert response.headers["Content-Disposition"] == f"attachment; filename=opendata-{name}.csv"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert table[0] == data["columns"] == DATASETS[name].column_names
    as_text = [["" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
                for v in (row[c] for c in data["columns"])] for row in data["rows"]]
    assert table[1:] == as_text
    assert client.get(f"/api/v1/open/{name}", query_string={**args, "format": "csv"}) \
        .get_data() == body


def test_csv_cells_never_start_a_formula(client, world):
    make_instrument(world.lab, title_zh='=HYPERLINK("http://evil.example")', title_en="@SUM(A1)")
    db.session.commit()
    rows = list(csv.DictReader(io.StringIO(
        client.get("/api/v1/open/instruments.csv").get_data().decode("utf-8-sig"))))
    evil = next(r for r in rows if "HYPERLINK" in r["title_zh"])
    assert evil["title_zh"].startswith("'=") and evil["title_en"] == "'@SUM(A1)"
    json_row = next(r for r in get(client, "instruments")["rows"] if "HYPERLINK" in r["title_zh"])
    assert json_row["title_zh"].startswith("=")  # JSON is data, not a spreadsheet


def _every_response(client, world):
    anchor = world.anchor.isoformat()
    paths = ["/open-data/", f"/open-data/?start={anchor}&district=140403", "/api/v1/open",
             "/api/v1/openapi.json"]
    for name in DATASETS:
        for query in ("", f"?start={anchor}", "?district=140404"):
            paths += [f"/api/v1/open/{name}{query}", f"/api/v1/open/{name}.csv{query}"]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        yield path, response.get_data(as_text=True)


def test_no_personal_data_in_any_response(client, world):
    secrets = secret_strings()
    # the world really has them (so their absence below means something)
    from marketplace.auth.models import User

    from tests.marketplace.opendata.helpers import CONTACT

    emails = set(db.session.scalars(sa.select(User.email)))
    assert {s for s in secrets if "@" in s} - {CONTACT[2]} <= emails
    assert world.sem.contact_email == CONTACT[2]
    for language in ("zh_CN", "en"):
        client.post("/language", data={"lang": language})
        for path, body in _every_response(client, world):
            for secret in secrets:
                assert secret not in body and json.dumps(secret) not in body, (path, secret)
            assert "@hidden" not in body, path


@pytest.mark.parametrize(("args", "field"), [
    ({"start": "2026-13-01"}, "start"),
    ({"start": "yesterday"}, "start"),
    ({"start": "2026-1-1"}, "start"),
    ({"start": "20261101"}, "start"),
    ({"end": "2026-02-30"}, "end"),
    ({"end": "1999-12-31"}, "end"),
    ({"end": "9999-12-31"}, "end"),
    ({"start": "2026-11-02", "end": "2026-11-01"}, "start"),
    ({"district": "999999"}, "district"),
    ({"district": "<script>alert(1)</script>"}, "district"),
    ({"district": "1404" * 200}, "district"),
    ({"format": "xml"}, "format"),
])
def test_bad_filters_answer_400_json_with_a_message(client, db, args, field):
    for name in ("instruments", "vouchers", "summary"):
        response = client.get(f"/api/v1/open/{name}", query_string=args)
        assert response.status_code == 400
        assert response.mimetype == "application/json"
        error = response.get_json()["error"]
        assert error["code"] == "bad_filter" and error["status"] == 400
        assert field in error["message"]  # named in either language
        if field != "format":
            assert client.get(f"/api/v1/open/{name}.csv", query_string=args).status_code == 400


def test_unknown_dataset_is_a_json_404(client, db):
    response = client.get("/api/v1/open/users")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_answers_are_cacheable_for_five_minutes(client, world):
    for path in ("/api/v1/open", "/api/v1/open/vouchers", "/api/v1/open/instruments.csv"):
        response = client.get(path)
        assert response.cache_control.public and response.cache_control.max_age == 300, path
        assert "Set-Cookie" not in response.headers, path
    client.set_cookie("session", "someone-signed-in")
    response = client.get("/api/v1/open/vouchers")
    assert response.cache_control.private and not response.cache_control.public
    assert response.cache_control.max_age == 300


def test_catalogue_lists_every_dataset_with_its_addresses(client, db):
    data = client.get("/api/v1/open").get_json()
    assert [d["name"] for d in data["datasets"]] == list(DATASETS)
    vouchers = next(d for d in data["datasets"] if d["name"] == "vouchers")
    assert vouchers["csv"].endswith("/api/v1/open/vouchers.csv")
    assert vouchers["title_en"].startswith("Innovation vouchers") and vouchers["title_zh"]
    assert data["min_parties"] == MIN_PARTIES


def data_columns(client, name) -> list[str]:
    return client.get(f"/api/v1/open/{name}").get_json()["columns"]


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_openapi_documents_the_open_data_api(client, db):
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = {"/api/v1/open"} | {f"/api/v1/open/{n}{s}" for n in DATASETS for s in ("", ".csv")}
    assert paths <= set(spec["paths"])
    assert {"/api/v1/listings", "/api/v1/suggest", "/api/v1/districts"} <= set(spec["paths"])
    for name in DATASETS:
        operation = spec["paths"][f"/api/v1/open/{name}"]["get"]
        names = {p["name"] for p in operation["parameters"]}
        assert names == {"start", "end", "district", "format"}
        assert {"200", "400"} <= set(operation["responses"])
        assert "text/csv" in operation["responses"]["200"]["content"]
        row = spec["components"]["schemas"][f"OpenData{name.capitalize()}Row"]
        assert row["required"] == DATASETS[name].column_names == data_columns(client, name)
        assert set(row["properties"]) == set(row["required"])
    operation_ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids))
    schemas = spec["components"]["schemas"]
    for ref in _refs(spec):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref
