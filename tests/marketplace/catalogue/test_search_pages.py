"""The search page and the listings API: filters, facets, highlighting, hostile input.

Every test runs once per search backend (``whoosh``; ``postgres`` when the test database is
PostgreSQL, skipped on SQLite)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from listings.models import Instrument, InstrumentCategory, Listing, Space, SpaceType
from marketplace.extensions import utcnow
from marketplace.organizations.models import OrganizationKind
from tests.factories import make_organization, make_user
from tests.listings.backends import SEARCH_BACKENDS, use_search_backend


@pytest.fixture(params=SEARCH_BACKENDS, autouse=True)
def search_backend_name(request, app):
    yield from use_search_backend(request, app)


def make_instrument(org, title_zh, *, title_en=None, summary_zh="", district="140403",
                    rate=30000, vouchers=True, category=InstrumentCategory.ELECTRON_MICROSCOPY,
                    tags="", published=True, **extra):
    listing = Instrument(organization=org, title_zh=title_zh, title_en=title_en,
                         summary_zh=summary_zh, district_code=district, instrument_category=category,
                         rate_internal_fen=rate // 2, rate_external_fen=rate,
                         accepts_vouchers=vouchers, tags=tags, **extra)
    if published:
        listing.publish(utcnow())
    from marketplace.extensions import db

    db.session.add(listing)
    return listing


def make_space(org, title_zh, *, area=1000, rent=1800, district="140404401", published=True):
    listing = Space(organization=org, title_zh=title_zh, district_code=district,
                    space_type=SpaceType.FACTORY, area_m2=area, area_free_m2=area,
                    rent_fen_per_m2_month=rent)
    if published:
        listing.publish(utcnow())
    from marketplace.extensions import db

    db.session.add(listing)
    return listing


@pytest.fixture
def catalogue(db):
    lab = make_organization(make_user(), kind=OrganizationKind.UNIVERSITY, name_zh="长治学院测试中心")
    park = make_organization(make_user(), kind=OrganizationKind.PARK, name_zh="上党产业园")
    items = {
        "sem": make_instrument(lab, "场发射扫描电子显微镜", title_en="Field emission SEM",
                               summary_zh="断口分析、形貌观察", tags="SEM, 电镜", rate=45000),
        "xrd": make_instrument(lab, "X射线衍射仪", title_en="X-ray diffractometer",
                               category=InstrumentCategory.X_RAY, rate=20000, vouchers=False,
                               district="140406"),
        "hplc": make_instrument(lab, "高效液相色谱仪", category=InstrumentCategory.CHROMATOGRAPHY,
                                rate=15000, district="140423402"),
        "draft": make_instrument(lab, "未发布的透射电镜", published=False),
        "factory": make_space(park, "上党开发区标准厂房", area=1200, rent=1800),
        "small": make_space(park, "潞州区小型车间", area=300, rent=2500, district="140403"),
    }
    db.session.commit()
    return items


def api(client, **params):
    response = client.get("/api/v1/listings", query_string=params)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def ids(data):
    return [r["id"] for r in data["results"]]


def test_only_published_listings_are_found(client, catalogue):
    data = api(client, q="透射电镜")
    assert catalogue["draft"].id not in ids(data)
    assert api(client)["total"] == 5


def test_filters_by_kind_district_price_area_and_voucher(client, catalogue):
    assert set(ids(api(client, kind="space"))) == {catalogue["factory"].id, catalogue["small"].id}
    # a district includes its development zones; a zone is exact
    assert set(ids(api(client, district="140423"))) == {catalogue["hplc"].id}
    assert set(ids(api(client, district="140404401"))) == {catalogue["factory"].id}
    assert set(ids(api(client, kind="instrument", price_max=20000))) == {
        catalogue["xrd"].id, catalogue["hplc"].id}
    assert set(ids(api(client, kind="space", area_min=500))) == {catalogue["factory"].id}
    assert catalogue["xrd"].id not in ids(api(client, voucher="1"))
    assert set(ids(api(client, category="x_ray"))) == {catalogue["xrd"].id}


def test_facets_count_kinds_districts_and_categories(client, catalogue):
    facets = api(client)["facets"]
    assert facets["kind"] == {"instrument": 3, "space": 2}
    assert facets["districts"]["140404"] == 1 and facets["districts"]["140404401"] == 1
    assert facets["category"]["factory"] == 2


def test_sort_by_price_and_newest(client, db, catalogue):
    prices = [r["price_fen"] for r in api(client, kind="instrument", sort="price")["results"]]
    assert prices == sorted(prices)
    catalogue["hplc"].published_at = utcnow() + timedelta(minutes=5)
    catalogue["hplc"].updated_at = utcnow()
    db.session.commit()
    assert ids(api(client, sort="newest"))[0] == catalogue["hplc"].id


def test_synonyms_bridge_chinese_and_english(client, catalogue):
    for query in ("扫描电镜", "SEM", "电镜", "electron microscope", "scanning electron microscope"):
        assert ids(api(client, q=query))[:1] == [catalogue["sem"].id], query
    assert ids(api(client, q="XRD"))[:1] == [catalogue["xrd"].id]
    assert ids(api(client, q="HPLC"))[:1] == [catalogue["hplc"].id]
    assert catalogue["small"].id in ids(api(client, q="workshop"))  # 车间 ~ 厂房 ~ workshop


def test_full_width_input_is_normalised(client, catalogue):
    assert ids(api(client, q="ＳＥＭ"))[:1] == [catalogue["sem"].id]


def test_did_you_mean_for_misspelt_english(client, catalogue):
    data = api(client, q="difractometer")
    assert data["suggestion"] == "diffractometer"


@pytest.mark.parametrize("query", [
    '"unbalanced', "AND OR NOT", "*", "title:", "title:(", "body:[a TO", "?", "SEM AND", "(((",
    "x" * 2000, "扫描" * 1000, "%00", "\x00\x01", "<script>alert(1)</script>", "' OR 1=1 --",
    "电镜^5", "SEM~2", "\\", "{}[]", "😀 emoji", "NOT NOT NOT", "-", "***", "a b c d e f g h i j k l",
])
def test_any_typed_text_gives_results_or_nothing_never_an_error(client, catalogue, query):
    assert client.get("/search", query_string={"q": query}).status_code == 200
    assert client.get("/api/v1/listings", query_string={"q": query}).status_code == 200
    assert client.get("/api/v1/suggest", query_string={"q": query}).status_code == 200


@pytest.mark.parametrize("params", [
    {"kind": "rocket"}, {"district": "999999"}, {"sort": "random"}, {"page": "x"},
    {"price_min": "-1"}, {"per_page": "1000"}, {"area_max": "1e9"},
])
def test_api_refuses_bad_filters_with_a_message(client, catalogue, params):
    response = client.get("/api/v1/listings", query_string=params)
    assert response.status_code == 400
    assert response.get_json()["error"]["message"]


def test_html_page_ignores_bad_filters(client, catalogue):
    response = client.get("/search", query_string={"kind": "rocket", "price_min_yuan": "abc",
                                                   "page": "-3", "sort": "x"})
    assert response.status_code == 200


def test_highlights_escape_listing_text(client, db, catalogue):
    lab = catalogue["sem"].organization
    make_instrument(lab, '<script>alert("x")</script>扫描仪', summary_zh="<img src=x onerror=alert(1)>")
    db.session.commit()
    html = client.get("/search", query_string={"q": "扫描仪"}).get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html
    data = api(client, q="扫描仪")
    assert "<script>" not in data["results"][0]["highlight"]["title"]


def test_pagination(client, db, catalogue):
    lab = catalogue["sem"].organization
    for n in range(25):
        make_instrument(lab, f"万能材料试验机{n}号", category=InstrumentCategory.MATERIALS_TESTING)
    db.session.commit()
    first = api(client, q="试验机", per_page=10)
    third = api(client, q="试验机", per_page=10, page=3)
    assert first["total"] == 25 and first["pages"] == 3 and len(third["results"]) == 5
    assert not set(ids(first)) & set(ids(third))
    assert client.get("/search", query_string={"q": "试验机", "page": 2}).status_code == 200


def test_suggestions_in_chinese_english_and_pinyin_initials(client, catalogue):
    def texts(prefix):
        return [s["text"] for s in client.get("/api/v1/suggest", query_string={"q": prefix})
                .get_json()["suggestions"]]

    assert "扫描电镜" in texts("smdj")
    assert "厂房" in texts("cf")
    assert "场发射扫描电子显微镜" in texts("场发")
    assert any(t.lower().startswith("sem") or "电镜" in t for t in texts("sem"))
    assert texts("") == []


def test_listing_page_and_api_detail(client, catalogue):
    listing = catalogue["sem"]
    page = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert "场发射扫描电子显微镜" in page and "¥450" in page
    data = client.get(f"/api/v1/listings/{listing.id}").get_json()["listing"]
    assert data["instrument"]["rate_external_fen"] == 45000
    assert client.get(f"/api/v1/listings/{catalogue['draft'].id}").status_code == 404
    assert client.get("/api/v1/listings/999999").status_code == 404


def test_openapi_document_lists_the_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/listings", "/api/v1/listings/{listing_id}", "/api/v1/suggest"} <= set(spec["paths"])


def test_english_interface_shows_english_titles(client, catalogue):
    client.post("/language", data={"lang": "en"})
    html = client.get("/search", query_string={"q": "SEM"}).get_data(as_text=True)
    assert "Field emission" in html


def test_rolled_back_changes_are_not_indexed(client, db, catalogue):
    catalogue["sem"].title_zh = "临时标题不应出现"
    db.session.flush()
    db.session.rollback()
    assert api(client, q="临时标题不应出现")["total"] == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 6
