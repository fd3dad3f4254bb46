"""Payment tests read messages in English (the Chinese catalogue is checked elsewhere). The fake
Stripe server (tests/fakes/stripe_server.py) runs once per session on 127.0.0.1."""

from __future__ import annotations

import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def english(db):
    with force_locale("en"):
        yield
