"""S3: CSRF defence on every state-changing route (ASVS 5.0 V3.5.1, V3.5.3).

Each POST route in the url_map is posted without a token by a signed-in persona that the
authorization matrix (test_authz_matrix.ROWS) says may use it; the answer must be the CSRF error
(400) and the database must not change. With a token scraped from a page, sign-in, sign-out and the
language switch work.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_wtf.csrf import CSRFError

from marketplace.auth.models import UserSession
from marketplace.extensions import csrf
from tests.security.helpers import (
    csrf_token_from,
    diff_tables,
    error_page_message,
    quick_user,
    redirects_to_login,
    sign_in,
    snapshot,
)
from tests.security.test_authz_matrix import ROWS, Row
from tests.security.scripted_figures import timed_figure


# Stripe's webhook: signed by Stripe, never posted from our pages (tests/marketplace/payments)
EXEMPT = {"payments.stripe_webhook": "marketplace.payments.views.stripe_webhook"}


def _sample_arguments(rule) -> dict:
    """A value for each URL argument: 1, or the first choice of an ``any(...)`` converter."""
    values = {}
    for arg in rule.arguments:
        items = getattr(rule._converters.get(arg), "items", None)
        values[arg] = sorted(items)[0] if items else 1
    return values


def post_routes(app) -> list[str]:
    return sorted(
        {
            rule.endpoint
            for rule in app.url_map.iter_rules()
            if "POST" in rule.methods and rule.endpoint != "static"
            and rule.endpoint not in EXEMPT
        }
    )


def allowed_cell(endpoint: str) -> tuple[Row, str]:
    """A matrix row for this POST endpoint and a persona allowed to use it (mutating if any)."""
    candidates = []
    for row in ROWS:
        if row.endpoint != endpoint or row.method != "POST":
            continue
        for persona, cell in row.cells().items():
            if cell.startswith("302"):
                candidates.append((cell != "302!", persona == "anonymous", row, persona))
    assert candidates, f"no persona may POST to {endpoint} in the matrix"
    _, _, row, persona = min(candidates, key=lambda c: (c[0], c[1]))
    return row, persona


def csrf_failure_message(app) -> str:
    """What the app's own CSRF error handler says (in the default language)."""
    handler = app.error_handler_spec[None][400][CSRFError]
    with app.test_request_context("/"):
        body, status = handler(CSRFError())
    assert status == 400
    message = error_page_message(body)
    assert message
    return message


def test_no_route_is_exempt_from_csrf(app):  # the app registers the exemptions
    """The only exemption is the Stripe webhook (its signature proves the sender)."""
    assert csrf._exempt_views == set(EXEMPT.values())
    assert csrf._exempt_blueprints == set()


def test_every_post_route_is_covered_by_the_matrix(app):
    for endpoint in post_routes(app):
        allowed_cell(endpoint)


@pytest.mark.usefixtures("csrf_enabled")
def test_post_without_token_is_refused_on_every_route(app, db, make_client, figures):
    """400 with the CSRF error page (or JSON), and nothing written, on every POST route."""
    from tests.security.test_authz_matrix import _LIVE, _signature

    expected_message = csrf_failure_message(app)
    refused, problems = 0, []
    routes = post_routes(app)
    cells = [(endpoint, *allowed_cell(endpoint)) for endpoint in routes]
    first: dict[tuple, int] = {}  # routes whose rows share a world, one after the other
    for _endpoint, row, _persona in cells:
        first.setdefault(_signature(row), len(first))
    cells.sort(key=lambda cell: first[_signature(cell[1])])
    try:
        for endpoint, row, persona in cells:
            refused += _post_without_token(row, persona, make_client, expected_message, problems)
    finally:
        _LIVE["signature"] = None  # the db fixture empties the tables
    figures["csrf"]["post_routes"] = len(routes)
    figures["csrf"]["refused"] = refused
    figures["csrf"]["exempt"] = len(csrf._exempt_views) + len(csrf._exempt_blueprints)
    assert not problems, "\n".join(problems)


