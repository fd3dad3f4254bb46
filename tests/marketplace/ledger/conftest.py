"""Fixtures and helpers for the ledger tests (RELIABILITY.md §1.8); each test file reports one
figure, printed at the end of the run."""

from __future__ import annotations

import pytest

from tests.marketplace.ledger.helpers import Chart

# figure name -> one-line summary, filled by the tests, printed by pytest_terminal_summary
FIGURES: dict[str, str] = {}


@pytest.fixture
def figures():
    return FIGURES


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if FIGURES:
        terminalreporter.write_sep("-", "ledger figures")
        for name in sorted(FIGURES):
            terminalreporter.write_line(FIGURES[name])


@pytest.fixture
def session(db):
    return db.session


@pytest.fixture
def chart(session) -> Chart:
    chart = Chart(session)
    session.commit()
    return chart
