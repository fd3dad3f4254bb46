"""S2: sessions (ASVS 5.0 V7.2.4 rotation, V7.4.1–7.4.3 termination, V7.3.1–7.3.2 timeouts,
V3.3.1–3.3.4 cookie attributes).

Sessions are rows in ``user_sessions``; the cookie carries a random token whose hash is the row's
key. Timeouts are tested by moving the row's timestamps back, not by sleeping.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.auth.models import SiteRole, UserSession
from marketplace.config import PROJECT_ROOT
from marketplace.extensions import db, utcnow
from tests.security.helpers import (
    NEW_PASSWORD,
    PASSWORD,
    quick_user,
    redirects_to_login,
    sign_in,
)
from tests.security.scripted_figures import scripted_figure

_figure = scripted_figure(
    "S2", "S2 sessions (rotation, logout and replayed cookies, password change and reset, deactivation, idle and absolute timeouts, remember-me, cookie flags): sessions surviving or cookie flags missing")

SESSION = "session"
REMEMBER = "remember_token"


def cookie_value(client, name: str) -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


def replay(make_client, **cookies):
    """A new browser holding only these cookies."""
    client = make_client()
    for name, value in cookies.items():
        if value is not None:
            client.set_cookie(name, value)
    return client


def signed_in(client) -> bool:
    response = client.get("/dashboard")
    if response.status_code == 200:
        return True
    assert redirects_to_login(response), response.status_code
    return False


def session_rows(user_id: int) -> list[UserSession]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(UserSession).where(UserSession.user_id == user_id).order_by(UserSession.id)
        )
    )


def set_session_times(user_id: int, **values) -> None:
    db.session.execute(
        sa.update(UserSession).where(UserSession.user_id == user_id).values(**values)
    )
    db.session.commit()


def parse_set_cookies(response) -> dict[str, dict[str, str | bool]]:
    return parse_set_cookie_headers(response.headers.getlist("Set-Cookie"))


def parse_set_cookie_headers(headers: list[str]) -> dict[str, dict[str, str | bool]]:
    """Name -> attributes (lower-case keys; flags map to True) for every Set-Cookie header."""
    result = {}
    for header in headers:
        first, *attributes = [part.strip() for part in header.split(";")]
        name, _, value = first.partition("=")
        attrs: dict[str, str | bool] = {"value": value}
        for attribute in attributes:
            key, sep, val = attribute.partition("=")
            attrs[key.lower()] = val if sep else True
        result[name] = attrs
    return result


# ---------------------------------------------------------------------------------------------
def test_login_rotates_the_session(db, client):
    """ASVS 7.2.4: nothing planted in the pre-login session survives; the cookie changes."""
    user = quick_user()
    db.session.commit()
    client.get("/auth/login")
    with client.session_transaction() as sess:
        sess["planted"] = "attacker-chosen"
        sess["_user_id"] = "forged-token"
    before = cookie_value(client, SESSION)
    assert before

    sign_in(client, user.email)

    after = cookie_value(client, SESSION)
    assert after
    assert after != before
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"] != "forged-token"
    assert signed_in(client)


def test_each_login_gets_its_own_token(db, make_client):
    user = quick_user()
    db.session.commit()
    first, second = make_client(), make_client()
    sign_in(first, user.email)
    sign_in(second, user.email)
    rows = session_rows(user.id)
    assert len(rows) == 2
    assert rows[0].token_hash != rows[1].token_hash
    with first.session_transaction() as a, second.session_transaction() as b:
        assert a["_user_id"] != b["_user_id"]
        # Only the hash is stored: the raw token in the cookie is not in the table.
        assert a["_user_id"] not in {r.token_hash for r in rows}


def test_logout_ends_the_session_even_when_the_cookie_is_replayed(db, client, make_client):
    """ASVS 7.4.1: the old cookie, kept by an attacker, no longer signs anyone in."""
    user = quick_user()
    db.session.commit()
    sign_in(client, user.email)
    stolen = cookie_value(client, SESSION)
    assert signed_in(replay(make_client, session=stolen))

    assert client.post("/auth/logout").status_code == 302

    assert not signed_in(client)
    assert not signed_in(replay(make_client, session=stolen))
    assert all(row.revoked_at is not None for row in session_rows(user.id))


def test_password_change_ends_other_sessions_and_keeps_this_one(db, make_client):
    """ASVS 7.4.3: after a password change, other devices are signed out; this one stays."""
    user = quick_user()
    db.session.commit()
    here, elsewhere = make_client(), make_client()
    sign_in(here, user.email)
    sign_in(elsewhere, user.email, remember=True)

    response = here.post(
        "/auth/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302

    assert signed_in(here)
    assert not signed_in(elsewhere)
    rows = session_rows(user.id)
    assert [row.revoked_at is None for row in rows] == [True, False]


def test_password_change_operation_ends_other_sessions_and_keeps_this_one(db, make_client):
    """The rule itself, through operations.change_password with a real User (the view's bug is
    only the proxy it passes; see the xfailed test above)."""
    from marketplace.auth import operations

    user = quick_user()
    db.session.commit()
    here, elsewhere = make_client(), make_client()
    sign_in(here, user.email)
    sign_in(elsewhere, user.email, remember=True)
    this_session, other_session = session_rows(user.id)
    user.current_session = this_session
    operations.change_password(user, PASSWORD, NEW_PASSWORD)
    db.session.commit()

    assert signed_in(here)
    assert not signed_in(elsewhere)
    assert [row.revoked_at is None for row in session_rows(user.id)] == [True, False]
    assert other_session.id != this_session.id


def test_revoke_other_sessions_button(db, make_client):
    user = quick_user()
    db.session.commit()
    here, elsewhere = make_client(), make_client()
    sign_in(here, user.email)
    sign_in(elsewhere, user.email)
    assert here.post("/auth/sessions/revoke-others").status_code == 302
    assert signed_in(here)
    assert not signed_in(elsewhere)


def test_admin_deactivation_ends_every_session(db, make_client):
    """ASVS 7.4.2: a disabled account is signed out everywhere at once and cannot sign in."""
    user = quick_user()
    admin = quick_user(role=SiteRole.ADMIN)
    db.session.commit()
    browser, phone, admin_client = make_client(), make_client(), make_client()
    sign_in(browser, user.email)
    sign_in(phone, user.email, remember=True)
    remember_cookie = cookie_value(phone, REMEMBER)
    sign_in(admin_client, admin.email)

    response = admin_client.post(f"/office/users/{user.id}/deactivate", data={"reason": "测试"})
    assert response.status_code == 302

    assert not signed_in(browser)
    assert not signed_in(phone)
    assert not signed_in(replay(make_client, remember_token=remember_cookie))
    assert all(row.revoked_at is not None for row in session_rows(user.id))
    sign_in(make_client(), user.email, expect=200)  # the form again, no new session
    assert len(session_rows(user.id)) == 2


def test_password_reset_ends_every_session(db, make_client, outbox):
    """A reset (the owner lost control of the password) signs out every device."""
    user = quick_user()
    db.session.commit()
    laptop, phone = make_client(), make_client()
    sign_in(laptop, user.email)
    sign_in(phone, user.email, remember=True)
    remember_cookie = cookie_value(phone, REMEMBER)

    assert make_client().post("/auth/reset", data={"email": user.email}).status_code == 302
    [message] = [m for m in outbox() if m.recipient == user.email]
    token = re.search(r"/auth/reset/([A-Za-z0-9_.\-]+)", message.body).group(1)
    response = make_client().post(
        f"/auth/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302

    assert not signed_in(laptop)
    assert not signed_in(phone)
    assert not signed_in(replay(make_client, remember_token=remember_cookie))
    # The link works once.
    again = make_client().post(
        f"/auth/reset/{token}", data={"password": PASSWORD + "x", "confirm": PASSWORD + "x"}
    )
    assert again.status_code == 400
    sign_in(make_client(), user.email, NEW_PASSWORD)


@pytest.mark.parametrize(
    ("remember", "idle_key"), [(False, "SESSION_IDLE_TIMEOUT"), (True, "REMEMBER_IDLE_TIMEOUT")]
)
def test_idle_timeout_requires_a_new_login(app, db, make_client, remember, idle_key):
    """ASVS 7.3.1: a session unused for longer than the idle limit is over."""
    user = quick_user()
    db.session.commit()
    client = make_client()
    sign_in(client, user.email, remember=remember)
    idle = app.config[idle_key]

    set_session_times(user.id, last_seen_at=utcnow() - idle + timedelta(minutes=5))
    assert signed_in(client)
    [row] = session_rows(user.id)
    assert utcnow() - row.last_seen_at < timedelta(minutes=1), "activity extends the session"

    set_session_times(user.id, last_seen_at=utcnow() - idle - timedelta(minutes=1))
    assert not signed_in(client)
    if remember:
        assert not signed_in(replay(make_client, remember_token=cookie_value(client, REMEMBER)))


@pytest.mark.parametrize(
    ("remember", "absolute_key"),
    [(False, "SESSION_ABSOLUTE_TIMEOUT"), (True, "REMEMBER_ABSOLUTE_TIMEOUT")],
)
def test_absolute_timeout_requires_a_new_login(app, db, make_client, remember, absolute_key):
    """ASVS 7.3.2: however active, a session ends at the absolute limit."""
    user = quick_user()
    db.session.commit()
    client = make_client()
    sign_in(client, user.email, remember=remember)
    absolute = app.config[absolute_key]

    set_session_times(user.id, created_at=utcnow() - absolute + timedelta(minutes=5))
    assert signed_in(client)
    set_session_times(
        user.id, created_at=utcnow() - absolute - timedelta(minutes=1), last_seen_at=utcnow()
    )
    assert not signed_in(client)


def test_session_limits_are_ordered(app):
    config = app.config
    assert config["SESSION_IDLE_TIMEOUT"] <= config["SESSION_ABSOLUTE_TIMEOUT"]
    assert config["REMEMBER_IDLE_TIMEOUT"] <= config["REMEMBER_ABSOLUTE_TIMEOUT"]
    assert config["REMEMBER_ABSOLUTE_TIMEOUT"] <= config["REMEMBER_COOKIE_DURATION"]


def test_remember_me_restores_the_session_but_not_after_logout(db, client, make_client):
    user = quick_user()
    db.session.commit()
    sign_in(client, user.email, remember=True)
    remember_cookie = cookie_value(client, REMEMBER)
    assert remember_cookie

    # The browser closed (session cookie gone); the remember cookie signs it back in.
    assert signed_in(replay(make_client, remember_token=remember_cookie))

    client.post("/auth/logout")
    assert not signed_in(replay(make_client, remember_token=remember_cookie))


def test_without_remember_me_there_is_no_remember_cookie(db, client):
    user = quick_user()
    db.session.commit()
    response = sign_in(client, user.email)
    assert REMEMBER not in parse_set_cookies(response)
    assert cookie_value(client, REMEMBER) is None


def test_session_and_remember_cookies_are_httponly_and_samesite_lax(db, client):
    """ASVS 3.3.2/3.3.4 (CTFd test_sessions_set_httponly / _samesite)."""
    user = quick_user()
    db.session.commit()
    response = sign_in(client, user.email, remember=True)
    cookies = parse_set_cookies(response)
    assert {SESSION, REMEMBER} <= set(cookies)
    for name in (SESSION, REMEMBER):
        assert cookies[name].get("httponly") is True, name
        assert str(cookies[name].get("samesite", "")).lower() == "lax", name
    # Every cookie the app sets later in the visit carries the same attributes (cookies being
    # deleted, with an empty value, carry nothing to protect).
    for response in (
        client.get("/"),
        client.post("/language", data={"lang": "en"}),
        client.post("/auth/logout"),
    ):
        for name, attrs in parse_set_cookies(response).items():
            if attrs["value"] in ("", '""'):
                continue
            assert attrs.get("httponly") is True, name
            assert str(attrs.get("samesite", "")).lower() == "lax", name


PRODUCTION_PROBE = textwrap.dedent("""
    import json, re, sys
    from werkzeug.security import generate_password_hash
    from marketplace import create_app
    from marketplace import config as config_module
    from marketplace.auth.models import User
    from marketplace.extensions import db

    C = config_module.Config
    values = {k: getattr(C, k) for k in (
        "APP_ENV", "SESSION_COOKIE_SECURE", "SESSION_COOKIE_NAME", "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE", "REMEMBER_COOKIE_SECURE", "REMEMBER_COOKIE_NAME",
        "REMEMBER_COOKIE_HTTPONLY", "REMEMBER_COOKIE_SAMESITE", "WTF_CSRF_ENABLED",
        "RATELIMIT_ENABLED", "DEBUG", "TESTING")}
    app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1]})
    values["app_secret_key_from_env"] = app.config["SECRET_KEY"] == "probe-secret-key-for-tests"
    with app.app_context():
        db.create_all()
        db.session.add(User(email="prod@example.cn", display_name="prod",
                            password_hash=generate_password_hash("pw-for-probe", method="pbkdf2:sha256:1")))
        db.session.commit()
    client = app.test_client()
    page = client.get("/auth/login", base_url="https://localhost").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/auth/login", base_url="https://localhost",
                           headers={"Referer": "https://localhost/auth/login"},
                           data={"email": "prod@example.cn", "password": "pw-for-probe",
                                 "remember": "y", "csrf_token": token})
    values["login_status"] = response.status_code
    values["set_cookie"] = response.headers.getlist("Set-Cookie")
    print("PROBE" + json.dumps(values))