def _post_without_token(row, persona, make_client, expected_message, problems) -> int:
    """Posts the row's form three ways without a valid token; 1 if all were refused cleanly.
    The world is the previous route's when it has the same signature and the database is
    exactly as that world was built (sign-ins undone), else restored or built afresh."""
    from tests.security.test_authz_matrix import _LIVE, _fresh_world, _signature, _world_as_built

    world = None
    if _LIVE["signature"] == _signature(row) and _world_as_built()[0] is not None:
        world = _LIVE["world"]
    if world is None:
        world = _fresh_world(row)
    client = make_client()
    if persona != "anonymous":
        sign_in(client, world.email(persona))
    url = row.url(world)

    def data(row=row, world=world, **extra):  # fresh each time: a request consumes files
        return {**(row.data(world) if row.data else {}), **extra}

    before = snapshot()
    page = client.post(url, data=data())
    as_json = client.post(url, data=data(), headers={"Accept": "application/json"})
    forged = make_client().get("/auth/login").get_data(as_text=True)
    wrong_session = client.post(url, data=data(csrf_token=csrf_token_from(forged)))

    changed = diff_tables(before, snapshot())
    where = f"POST {url} as {persona}"
    if (
        page.status_code != 400
        or error_page_message(page.get_data(as_text=True)) != expected_message
    ):
        problems.append(f"{where}: {page.status_code}, not the CSRF error page")
    elif (
        as_json.status_code != 400
        or (as_json.get_json() or {}).get("error", {}).get("code") != "csrf_failed"
    ):
        problems.append(f"{where} (JSON): {as_json.status_code} {as_json.data[:200]!r}")
    elif wrong_session.status_code != 400:
        problems.append(
            f"{where}: a token from another session gave {wrong_session.status_code}"
        )
    elif changed:
        problems.append(f"{where}: tables changed {changed}")
    else:
        return 1
    return 0


@pytest.mark.usefixtures("csrf_enabled")
def test_login_language_and_logout_work_with_a_scraped_token(db, client):
    user = quick_user()
    db.session.commit()

    # sign in: the token comes from the login form
    token = csrf_token_from(client.get("/auth/login").get_data(as_text=True))
    response = client.post(
        "/auth/login", data={"email": user.email, "password": "x", "csrf_token": token}
    )
    assert response.status_code == 200  # wrong password: the form again, not a CSRF error
    sign_in(client, user.email)  # scrapes a token itself (helpers.sign_in)
    assert client.get("/dashboard").status_code == 200

    # the language switch: the token comes from the navigation bar of any page
    page = client.get("/organizations/").get_data(as_text=True)
    response = client.post(
        "/language",
        data={"lang": "en", "next": "/organizations/", "csrf_token": csrf_token_from(page)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/organizations/"
    with client.session_transaction() as sess:
        assert sess["locale"] == "en"

    # sign out: the form in the navigation bar
    page = client.get("/dashboard").get_data(as_text=True)
    response = client.post("/auth/logout", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    assert redirects_to_login(client.get("/dashboard"))
    db.session.expire_all()
    [row] = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == user.id))
    assert row.revoked_at is not None


@pytest.mark.usefixtures("csrf_enabled")
def test_token_in_header_is_accepted(db, client):
    """Flask-WTF also reads X-CSRFToken (for scripts); the same token works there."""
    page = client.get("/").get_data(as_text=True)
    response = client.post(
        "/language", data={"lang": "en"}, headers={"X-CSRFToken": csrf_token_from(page)}
    )
    assert response.status_code == 302


def test_get_on_post_only_routes_is_405_with_allow(app, db, client):
    """ASVS 3.5.3: state changes are not reachable by GET; 405 says what is allowed."""
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or "GET" in rule.methods:
            continue
        url = rule.build(_sample_arguments(rule))[1]
        response = client.get(url)
        allow = {m.strip() for m in response.headers.get("Allow", "").split(",") if m.strip()}
        assert response.status_code == 405, url
        assert "POST" in allow, (url, allow)
        assert "GET" not in allow, (url, allow)
        checked += 1
    assert checked >= 5


def test_unsupported_methods_are_405_everywhere(app, db, client):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        url = rule.build(_sample_arguments(rule))[1]
        for method in ("PUT", "DELETE", "PATCH"):
            response = client.open(url, method=method)
            allow = {m.strip() for m in response.headers.get("Allow", "").split(",")}
            assert response.status_code == 405, (method, url)
            assert method not in allow, (method, url, allow)
            assert allow & {"GET", "POST"}, (method, url, allow)


_timed = timed_figure("csrf")  # elapsed time of this figure's tests
