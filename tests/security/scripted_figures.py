"""Figure lines for the scripted security rows (RELIABILITY.md §6: S2 sessions, S4 rate limits,
S6 headers). Their tests are fixed scenarios with no counter of their own, so the figure is the
count of failed checks (each a session surviving, a limit not answering 429, a header missing)
out of the tests run, with their time. A module opts in with

    _figure = scripted_figure("S2", "S2 sessions (...): sessions surviving or flags missing")

The counters go to the security figures; tests/figures.py adds up those of every xdist worker
and renders the line."""

from __future__ import annotations

import time

import pytest


def scripted_figure(row: str, text: str):
    @pytest.fixture(autouse=True)
    def _scripted_figure(request, figures):
        started = time.perf_counter()
        failed_before = request.session.testsfailed
        yield
        # the call phase has been reported by now: a failure is already in testsfailed
        counts = figures[f"{row} scripted"]
        counts["tests"] += 1
        counts["failed"] += request.session.testsfailed - failed_before
        counts["ms"] += int((time.perf_counter() - started) * 1000)
        counts["text"] = text  # tests/figures.py renders the line from the (summed) counters

    return _scripted_figure


def timed_figure(name: str):
    """An autouse fixture adding each test's time to the ``ms`` counter of the figure ``name``
    (S1, S3, S5, S7 count their cases themselves; tests/figures.py prints the summed time)."""

    @pytest.fixture(autouse=True)
    def _timed_figure(figures):
        started = time.perf_counter()
        yield
        figures[name]["ms"] += int((time.perf_counter() - started) * 1000)

    return _timed_figure
