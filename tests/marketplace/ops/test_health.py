"""/healthz and /readyz: no login, no session cookie, 503 with the failing check named."""

from __future__ import annotations

import pytest


def test_healthz_answers_ok_without_a_session_cookie(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers


def test_readyz_reports_each_check_ok(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == {"ok": True, "message": "ok"}
    assert body["checks"]["search"] == {"ok": True, "message": "ok"}
    assert "jobs" not in body["checks"]  # no REDIS_URL: no queue to check
    assert "Set-Cookie" not in response.headers


def test_readyz_is_503_and_names_the_search_index_when_it_is_unavailable(client, monkeypatch):
    import listings.indexing

    monkeypatch.setattr(listings.indexing, "health", lambda: "search index unavailable: Boom")
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["search"] == {"ok": False, "message": "search index unavailable: Boom"}
    assert checks["database"]["ok"] is True


@pytest.mark.parametrize(("url", "ok"), [("redis://127.0.0.1:6379/13", True),
                                         ("redis://127.0.0.1:1/13", False)])
def test_readyz_pings_redis_when_configured(app, client, url, ok):
    saved = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = url
    try:
        response = client.get("/readyz")
    finally:
        app.config["REDIS_URL"] = saved
    jobs = response.get_json()["checks"]["jobs"]
    assert jobs["ok"] is ok, jobs
    assert response.status_code == (200 if ok else 503)
    if not ok:
        assert "Redis" in jobs["message"]


def test_readyz_is_503_when_the_database_is_unreachable(instance_path):
    from tests.marketplace.ops.helpers import app_on

    app = app_on("postgresql+psycopg://127.0.0.1:1/nowhere?connect_timeout=2")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["database"]["ok"] is False
    assert checks["database"]["message"].startswith("database unavailable: OperationalError")
