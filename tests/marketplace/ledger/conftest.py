"""Fixtures and helpers for the ledger tests (RELIABILITY.md §1.8); each test file reports one
figure, printed at the end of the run."""

from __future__ import annotations

import pytest

from tests.figures import store
from tests.marketplace.ledger.helpers import Chart

# figure name -> one-line summary, filled by the tests, printed at the end of the run
FIGURES: dict[str, str] = store("ledger")


@pytest.fixture
def figures():
    return FIGURES


@pytest.fixture
def session(db):
    return db.session


@pytest.fixture
def chart(session) -> Chart:
    chart = Chart(session)
    session.commit()
    return chart
