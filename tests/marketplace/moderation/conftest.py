"""Operations are read in English here (their messages are asserted on); one PBKDF2 round."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from werkzeug.security import generate_password_hash


@pytest.fixture(autouse=True)
def english(db):
    with force_locale("en"):
        yield


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch):
    monkeypatch.setattr("marketplace.auth.models.generate_password_hash",
                        lambda password, method=None: generate_password_hash(password, "pbkdf2:sha256:1"))
