"""Operations here are read in English: their messages are asserted on (the Chinese catalogue is
checked by tests/test_translations.py). The hook registry is restored after every test, so a
test's own money-raised or close hook never leaks into the next one."""

from __future__ import annotations

import pytest
from flask_babel import force_locale

from marketplace.campaigns import operations


@pytest.fixture(autouse=True)
def english(db):
    with force_locale("en"):
        yield


@pytest.fixture(autouse=True)
def hooks():
    saved = (list(operations._close_handlers), list(operations._money_raised),
             list(operations._backers))
    yield operations
    operations._close_handlers[:], operations._money_raised[:], operations._backers[:] = saved
