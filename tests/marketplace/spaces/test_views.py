"""Space leasing pages: wiring, permissions (allowed and denied), status codes, both languages,
the .ics download, and the space leaving search once it is fully let (real Whoosh index)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from listings import search
from marketplace.extensions import db, utcnow
from marketplace.spaces import operations as ops
from marketplace.spaces.models import Lease, LeaseOffer, LeaseOfferStatus, Viewing, ViewingStatus
from tests.marketplace.spaces.helpers import later, make_leasing, start_in

pytestmark = pytest.mark.usefixtures("fast_passwords")


def _as(app, user, lang: str = "en"):
    from tests.conftest import AuthActions

    client = app.test_client()
    AuthActions(client).login_as(user)
    client.post("/language", data={"lang": lang, "next": "/"})
    return client


def _offer(w, area=500, user=None):
    offer = ops.make_lease_offer(db.session, w.space, user or w.tenant, area_m2=area,
                                 term_months=12, start_date=start_in(), deposit_fen=0,
                                 key=f"view-{area}-{utcnow().timestamp()}", now=utcnow())
    db.session.commit()
    return offer


def _space_page(client, w) -> str:
    response = client.get(f"/listings/{w.space.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_space_page_offers_viewing_and_offer_to_a_verified_outsider(app, db):
    w = make_leasing(area_m2=800)
    db.session.commit()
    for lang in ("zh", "en"):
        page = _space_page(_as(app, w.tenant, lang), w)
        assert f"/spaces/{w.space.id}/viewings/new" in page
        assert f"/spaces/{w.space.id}/offers/new" in page
        assert 'data-testid="area-free"' in page and "800" in page
    landlord_page = _space_page(_as(app, w.landlord), w)
    assert "/viewings/new" not in landlord_page and "Requests to answer" in landlord_page
    visitor = app.test_client()
    visitor.post("/language", data={"lang": "en", "next": "/"})
    anonymous = _space_page(visitor, w)
    assert "/viewings/new" not in anonymous and "to request a viewing or make an offer" in anonymous
    assert "/offers/new" not in anonymous


def test_viewing_flow_through_the_pages_with_ics_for_both_sides(app, db, outbox):
    w = make_leasing()
    db.session.commit()
    tenant = _as(app, w.tenant)
    assert tenant.get(f"/spaces/{w.space.id}/viewings/new").status_code == 200
    first, second = later(3, 10), later(4, 14)
    response = tenant.post(f"/spaces/{w.space.id}/viewings/new", data={
        "organization_id": str(w.tenant_org.id), "time_1": first.strftime("%Y-%m-%dT%H:%M"),
        "time_2": second.strftime("%Y-%m-%dT%H:%M"), "time_3": "", "note": "带两个人"})
    assert response.status_code == 302
    viewing = db.session.scalars(sa.select(Viewing)).one()
    # typed in Beijing time, stored in UTC (10:00 in Changzhi is 02:00 UTC)
    assert viewing.option_1_at == first and viewing.option_1_at.utcoffset() == timedelta(0)
    assert viewing.option_1_at.hour == (first.hour - 8) % 24
    assert outbox()[-1].recipient == w.landlord.email
    landlord = _as(app, w.landlord, "zh")
    page = landlord.get(f"/spaces/viewings/{viewing.id}").get_data(as_text=True)
    assert first.strftime("%Y-%m-%d %H:%M") in page  # shown in Beijing time
    assert tenant.get(f"/spaces/viewings/{viewing.id}/viewing.ics").status_code == 404
    assert tenant.post(f"/spaces/viewings/{viewing.id}/accept",
                       data={"chosen": "2"}).status_code == 403
    assert landlord.post(f"/spaces/viewings/{viewing.id}/accept",
                         data={"chosen": "9"}).status_code == 400
    assert landlord.post(f"/spaces/viewings/{viewing.id}/accept",
                         data={"chosen": "2"}).status_code == 302
    db.session.expire_all()
    assert viewing.status == ViewingStatus.ACCEPTED and viewing.scheduled_at == second
    assert outbox()[-1].recipient == w.tenant.email
    for client in (tenant, landlord):
        response = client.get(f"/spaces/viewings/{viewing.id}/viewing.ics")
        assert response.status_code == 200 and response.mimetype == "text/calendar"
        assert response.headers["Content-Disposition"].startswith("attachment")
        event = next(iter(Calendar.from_ical(response.data).walk("VEVENT")))
        assert event.decoded("dtstart") == second
        assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(hours=1)
    outsider = _as(app, w.outsider)
    assert outsider.get(f"/spaces/viewings/{viewing.id}").status_code == 404
    assert outsider.get(f"/spaces/viewings/{viewing.id}/viewing.ics").status_code == 404
    assert landlord.post(f"/spaces/viewings/{viewing.id}/cancel").status_code == 403
    assert tenant.post(f"/spaces/viewings/{viewing.id}/cancel").status_code == 302
    db.session.expire_all()
    assert viewing.status == ViewingStatus.CANCELLED


def test_viewing_form_bad_input_is_refused_on_the_form(app, db):
    w = make_leasing()
    db.session.commit()
    tenant = _as(app, w.tenant)
    url = f"/spaces/{w.space.id}/viewings/new"
    past = (utcnow() - timedelta(days=1)).astimezone(later().tzinfo)
    for data in ({"organization_id": str(w.tenant_org.id), "time_1": ""},
                 {"organization_id": str(w.tenant_org.id), "time_1": "tomorrow"},
                 {"organization_id": str(w.tenant_org.id),
                  "time_1": past.strftime("%Y-%m-%dT%H:%M")},
                 {"organization_id": "999999", "time_1": later().strftime("%Y-%m-%dT%H:%M")}):
        response = tenant.post(url, data=data)
        assert response.status_code == 400, data
        assert "is-invalid" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Viewing)) == 0


def test_viewing_decline_needs_a_reason(app, db):
    w = make_leasing()
    viewing = ops.request_viewing(db.session, w.space, w.tenant, times=[later()], now=utcnow())
    db.session.commit()
    landlord = _as(app, w.landlord)
    assert landlord.post(f"/spaces/viewings/{viewing.id}/decline",
                         data={"reason": ""}).status_code == 400
    assert landlord.post(f"/spaces/viewings/{viewing.id}/decline",
                         data={"reason": "已有意向租户"}).status_code == 302
    db.session.expire_all()
    assert viewing.status == ViewingStatus.DECLINED
    page = _as(app, w.tenant).get(f"/spaces/viewings/{viewing.id}").get_data(as_text=True)
    assert "已有意向租户" in page


def test_who_may_open_the_request_forms(app, db):
    w = make_leasing()
    db.session.commit()
    for path in (f"/spaces/{w.space.id}/viewings/new", f"/spaces/{w.space.id}/offers/new"):
        assert _as(app, w.landlord).get(path).status_code == 403
        assert app.test_client().get(path).status_code == 302  # sign in first
        assert _as(app, w.outsider).get(path).status_code == 200
        assert _as(app, w.tenant).get("/spaces/999999/offers/new").status_code == 404


def test_offer_flow_through_the_pages_to_the_lease(app, db, outbox):
    w = make_leasing(area_m2=1000, rent_fen=1_500)
    db.session.commit()
    tenant = _as(app, w.tenant, "zh")
    form = tenant.get(f"/spaces/{w.space.id}/offers/new").get_data(as_text=True)
    assert 'value="1000"' in form  # the free area is the default
    response = tenant.post(f"/spaces/{w.space.id}/offers/new", data={
        "organization_id": str(w.tenant_org.id), "area_m2": "400", "monthly_rent": "",
        "term_months": "24", "start_date": start_in(10).isoformat(), "deposit": "12,000",
        "message": "希望尽快入驻", "request_key": "page-offer"})
    assert response.status_code == 302
    offer = db.session.scalars(sa.select(LeaseOffer)).one()
    assert (offer.monthly_rent_fen, offer.deposit_fen) == (400 * 1_500, 1_200_000)
    # the same form again (a double click): the same offer
    again = tenant.post(f"/spaces/{w.space.id}/offers/new", data={
        "organization_id": str(w.tenant_org.id), "area_m2": "400", "term_months": "24",
        "start_date": start_in(10).isoformat(), "deposit": "12000",
        "request_key": "page-offer"})
    assert again.headers["Location"].endswith(f"/spaces/offers/{offer.id}")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LeaseOffer)) == 1
    landlord = _as(app, w.landlord)
    assert "Offer from" in _space_page(landlord, w)
    assert tenant.post(f"/spaces/offers/{offer.id}/accept").status_code == 403
    assert _as(app, w.outsider).get(f"/spaces/offers/{offer.id}").status_code == 404
    response = landlord.post(f"/spaces/offers/{offer.id}/accept")
    assert response.status_code == 302
    lease = db.session.scalars(sa.select(Lease)).one()
    assert response.headers["Location"].endswith(f"/spaces/leases/{lease.id}")
    # a second click on the old page: the same lease, no second one
    assert landlord.post(f"/spaces/offers/{offer.id}/accept").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lease)) == 1
    for client in (tenant, landlord, _as(app, _officer())):
        page = client.get(f"/spaces/leases/{lease.id}").get_data(as_text=True)
        assert lease.number in page and "¥6,000" in page
    assert _as(app, w.outsider).get(f"/spaces/leases/{lease.id}").status_code == 404
    mine = tenant.get("/spaces/mine").get_data(as_text=True)
    assert lease.number in mine and f"/spaces/offers/{offer.id}" in mine
    db.session.expire_all()
    assert w.space.area_free_m2 == 600
    assert "600" in _space_page(app.test_client(), w)


def _officer():
    from tests.factories import make_officer

    officer = make_officer()
    db.session.commit()
    return officer


def test_offer_form_bad_input(app, db):
    w = make_leasing(area_m2=500)
    db.session.commit()
    tenant = _as(app, w.tenant)
    base = {"organization_id": str(w.tenant_org.id), "area_m2": "100", "term_months": "12",
            "start_date": start_in().isoformat(), "deposit": "0", "request_key": "bad"}
    for field, value in (("area_m2", "501"), ("area_m2", "0"), ("area_m2", "abc"),
                         ("term_months", "3"), ("start_date", "2020-01-01"),
                         ("start_date", "soon"), ("deposit", "-5"), ("deposit", "1.234"),
                         ("monthly_rent", "lots")):
        response = tenant.post(f"/spaces/{w.space.id}/offers/new", data={**base, field: value})
        assert response.status_code == 400, (field, value)
        assert "is-invalid" in response.get_data(as_text=True), (field, value)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LeaseOffer)) == 0


def test_accept_with_too_little_area_left_is_a_409_with_the_reason(app, db):
    w = make_leasing(area_m2=1000)
    big, small = _offer(w, 900), _offer(w, 200, user=w.outsider)
    ops.accept_lease_offer(db.session, big, w.landlord, now=utcnow())
    db.session.commit()
    response = _as(app, w.landlord).post(f"/spaces/offers/{small.id}/accept")
    assert response.status_code == 409
    assert "Only 100 m²" in response.get_data(as_text=True)
    db.session.expire_all()
    assert small.status == LeaseOfferStatus.SUBMITTED


def test_decline_and_withdraw_pages(app, db):
    w = make_leasing()
    first, second = _offer(w, 100), _offer(w, 200)
    landlord, tenant = _as(app, w.landlord), _as(app, w.tenant)
    assert landlord.post(f"/spaces/offers/{first.id}/decline",
                         data={"reason": "bogus"}).status_code == 400
    assert landlord.post(f"/spaces/offers/{first.id}/decline",
                         data={"reason": "terms", "note": "租期太短"}).status_code == 302
    assert tenant.post(f"/spaces/offers/{first.id}/decline",
                       data={"reason": "terms"}).status_code == 403
    assert landlord.post(f"/spaces/offers/{second.id}/withdraw").status_code == 403
    assert tenant.post(f"/spaces/offers/{second.id}/withdraw").status_code == 302
    assert tenant.post(f"/spaces/offers/{second.id}/withdraw").status_code == 409
    db.session.expire_all()
    assert (first.status, second.status) == (LeaseOfferStatus.DECLINED, LeaseOfferStatus.WITHDRAWN)
    assert "租期太短" in tenant.get(f"/spaces/offers/{first.id}").get_data(as_text=True)


def test_fully_let_space_leaves_search_and_says_so(app, db):
    w = make_leasing(area_m2=700, title_zh="潞州区精密加工标准厂房", title_en="Precision plant")
    db.session.commit()
    index_dir = app.config["SEARCH_INDEX_DIR"]

    def found() -> list[int]:
        return search.search(index_dir, search.SearchRequest(text="精密加工", kind="space")).ids

    assert found() == [w.space.id]
    first = _offer(w, 300)
    ops.accept_lease_offer(db.session, first, w.landlord, now=utcnow())
    db.session.commit()
    assert found() == [w.space.id]  # 400 m² still free
    ops.accept_lease_offer(db.session, _offer(w, 400, user=w.outsider), w.landlord, now=utcnow())
    db.session.commit()
    assert found() == []
    for lang in ("zh", "en"):
        page = _space_page(_as(app, w.outsider, lang), w)
        assert 'data-testid="fully-let"' in page and "/offers/new" not in page
    assert "/viewings/new" in page  # a viewing may still be asked for (a lease may end)


def test_nav_links_my_leasing_in_both_languages(app, db):
    w = make_leasing()
    db.session.commit()
    for lang in ("zh", "en"):
        client = _as(app, w.tenant, lang)
        assert 'data-testid="nav-leasing"' in client.get("/").get_data(as_text=True)
        assert client.get("/spaces/mine").status_code == 200
    assert app.test_client().get("/spaces/mine").status_code == 302


def test_landlord_records_the_end_of_a_lease(app, db):
    w = make_leasing(area_m2=900)
    lease = ops.accept_lease_offer(db.session, _offer(w, 900), w.landlord, now=utcnow())
    db.session.commit()
    landlord = _as(app, w.landlord)
    assert 'data-testid="end-lease"' in landlord.get(f"/spaces/leases/{lease.id}").get_data(
        as_text=True)
    assert _as(app, w.tenant).post(f"/spaces/leases/{lease.id}/end").status_code == 403
    assert _as(app, w.outsider).post(f"/spaces/leases/{lease.id}/end").status_code == 404
    assert landlord.post(f"/spaces/leases/{lease.id}/end").status_code == 302
    response = landlord.post(f"/spaces/leases/{lease.id}/end")
    assert response.status_code == 409 and "already ended" in response.get_data(as_text=True)
    db.session.expire_all()
    assert w.space.area_free_m2 == 900
