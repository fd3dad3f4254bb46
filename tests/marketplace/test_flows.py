"""Wiring of the main pages: the happy paths through real requests, and their errors."""

from __future__ import annotations

import re

import sqlalchemy as sa

from marketplace.auth.models import User
from marketplace.mail import OutboxMessage, OutboxStatus
from marketplace.organizations.models import Organization, VerificationStatus
from tests.factories import make_officer, make_organization, make_user, unique_credit_code


def _org_form(**overrides):
    data = {"name_zh": "长治市新星材料有限公司", "name_en": "Xinxing Materials", "credit_code": unique_credit_code(),
            "kind": "enterprise", "industry": "C", "district_code": "140403", "size": "small",
            "description": "碳纤维复合材料", "needs": "需要X射线衍射仪"}
    data.update(overrides)
    return data


def test_register_then_register_organisation_then_officer_verifies(client, auth, db, outbox):
    response = client.post("/auth/register", data={
        "email": "New.Owner@Example.cn", "display_name": "新用户", "password": "a long passphrase 1",
        "confirm": "a long passphrase 1"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/organizations/new")
    response = client.post("/organizations/new", data=_org_form())
    assert response.status_code == 302
    org = db.session.scalar(sa.select(Organization))
    assert org.status == VerificationStatus.PENDING
    assert client.get(f"/organizations/{org.id}").status_code == 200
    auth.logout()
    assert client.get(f"/organizations/{org.id}").status_code == 404  # pending: not public

    officer = make_officer()
    db.session.commit()
    auth.login_as(officer)
    page = client.get("/office/")
    assert org.name_zh in page.get_data(as_text=True)
    assert client.post(f"/office/organizations/{org.id}/verify").status_code == 302
    db.session.expire_all()
    assert db.session.get(Organization, org.id).is_verified
    assert outbox()[-1].recipient == "new.owner@example.cn"
    auth.logout()
    assert client.get(f"/organizations/{org.id}").status_code == 200  # now public
    assert client.get("/organizations/").get_data(as_text=True).count(org.name_zh) == 1


def test_invalid_credit_code_is_a_field_error(client, auth, db):
    user = make_user()
    db.session.commit()
    auth.login_as(user)
    code = unique_credit_code()
    bad = code[:-1] + ("0" if code[-1] != "0" else "1")
    response = client.post("/organizations/new", data=_org_form(credit_code=bad))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="credit_code"' in html and "is-invalid" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 0


def test_officer_rejects_with_reason_and_owner_sees_it(client, auth, db):
    owner, officer = make_user(), make_officer()
    org = make_organization(owner, status=VerificationStatus.PENDING)
    db.session.commit()
    auth.login_as(officer)
    assert client.post(f"/office/organizations/{org.id}/reject", data={"reason": ""}).status_code == 400
    response = client.post(f"/office/organizations/{org.id}/reject", data={"reason": "信用代码与执照不符"})
    assert response.status_code == 302
    auth.logout()
    auth.login_as(owner)
    assert "信用代码与执照不符" in client.get("/dashboard").get_data(as_text=True)


def test_language_switch_changes_interface_and_is_remembered_for_the_account(client, auth, db):
    user = make_user()
    db.session.commit()
    auth.login_as(user)
    zh = client.get("/dashboard").get_data(as_text=True)
    assert '<html lang="zh-CN">' in zh
    response = client.post("/language", data={"lang": "en", "next": "/dashboard"})
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    en = client.get("/dashboard").get_data(as_text=True)
    assert '<html lang="en">' in en and "My organisations" in en
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "en"
    client.post("/language", data={"lang": "xx"})  # unknown languages are ignored
    assert '<html lang="en">' in client.get("/dashboard").get_data(as_text=True)


def test_error_pages_in_both_languages_and_json_under_api(client):
    zh = client.get("/no-such-page")
    assert zh.status_code == 404 and '<html lang="zh-CN">' in zh.get_data(as_text=True)
    client.post("/language", data={"lang": "en"})
    en = client.get("/no-such-page")
    assert en.status_code == 404 and "Page not found" in en.get_data(as_text=True)
    api = client.get("/api/v1/organizations/999")
    assert api.status_code == 404 and api.is_json
    assert api.get_json()["error"]["code"] == "not_found" and api.get_json()["error"]["message"]
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me").get_json()["error"]["code"] == "unauthorized"
    assert client.post("/api/v1/districts").status_code == 405


def test_api_lists_real_districts_and_zones(client):
    data = client.get("/api/v1/districts").get_json()["districts"]
    names = {d["name_zh"] for d in data}
    assert {"潞州区", "上党区", "沁源县", "上党经济技术开发区"} <= names
    assert len([d for d in data if not d["is_zone"]]) == 12


def test_member_sees_private_fields_outsider_does_not(client, auth, db):
    owner = make_user()
    org = make_organization(owner, needs="需要机密的工艺改进", actual_controller="王五")
    outsider = make_user()
    db.session.commit()
    auth.login_as(outsider)
    html = client.get(f"/organizations/{org.id}").get_data(as_text=True)
    assert "需要机密的工艺改进" not in html and "王五" not in html
    assert "needs" not in client.get(f"/api/v1/organizations/{org.id}").get_json()["organization"]
    assert client.get(f"/organizations/{org.id}/members").status_code == 404
    auth.logout()
    auth.login_as(owner)
    assert "需要机密的工艺改进" in client.get(f"/organizations/{org.id}").get_data(as_text=True)


def test_password_reset_by_mail_end_to_end(client, db, outbox):
    user = make_user("reset.me@example.cn")
    db.session.commit()
    response = client.post("/auth/reset", data={"email": "Reset.Me@example.cn"})
    assert response.status_code == 302
    body = outbox()[-1].body
    link = re.search(r"http://[^\s]+/auth/reset/[^\s]+", body).group(0)
    path = link.split("localhost", 1)[-1]
    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": "a fresh passphrase", "confirm": "a fresh passphrase"})
    assert response.status_code == 302
    assert client.get(path).status_code == 400  # used once
    response = client.post("/auth/login", data={"email": user.email, "password": "a fresh passphrase"})
    assert response.status_code == 302


def test_mail_without_server_is_kept_in_outbox_and_logged(app, db, outbox):
    from marketplace.mail import send_mail

    send_mail("someone@example.cn", "主题", "正文")
    db.session.commit()
    [message] = outbox()
    assert message.status == OutboxStatus.LOGGED and message.sent_at is not None


def test_mail_to_unreachable_server_is_marked_failed(app, db, outbox):
    from marketplace.mail import send_mail

    app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = "127.0.0.1", 9  # discard port: refused
    try:
        send_mail("someone@example.cn", "主题", "正文")
        db.session.commit()
    finally:
        app.config["MAIL_SERVER"], app.config["MAIL_PORT"] = None, 25
    [message] = outbox()
    assert message.status == OutboxStatus.FAILED and message.error


def test_rolled_back_request_sends_no_mail(app, db, outbox):
    from marketplace.mail import send_mail

    send_mail("someone@example.cn", "主题", "正文")
    db.session.rollback()
    assert outbox() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
