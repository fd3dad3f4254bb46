"""Review pages: the form on the booking page, the stand-alone form, ratings on listing and
organisation pages, reports and the officer's moderation; permissions allowed and denied, bad
input, both languages."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.reviews.models import Review, ReviewReport
from tests.marketplace.reviews.helpers import active_lease, completed_booking, licence_in_force


def _as(client, auth, user):
    """Sign in as ``user``, reading the pages in English (the messages asserted on)."""
    auth.logout()
    auth.login_as(user)
    client.post("/language", data={"lang": "en"})


def test_review_from_the_booking_page_shows_on_listing_and_organisation(client, auth):
    d = completed_booking()
    url = f"/reviews/booking/{d.booking.id}"
    _as(client, auth, d.sme_user)
    page = client.get(f"/bookings/{d.booking.id}").get_data(as_text=True)
    assert f'action="{url}"' in page and "review-form" in page
    response = client.post(url, data={"stars": "4", "text": "<i>出报告快</i>"})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/bookings/{d.booking.id}")
    page = client.get(f"/bookings/{d.booking.id}").get_data(as_text=True)
    assert "review-form" not in page and "&lt;i&gt;出报告快" in page
    again = client.post(url, data={"stars": "5"})
    assert again.status_code == 409
    assert "already reviewed" in again.get_data(as_text=True)
    for lang in ("zh_CN", "en"):
        client.post("/language", data={"lang": lang, "next": "/"})
        listing = client.get(f"/listings/{d.instrument.id}").get_data(as_text=True)
        assert 'data-testid="average-rating"' in listing and "4.0" in listing
        org = client.get(f"/organizations/{d.lab.id}").get_data(as_text=True)
        assert "出报告快" in org and "<i>出报告快" not in org
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 1


def test_bad_review_input_gives_form_errors(client, auth):
    d = completed_booking()
    _as(client, auth, d.lab_user)
    url = f"/reviews/booking/{d.booking.id}"
    for data in ({}, {"stars": "0"}, {"stars": "6"}, {"stars": "five"},
                 {"stars": "3", "text": "长" * 2001}):
        response = client.post(url, data=data)
        assert response.status_code == 400, data
        assert "is-invalid" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0


def test_who_may_review(client, auth):
    d = completed_booking()
    url = f"/reviews/booking/{d.booking.id}"
    _as(client, auth, d.outsider)
    assert client.get(url).status_code == 404
    assert client.post(url, data={"stars": "1"}).status_code == 404
    _as(client, auth, d.officer)
    assert client.get(url).status_code == 200
    assert client.post(url, data={"stars": "1"}).status_code == 403
    assert client.post("/reviews/rocket/1", data={"stars": "1"}).status_code == 404
    assert client.post("/reviews/booking/999999", data={"stars": "1"}).status_code == 404
    auth.logout()
    assert client.post(url, data={"stars": "1"}).status_code == 302  # to sign in
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0
    unfinished = completed_booking(complete=False)
    _as(client, auth, unfinished.sme_user)
    page = client.get(f"/bookings/{unfinished.booking.id}").get_data(as_text=True)
    assert "review-form" not in page
    assert client.post(f"/reviews/booking/{unfinished.booking.id}",
                       data={"stars": "5"}).status_code == 409


def test_licence_and_lease_reviews_through_the_form(client, auth):
    agreement, _, licensee = licence_in_force()
    _as(client, auth, licensee)
    page = client.get(f"/licensing/agreements/{agreement.id}").get_data(as_text=True)
    assert f'action="/reviews/licence/{agreement.id}"' in page  # the partial on B1's page
    assert client.get(f"/reviews/licence/{agreement.id}").status_code == 200
    assert client.post(f"/reviews/licence/{agreement.id}", data={"stars": "5"}).status_code == 302
    lease, landlord, _ = active_lease()
    _as(client, auth, landlord)
    page = client.get(f"/spaces/leases/{lease.id}").get_data(as_text=True)
    assert f'action="/reviews/lease/{lease.id}"' in page  # the partial on C's page
    response = client.post(f"/reviews/lease/{lease.id}", data={"stars": "3"})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/spaces/leases/{lease.id}")
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 2


def test_report_then_officer_hides_or_dismisses(client, auth):
    from marketplace.reviews import operations as ops

    d = completed_booking()
    review = ops.create_review(db.session, d.sme_user, deal_kind="booking", deal=d.booking,
                               stars=1, text="态度恶劣")
    db.session.commit()
    _as(client, auth, d.lab_user)
    assert client.get(f"/reviews/{review.id}/report").status_code == 200
    assert client.post(f"/reviews/{review.id}/report", data={"reason": ""}).status_code == 400
    assert client.post(f"/reviews/{review.id}/report",
                       data={"reason": "与事实不符"}).status_code == 302
    assert client.post(f"/reviews/{review.id}/hide").status_code == 403
    _as(client, auth, d.officer)
    office = client.get("/office/").get_data(as_text=True)
    assert "与事实不符" in office and f"/reviews/{review.id}/hide" in office
    assert client.post(f"/reviews/{review.id}/dismiss").status_code == 302
    assert client.post(f"/reviews/{review.id}/dismiss").status_code == 409
    assert "与事实不符" not in client.get("/office/").get_data(as_text=True)
    assert client.post(f"/reviews/{review.id}/hide").status_code == 302
    assert client.post(f"/reviews/{review.id}/hide").status_code == 409
    _as(client, auth, d.lab_user)
    assert "态度恶劣" not in client.get(f"/listings/{d.instrument.id}").get_data(as_text=True)
    assert client.get(f"/reviews/{review.id}/report").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(ReviewReport.id))) == 1
