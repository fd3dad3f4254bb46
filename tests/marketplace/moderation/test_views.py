"""Moderation pages: wiring, permissions, both languages; the audit log search."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.audit import AuditEntry
from marketplace.extensions import db
from marketplace.moderation.models import Takedown
from tests.factories import DEFAULT_PASSWORD, make_instrument, make_officer, make_organization
from tests.factories import make_user


@pytest.fixture
def world():
    owner, outsider = make_user(), make_user(name="旁观者")
    org = make_organization(owner)
    make_organization(outsider)
    officer = make_officer(email="officer@example.cn", name="王科员")
    instrument = make_instrument(org, title_zh="违规电镜", title_en="Bad SEM")
    db.session.commit()
    return owner, outsider, officer, instrument


def _english(client):
    client.post("/language", data={"lang": "en", "next": "/"})


def _take_down(client, auth, officer, instrument, reason="虚假信息"):
    auth.login_as(officer)
    response = client.post(f"/office/moderation/listings/{instrument.id}/take-down",
                           data={"reason": reason})
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    auth.logout()
    return db.session.scalars(sa.select(Takedown)).one()


def test_take_down_then_public_404_owner_sees_notice_and_appeals_once(client, auth, world):
    owner, outsider, officer, instrument = world
    assert f"/listings/{instrument.id}\"" in client.get("/search?q=违规电镜").get_data(as_text=True)
    assert client.get(f"/api/v1/listings/{instrument.id}").status_code == 200
    takedown = _take_down(client, auth, officer, instrument)
    assert client.get(f"/listings/{instrument.id}").status_code == 404
    assert client.get(f"/api/v1/listings/{instrument.id}").status_code == 404
    assert f"/listings/{instrument.id}\"" not in client.get("/search?q=违规电镜").get_data(
        as_text=True)
    auth.login_as(outsider)
    assert client.get(f"/listings/{instrument.id}").status_code == 404
    assert client.get(f"/moderation/takedowns/{takedown.id}/appeal").status_code == 404
    auth.logout()
    auth.login_as(owner)
    page = client.get(f"/listings/{instrument.id}").get_data(as_text=True)
    assert "虚假信息" in page and 'data-testid="takedown-notice"' in page
    assert "虚假信息" in client.get("/my/listings").get_data(as_text=True)
    refused = client.post(f"/listings/{instrument.id}/publish", data={})
    assert refused.status_code == 409
    url = f"/moderation/takedowns/{takedown.id}/appeal"
    assert client.post(url, data={"text": ""}).status_code == 400
    assert client.post(url, data={"text": "请复核"}).status_code == 302
    assert client.post(url, data={"text": "再次"}).status_code == 409
    _english(client)
    assert "Taken down by the programme office" in client.get(url).get_data(as_text=True)


def test_officer_decides_on_the_takedown_page(client, auth, world):
    owner, outsider, officer, instrument = world
    takedown = _take_down(client, auth, officer, instrument)
    auth.login_as(officer)
    url = f"/office/moderation/takedowns/{takedown.id}"
    assert client.get(url).status_code == 200
    assert client.post(url, data={"decision": "maybe"}).status_code == 400
    assert client.post(url, data={"decision": "restore", "note": "误判"}).status_code == 302
    assert client.post(url, data={"decision": "uphold"}).status_code == 409
    auth.logout()
    assert client.get(f"/listings/{instrument.id}").status_code == 200


def test_moderation_pages_are_for_officers(client, auth, world):
    owner, outsider, officer, instrument = world
    assert client.get("/office/moderation/").status_code == 302
    auth.login_as(owner)
    assert client.get("/office/moderation/").status_code == 403
    assert client.post(f"/office/moderation/listings/{instrument.id}/take-down",
                       data={"reason": "x"}).status_code == 403
    auth.logout()
    auth.login_as(officer)
    page = client.get("/office/moderation/").get_data(as_text=True)
    assert "审核" in page or "下架" in page or "Moderation" in page
    _english(client)
    assert "Take-downs" in client.get("/office/moderation/").get_data(as_text=True)
    assert "Moderation" in client.get("/office/").get_data(as_text=True)
    assert client.post(f"/office/moderation/listings/{instrument.id}/take-down",
                       data={"reason": ""}).status_code == 400


def test_suspend_ends_the_session_and_login_says_why(client, auth, app, world):
    owner, outsider, officer, instrument = world
    other = app.test_client()
    assert other.post("/auth/login", data={"email": outsider.email,
                                          "password": DEFAULT_PASSWORD}).status_code == 302
    assert other.get("/dashboard").status_code == 200
    auth.login_as(officer)
    assert client.post(f"/office/moderation/users/{outsider.id}/suspend",
                       data={"reason": "刷单行为"}).status_code == 302
    assert other.get("/dashboard").status_code == 302  # the session is gone
    again = other.post("/auth/login", data={"email": outsider.email,
                                            "password": DEFAULT_PASSWORD})
    assert again.status_code == 200 and "刷单行为" in again.get_data(as_text=True)
    assert client.post(f"/office/moderation/users/{outsider.id}/unsuspend").status_code == 302
    assert other.post("/auth/login", data={"email": outsider.email,
                                          "password": DEFAULT_PASSWORD}).status_code == 302


def test_audit_search_filters(client, auth, world):
    owner, outsider, officer, instrument = world
    _take_down(client, auth, officer, instrument)
    auth.login_as(officer)
    base = "/office/audit"
    page = client.get(f"{base}?actor=王科员").get_data(as_text=True)
    assert "moderation.take_down" in page
    assert "moderation.take_down" not in client.get(f"{base}?actor=nobody").get_data(as_text=True)
    assert "moderation.take_down" in client.get(
        f"{base}?actor=OFFICER@example.cn&object_type=instruments&object_id={instrument.id}"
        "&action=take_down").get_data(as_text=True)
    assert "moderation.take_down" not in client.get(
        f"{base}?object_id={instrument.id + 1000}").get_data(as_text=True)
    entry = db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "moderation.take_down")).one()
    from zoneinfo import ZoneInfo

    day = entry.created_at.astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert "moderation.take_down" in client.get(
        f"{base}?start={day}&end={day}").get_data(as_text=True)
    from datetime import timedelta

    assert "moderation.take_down" not in client.get(
        f"{base}?start={day + timedelta(days=1)}").get_data(as_text=True)
    for bad in ("start=2026-13-01", "object_id=abc", "object_id=-1",
                f"start={day}&end={day - timedelta(days=1)}", "actor=" + "x" * 200):
        assert client.get(f"{base}?{bad}").status_code == 400, bad
    assert client.get(f"{base}?page=999").status_code == 200
    _english(client)
    assert "Audit log" in client.get(base).get_data(as_text=True)


def test_officers_can_take_down_any_review_from_the_listing_page(client, auth, world):
    from marketplace.reviews.models import DealKind, Review

    owner, outsider, officer, instrument = world
    review = Review(deal_kind=DealKind.BOOKING, deal_id=1, listing_id=instrument.id,
                    author_org_id=outsider.memberships[0].organization_id,
                    subject_org_id=instrument.organization_id, author_id=outsider.id, stars=1,
                    text="不实评价")
    db.session.add(review)
    db.session.commit()
    link = f"/office/moderation/reviews/{review.id}/take-down"
    auth.login_as(owner)  # not an officer: no take-down link beside the review
    assert link not in client.get(f"/listings/{instrument.id}").get_data(as_text=True)
    auth.logout()
    auth.login_as(officer)
    assert link in client.get(f"/listings/{instrument.id}").get_data(as_text=True)
    assert client.post(link, data={"reason": "与事实不符"}).status_code == 302
    db.session.rollback()
    assert db.session.get(Review, review.id).is_hidden
    takedown = db.session.scalars(sa.select(Takedown)).one()
    assert takedown.reason == "与事实不符"
