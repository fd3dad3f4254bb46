"""Creating, editing, publishing, archiving and deleting listings through the pages."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from listings.models import Listing, ListingPhoto, ListingStatus
from marketplace.organizations.models import OrganizationKind, VerificationStatus
from tests.factories import make_officer, make_organization, make_user

COMMON = {"title_zh": "场发射扫描电子显微镜", "title_en": "Field-emission SEM",
          "summary_zh": "可做断口分析、形貌观察与能谱", "summary_en": "Fracture analysis, EDS",
          "description": "日立 SU8010，配牛津能谱", "tags": "SEM, 电镜, 断口分析",
          "district_code": "140403", "address": "城北东街73号", "contact_name": "李老师",
          "contact_phone": "0355-1234567", "contact_email": "lab@example.cn"}

FORMS = {
    "instrument": {"instrument_category": "electron_microscopy", "manufacturer": "Hitachi",
                   "model_name": "SU8010", "year_made": "2019", "capabilities": "二次电子像",
                   "sample_requirements": "干燥导电", "lab_location": "理科楼101",
                   "rate_internal_fen": "200", "rate_external_fen": "450.50",
                   "min_booking_minutes": "60", "max_booking_minutes": "480",
                   "hours_0": "08:30-12:00, 14:00-17:30", "hours_1": "", "hours_2": "", "hours_3": "",
                   "hours_4": "", "hours_5": "", "hours_6": "", "closed_dates": "2027-02-06",
                   "accepts_vouchers": "y"},
    "technology": {"patent_number": "ZL201910123456.7", "patent_type": "invention",
                   "ipc_class": "C22C 21/00", "filing_date": "2019-03-01", "grant_date": "2021-06-01",
                   "legal_status": "granted", "inventors": "王强, 赵丽",
                   "licensing_modes": ["exclusive", "non_exclusive"], "asking_price_fen": "",
                   "trl": "6", "field_of_application": "汽车轻量化"},
    "space": {"space_type": "factory", "area_m2": "1200", "area_free_m2": "800",
              "floor_height_m": "8.5", "floor_load_kn_m2": "30", "power_kva": "630",
              "rent_fen_per_m2_month": "18", "available_from": "2027-01-01",
              "min_lease_months": "12", "park_name": "上党产业园"},
    "campaign": {"money_goal_fen": "200000", "deadline": "2030-12-31",
                 "expertise_needs-0-skill": "嵌入式软件", "expertise_needs-0-hours": "40",
                 "resource_needs-0-item": "3D打印机时", "resource_needs-0-quantity": "10小时",
                 "reward_tiers-0-title": "感谢信", "reward_tiers-0-min_pledge_fen": "100",
                 "reward_tiers-0-description": "电子版"},
}
OWNER_KIND = {"instrument": OrganizationKind.UNIVERSITY, "technology": OrganizationKind.UNIVERSITY,
              "space": OrganizationKind.PARK, "campaign": OrganizationKind.MAKER}


@pytest.mark.parametrize("kind", list(FORMS))
def test_member_creates_publishes_finds_edits_archives_and_deletes(client, auth, db, kind):
    owner = make_user()
    org = make_organization(owner, kind=OWNER_KIND[kind])
    db.session.commit()
    auth.login_as(owner)
    assert client.get(f"/listings/new/{kind}").status_code == 200
    data = {**COMMON, **FORMS[kind], "organization_id": str(org.id)}
    response = client.post(f"/listings/new/{kind}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    listing = db.session.scalar(sa.select(Listing))
    assert listing.status == ListingStatus.DRAFT and listing.kind.value == kind
    assert client.get("/api/v1/listings?q=断口分析").get_json()["total"] == 0  # drafts are not found

    if kind == "campaign":  # step 4: a campaign is published by going live after review
        assert client.post(f"/listings/{listing.id}/publish").status_code == 409
        _review_and_launch(client, auth, db, listing, owner)
    else:
        assert client.post(f"/listings/{listing.id}/publish").status_code == 302
    found = client.get("/api/v1/listings?q=扫描电镜").get_json()
    assert [r["id"] for r in found["results"]] == [listing.id]
    assert client.get(f"/listings/{listing.id}").status_code == 200

    edited = {**data, "title_zh": "冷场发射扫描电镜", "summary_zh": "新增背散射探头"}
    assert client.post(f"/listings/{listing.id}/edit", data=edited).status_code == 302
    assert client.get("/api/v1/listings?q=背散射").get_json()["total"] == 1  # edit visible at once

    if kind == "campaign":  # live until its deadline; then it can be archived, not deleted
        assert client.post(f"/listings/{listing.id}/archive").status_code == 409
        _close(db, listing)
    assert client.post(f"/listings/{listing.id}/archive").status_code == 302
    assert client.get("/api/v1/listings?q=背散射").get_json()["total"] == 0
    auth.logout()
    assert client.get(f"/listings/{listing.id}").status_code == 404  # archived: not public
    auth.login_as(owner)
    if kind == "campaign":  # a campaign that has been live keeps its records
        assert client.post(f"/listings/{listing.id}/delete").status_code == 409
        return
    assert client.post(f"/listings/{listing.id}/delete").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 0


def _review_and_launch(client, auth, db, campaign, owner):
    """Submit (the maker), approve (an officer), go live (the maker), through the pages."""
    officer = make_officer()
    db.session.commit()
    assert client.post(f"/campaigns/{campaign.id}/submit", data={"duration_days": "30"}).status_code == 302
    assert client.get("/api/v1/listings?q=扫描电镜").get_json()["total"] == 0  # not yet
    auth.logout()
    auth.login_as(officer)
    assert client.post(f"/campaigns/{campaign.id}/approve").status_code == 302
    auth.logout()
    auth.login_as(owner)
    assert client.post(f"/campaigns/{campaign.id}/launch").status_code == 302


def _close(db, campaign):
    from datetime import timedelta

    from marketplace.campaigns.operations import close_due
    from marketplace.extensions import utcnow

    assert len(close_due(db.session, utcnow() + timedelta(days=40))) == 1
    db.session.commit()


def test_instrument_money_and_hours_are_stored_exactly(client, auth, db):
    owner = make_user()
    org = make_organization(owner, kind=OrganizationKind.UNIVERSITY)
    db.session.commit()
    auth.login_as(owner)
    data = {**COMMON, **FORMS["instrument"], "organization_id": str(org.id)}
    client.post("/listings/new/instrument", data=data)
    listing = db.session.scalar(sa.select(Listing))
    assert (listing.rate_internal_fen, listing.rate_external_fen) == (20000, 45050)
    assert listing.opening_hours == {"0": [["08:30", "12:00"], ["14:00", "17:30"]]}
    assert listing.closed_dates == ["2027-02-06"]


def test_a_nul_character_in_text_is_stored_as_a_replacement_character(client, auth, db):
    """PostgreSQL cannot store NUL in text (a 500, found by the long form fuzz): the form guard
    turns it into U+FFFD on every form, on both databases."""
    owner = make_user()
    org = make_organization(owner, kind=OrganizationKind.UNIVERSITY)
    db.session.commit()
    auth.login_as(owner)
    data = {**COMMON, **FORMS["instrument"], "organization_id": str(org.id),
            "manufacturer": "a\x00b"}
    assert client.post("/listings/new/instrument", data=data).status_code == 302
    assert db.session.scalar(sa.select(Listing)).manufacturer == "a\ufffdb"


@pytest.mark.parametrize(("field", "value"), [
    ("rate_external_fen", "abc"), ("rate_external_fen", "-5"), ("rate_external_fen", "1.005"),
    ("hours_0", "8-12"), ("hours_0", "14:00-12:00"), ("closed_dates", "next tuesday"),
    ("max_booking_minutes", "30"), ("district_code", "110101"), ("title_zh", "x" * 201),
])
def test_bad_instrument_input_is_a_form_error(client, auth, db, field, value):
    owner = make_user()
    org = make_organization(owner, kind=OrganizationKind.UNIVERSITY)
    db.session.commit()
    auth.login_as(owner)
    data = {**COMMON, **FORMS["instrument"], "organization_id": str(org.id), field: value}
    response = client.post("/listings/new/instrument", data=data)
    assert response.status_code == 200
    assert "is-invalid" in response.get_data(as_text=True) or "alert-danger" in response.get_data(
        as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 0


def test_missing_titles_and_bad_patent_numbers_are_refused(client, auth, db):
    owner = make_user()
    org = make_organization(owner, kind=OrganizationKind.UNIVERSITY)
    db.session.commit()
    auth.login_as(owner)
    base = {**COMMON, **FORMS["technology"], "organization_id": str(org.id)}
    for override in ({"title_zh": "", "title_en": ""}, {"patent_number": "12345"},
                     {"licensing_modes": []}, {"trl": "10"},
                     {"grant_date": "2018-01-01"}):
        response = client.post("/listings/new/technology", data={**base, **override})
        assert response.status_code == 200, override
        assert "is-invalid" in response.get_data(as_text=True) or "text-danger" in \
            response.get_data(as_text=True), override
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 0


def test_unverified_or_unfitting_organisation_cannot_publish(client, auth, db):
    owner = make_user()
    pending = make_organization(owner, kind=OrganizationKind.UNIVERSITY,
                                status=VerificationStatus.PENDING)
    park = make_organization(owner, kind=OrganizationKind.PARK)
    db.session.commit()
    auth.login_as(owner)
    client.post("/listings/new/instrument",
                data={**COMMON, **FORMS["instrument"], "organization_id": str(pending.id)})
    listing = db.session.scalar(sa.select(Listing))
    assert listing is not None  # drafts are allowed
    assert client.post(f"/listings/{listing.id}/publish").status_code == 403
    # a park is not offered as the owner of an instrument, and a forged choice is refused
    response = client.post("/listings/new/instrument",
                           data={**COMMON, **FORMS["instrument"], "organization_id": str(park.id)})
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Listing)) == 1


def test_outsiders_cannot_edit_or_see_drafts(client, auth, db):
    owner, outsider = make_user(), make_user()
    org = make_organization(owner, kind=OrganizationKind.UNIVERSITY)
    make_organization(outsider, kind=OrganizationKind.UNIVERSITY)
    db.session.commit()
    auth.login_as(owner)
    client.post("/listings/new/instrument",
                data={**COMMON, **FORMS["instrument"], "organization_id": str(org.id)})
    listing = db.session.scalar(sa.select(Listing))
    auth.logout()
    auth.login_as(outsider)
    assert client.get(f"/listings/{listing.id}").status_code == 404
    assert client.get(f"/listings/{listing.id}/edit").status_code == 404
    assert client.post(f"/listings/{listing.id}/publish").status_code == 404
    auth.logout()
    auth.login_as(owner)
    client.post(f"/listings/{listing.id}/publish")
    auth.logout()
    auth.login_as(outsider)
    assert client.get(f"/listings/{listing.id}").status_code == 200
    assert client.get(f"/listings/{listing.id}/edit").status_code == 403
    assert client.post(f"/listings/{listing.id}/archive").status_code == 403


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


def test_photos_are_type_checked_size_limited_and_served_safely(client, auth, db, app, monkeypatch):
    from marketplace.publishing import operations

    monkeypatch.setattr(operations, "MAX_PHOTO_BYTES", 1000)  # keeps the upload in memory
    owner = make_user()
    org = make_organization(owner, kind=OrganizationKind.UNIVERSITY)
    db.session.commit()
    auth.login_as(owner)
    client.post("/listings/new/instrument",
                data={**COMMON, **FORMS["instrument"], "organization_id": str(org.id)})
    listing = db.session.scalar(sa.select(Listing))
    url = f"/listings/{listing.id}/photos"
    fake = client.post(url, data={"photo": (io.BytesIO(b"<script>alert(1)</script>"), "x.png")},
                       content_type="multipart/form-data")
    assert fake.status_code == 400
    big = client.post(url, data={"photo": (io.BytesIO(PNG + b"\0" * 1000), "big.png")},
                      content_type="multipart/form-data")
    assert big.status_code == 400
    ok = client.post(url, data={"photo": (io.BytesIO(PNG), "../../etc/passwd.png"),
                                "caption": "整机"}, content_type="multipart/form-data")
    assert ok.status_code == 302
    photo = db.session.scalar(sa.select(ListingPhoto))
    assert ".." not in photo.storage_name and photo.content_type == "image/png"
    served = client.get(f"/listings/{listing.id}/photos/{photo.id}")
    assert served.status_code == 200 and served.data == PNG
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    served.close()
    auth.logout()
    assert client.get(f"/listings/{listing.id}/photos/{photo.id}").status_code == 404  # draft
