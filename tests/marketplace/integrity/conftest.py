"""Integrity tests read operations in English (their messages are asserted on)."""

from __future__ import annotations

import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def english(db):
    with force_locale("en"):
        yield