""")


def test_production_cookies_are_secure_and_host_prefixed(tmp_path):
    """ASVS 3.3.1/3.3.3: with APP_ENV=production, cookies are Secure with the __Host- prefix."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "FLASK_ENV")}
    env.update(
        APP_ENV="production",
        SECRET_KEY="probe-secret-key-for-tests",
        INSTANCE_PATH=str(tmp_path / "instance"),
        PYTHONPATH=str(PROJECT_ROOT),
    )
    result = subprocess.run(
        [sys.executable, "-c", PRODUCTION_PROBE, f"sqlite:///{tmp_path / 'prod.sqlite'}"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    line = next(x for x in result.stdout.splitlines() if x.startswith("PROBE"))
    values = json.loads(line[len("PROBE") :])

    assert values["APP_ENV"] == "production"
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["REMEMBER_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["REMEMBER_COOKIE_NAME"].startswith("__Host-")
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["REMEMBER_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert values["WTF_CSRF_ENABLED"] is True
    assert values["RATELIMIT_ENABLED"] is True
    assert values["DEBUG"] is False
    assert values["TESTING"] is False
    assert values["app_secret_key_from_env"] is True

    # The cookies a real HTTPS login sets: __Host- requires Secure, Path=/ and no Domain.
    assert values["login_status"] == 302

    cookies = parse_set_cookie_headers(values["set_cookie"])
    names = {values["SESSION_COOKIE_NAME"], values["REMEMBER_COOKIE_NAME"]}
    assert names <= set(cookies), cookies
    for name in names:
        attrs = cookies[name]
        assert attrs.get("secure") is True, name
        assert attrs.get("httponly") is True, name
        assert str(attrs.get("samesite")).lower() == "lax", name
        assert attrs.get("path") == "/", name
        assert "domain" not in attrs, name


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    env.update(
        APP_ENV="production", INSTANCE_PATH=str(tmp_path / "instance"), PYTHONPATH=str(PROJECT_ROOT)
    )
    probe = (
        "from marketplace import create_app\n"
        f"create_app({{'SQLALCHEMY_DATABASE_URI': 'sqlite:///{tmp_path / 'x.sqlite'}'}})\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
