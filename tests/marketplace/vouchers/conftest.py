"""Operations here are read in English: their messages are asserted on (the Chinese catalogue is
checked by tests/test_translations.py)."""

from __future__ import annotations

import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def english(db):
    with force_locale("en"):
        yield
