"""The database goes away: pages answer a bilingual 503 page, the API a JSON 503, both with
Retry-After; when the database comes back the app serves again by itself (no restart)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.marketplace.ops.helpers import app_on

DEAD_SERVER = "postgresql+psycopg://127.0.0.1:1/nowhere?connect_timeout=2"


@pytest.fixture
def failing_connections(app, db):
    """Every new connection of the app's engine fails while ``state["down"]`` is true (the pool
    is emptied first, so requests really connect)."""
    state = {"down": True, "attempts": 0}
    engine = db.engine
    dbapi = engine.dialect.loaded_dbapi

    def refuse(dialect, conn_rec, cargs, cparams):
        if state["down"]:
            state["attempts"] += 1
            raise dbapi.OperationalError("connection refused (test: database down)")
        return None

    db.session.remove()
    engine.dispose()
    sa.event.listen(engine, "do_connect", refuse)
    yield state
    sa.event.remove(engine, "do_connect", refuse)
    engine.dispose()


def test_a_page_is_a_bilingual_503_page_with_retry_after(failing_connections, client):
    response = client.get("/listings/1")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "请稍后再试" in page and "please try again shortly" in page
    assert failing_connections["attempts"] >= 1


def test_the_api_answers_json_503(failing_connections, client):
    response = client.get("/api/v1/open/summary")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    error = response.get_json()["error"]
    assert error["code"] == "unavailable" and error["status"] == 503
    assert "database" in error["message"]


def test_a_json_client_gets_json_503_on_a_page(failing_connections, client):
    response = client.get("/listings/1", headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"


def test_the_app_recovers_when_the_database_returns(failing_connections, client):
    assert client.get("/readyz").status_code == 503
    assert client.get("/api/v1/open/summary").status_code == 503
    failing_connections["down"] = False
    assert client.get("/readyz").status_code == 200
    assert client.get("/api/v1/open/summary").status_code == 200
    assert client.get("/").status_code == 200


def test_a_dead_server_is_503_not_500(instance_path):
    app = app_on(DEAD_SERVER)
    client = app.test_client()
    page = client.get("/")
    assert page.status_code == 503, page.get_data(as_text=True)[:300]
    api = client.get("/api/v1/open/summary")
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "unavailable"
