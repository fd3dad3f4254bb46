"""S4: brute-force controls (ASVS 5.0 V6.1.1, V6.3.1; CTFd test_ratelimit_on_auth, Redash).

Limits are read from app.config (LOGIN_LIMIT_PER_ACCOUNT, LOGIN_LIMIT_PER_IP,
SENSITIVE_LIMIT_PER_IP); within one test only the smallest amount of each setting can bite.
Distinct REMOTE_ADDRs keep the per-IP and per-account limits apart.

The suite's app is built with RATELIMIT_ENABLED=False, and Flask-Limiter's ``init_app`` then returns
before creating its storage and before registering its request hooks: the ``rate_limits`` fixture
alone raises in ``limiter.reset()``, and limits with ``deduct_when`` (the per-account login limit)
would never be counted, because that happens in the after-request hook. So these tests run against
a second app built by ``create_app`` with rate limiting on (the production wiring), on the same
database, and use ``rate_limits`` for what it does well: clean counters and switching off after.
"""

from __future__ import annotations

import pytest
from limits import parse_many
from werkzeug.exceptions import HTTPException, TooManyRequests

from marketplace import create_app
from marketplace.config import TestConfig
from marketplace.extensions import db as _db
from marketplace.extensions import limiter
from tests.security.conftest import IsolatedClient
from tests.security.helpers import PASSWORD, error_page_message, quick_user
from tests.security.scripted_figures import scripted_figure

_figure = scripted_figure(
    "S4", "S4 rate limits (failed logins per account and per address, sensitive posts, Retry-After): limits not answering 429")


@pytest.fixture(scope="module")
def limited_app(app):
    config = {key: getattr(TestConfig, key) for key in dir(TestConfig) if key.isupper()}
    config.update(
        {
            key: app.config[key]
            for key in ("SQLALCHEMY_DATABASE_URI", "SEARCH_INDEX_DIR", "MODEL_DIR")
        }
    )
    config.update(SERVER_NAME=None, RATELIMIT_ENABLED=True)
    # create_app() initialises the shared ``limiter`` for this app; put the extension back as it
    # was afterwards, so that tests elsewhere behave the same whether or not these ran first.
    saved = dict(vars(limiter))
    limited = create_app(config)
    assert limited.extensions["limiter"] == {limiter}
    yield limited
    with limited.app_context():
        _db.engine.dispose()
    vars(limiter).clear()
    vars(limiter).update(saved)


@pytest.fixture
def make_client(limited_app, rate_limits, db):
    """Clients of the rate-limited app (overrides tests/security/conftest.make_client)."""

    def factory(environ: dict | None = None) -> IsolatedClient:
        return IsolatedClient.make(limited_app, environ)

    assert limiter.enabled
    return factory


def smallest_amount(app, key: str) -> int:
    amounts = [item.amount for item in parse_many(app.config[key])]
    assert amounts, key
    return min(amounts)


def from_ip(make_client, n: int):
    return make_client({"REMOTE_ADDR": f"10.20.{n // 250}.{n % 250 + 1}"})


def wrong_login(client, email: str):
    return client.post("/auth/login", data={"email": email, "password": "not the password"})


def rate_limit_message(app) -> str:
    """What the app's own error handler says for 429 (in the default language)."""
    handler = app.error_handler_spec[None][None][HTTPException]
    with app.test_request_context("/auth/login", method="POST"):
        body, status = handler(TooManyRequests())
    assert status == 429
    return error_page_message(body)


def assert_rate_limit_page(app, response) -> None:
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    message = error_page_message(response.get_data(as_text=True))
    assert message
    assert message == rate_limit_message(app)
    assert "Traceback" not in response.get_data(as_text=True)


def test_failed_logins_for_one_account_are_limited(limited_app, db, make_client):
    """N failures for one e-mail (from N different addresses) pass; the next is 429."""
    limit = smallest_amount(limited_app, "LOGIN_LIMIT_PER_ACCOUNT")
    victim, bystander = quick_user(), quick_user()
    db.session.commit()
    for n in range(limit):
        assert wrong_login(from_ip(make_client, n), victim.email).status_code == 200, n
    blocked = wrong_login(from_ip(make_client, limit), victim.email.upper())
    assert_rate_limit_page(limited_app, blocked)
    # The lock concerns that account only: another account from the same address still works.
    client = from_ip(make_client, limit)
    assert (
        client.post(
            "/auth/login", data={"email": bystander.email, "password": PASSWORD}
        ).status_code
        == 302
    )


def test_failed_logins_from_one_address_are_limited(limited_app, db, make_client):
    """Many e-mails from one address: the per-IP limit applies across accounts."""
    limit = smallest_amount(limited_app, "LOGIN_LIMIT_PER_IP")
    users = [quick_user() for _ in range(limit + 1)]
    db.session.commit()
    attacker = from_ip(make_client, 7)
    for user in users[:limit]:
        assert wrong_login(attacker, user.email).status_code == 200
    assert_rate_limit_page(limited_app, wrong_login(attacker, users[limit].email))
    # Another address is not affected.
    assert wrong_login(from_ip(make_client, 8), users[limit].email).status_code == 200


def test_successful_login_does_not_count_against_the_account(limited_app, db, make_client):
    limit = smallest_amount(limited_app, "LOGIN_LIMIT_PER_ACCOUNT")
    user = quick_user()
    db.session.commit()
    for n in range(limit - 1):
        assert wrong_login(from_ip(make_client, n), user.email).status_code == 200
    ok = from_ip(make_client, 100).post(
        "/auth/login", data={"email": user.email, "password": PASSWORD}
    )
    assert ok.status_code == 302
    # If the success had counted, this would be over the limit.
    assert wrong_login(from_ip(make_client, 101), user.email).status_code == 200
    assert wrong_login(from_ip(make_client, 102), user.email).status_code == 429


@pytest.mark.parametrize(
    ("url", "data", "allowed_status"),
    [
        ("/auth/reset", {"email": "someone@example.cn"}, 302),
        (
            "/auth/register",
            {
                "email": "new@example.cn",
                "display_name": "新",
                "password": "a-b-c-d-e-f",
                "confirm": "different",
            },
            200,
        ),
        ("/auth/reset/not-a-valid-token", {"password": "x", "confirm": "x"}, 400),
    ],
    ids=["reset", "register", "reset-token"],
)
def test_sensitive_posts_are_limited_per_address(
    limited_app, db, make_client, url, data, allowed_status
):
    limit = smallest_amount(limited_app, "SENSITIVE_LIMIT_PER_IP")
    client = from_ip(make_client, 3)
    for _ in range(limit):
        assert client.post(url, data=data).status_code == allowed_status
    assert_rate_limit_page(limited_app, client.post(url, data=data))
    assert from_ip(make_client, 4).post(url, data=data).status_code == allowed_status
    # Reading the form is never limited.
    assert client.get(url).status_code in (200, 400)


def test_rate_limited_response_says_when_to_retry(limited_app, db, make_client):
    limit = smallest_amount(limited_app, "SENSITIVE_LIMIT_PER_IP")
    client = from_ip(make_client, 5)
    for _ in range(limit):
        client.post("/auth/reset", data={"email": "x@example.cn"})
    response = client.post("/auth/reset", data={"email": "x@example.cn"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
