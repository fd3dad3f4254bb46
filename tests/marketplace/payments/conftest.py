"""Payment tests read messages in English (the Chinese catalogue is checked elsewhere). The fake
Stripe server (tests/fakes/stripe_server.py) runs once per session on 127.0.0.1."""

from __future__ import annotations

import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def english(db):
    with force_locale("en"):
        yield


@pytest.fixture(autouse=True)
def _figures_in_the_summary(request, capsys):
    """What a payment test prints (its P1–P3 and other figures) also goes to the end-of-run
    summary, beside the booking and campaign figures."""
    from tests.marketplace.bookings.concurrency import report

    yield
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    if lines:
        report(request, request.node.nodeid, "\n".join(lines))


WEBHOOK_SECRET = "whsec_test_0123456789abcdef"
_KEYS = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE")


@pytest.fixture(scope="session")
def fake_stripe_server():
    from tests.fakes.stripe_server import FakeStripe

    fake = FakeStripe()
    yield fake
    fake.close()


@pytest.fixture
def stripe_fake(app, db, fake_stripe_server):
    """Stripe configured against the fake server (fresh state), for one test."""
    fake_stripe_server.reset()
    saved = {key: app.config.get(key) for key in _KEYS}
    app.config.update(STRIPE_SECRET_KEY="sk_test_fake", STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
                      STRIPE_API_BASE=fake_stripe_server.url)
    yield fake_stripe_server
    app.config.update(saved)
