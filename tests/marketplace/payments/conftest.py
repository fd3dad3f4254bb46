"""Payment tests read messages in English (the Chinese catalogue is checked elsewhere). The fake
Stripe server (tests/fakes/stripe_server.py) runs once per session on 127.0.0.1."""

from __future__ import annotations

import time

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

    started = time.perf_counter()
    yield
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    if lines:
        # the scripted P-tests draw nothing at random: say so, with their time (RELIABILITY §6)
        if not any("seed" in line for line in lines):
            lines[-1] += (f" [seed none (scripted cases), elapsed "
                          f"{time.perf_counter() - started:.1f}s]")
        report(request, request.node.nodeid, "\n".join(lines))

