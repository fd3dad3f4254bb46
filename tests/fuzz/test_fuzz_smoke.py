"""F2 smoke run in the normal suite: every atheris target for a few seconds, in one process
(``python -m tests.fuzz all --seconds 5``); ``python -m tests.fuzz`` (60 s per target) is the
hard run of ``make check-hard``."""

from __future__ import annotations

import os

from tests.fuzz.__main__ import TARGETS, run_target
from tests.hostile.common import SEED, figure

SECONDS = int(os.environ.get("FUZZ_SMOKE_SECONDS", "5"))


def test_targets_listed_for_the_runner():
    from tests.fuzz import targets

    assert set(TARGETS) | {"all"} == set(targets.TARGETS)


def test_atheris_smoke_run_finds_no_crash(request):
    outcome = run_target("all", SECONDS, SEED)
    figure(request, outcome.line())
    assert outcome.runs > 0, outcome.line()
    assert not outcome.crashes, outcome.detail
