"""Sizes and figures of the hostile-input tests (tests/hostile, tests/fuzz).

Small in the normal suite, large with ``FUZZ_HARD=1`` (``make check-hard``). The seed is fixed
(``FUZZ_SEED``, default 20261201) and printed with every figure, so a failure replays with the
same command."""

from __future__ import annotations

import itertools
import os
import random

HARD = os.environ.get("FUZZ_HARD", "") not in ("", "0")
SEED = int(os.environ.get("FUZZ_SEED", "20261201"))


def figure(request, line: str) -> None:
    """Print the one-line figure and repeat it in the end-of-run summary."""
    from tests.marketplace.bookings.concurrency import report

    report(request, request.node.nodeid, line)


_examples = itertools.count()


def distinct_global_random() -> None:
    """Reseed the ``random`` module for this example, differently from every other example.

    Hypothesis resets ``random`` to the same state before each example, so code that draws from
    it repeats itself from one example to the next: Whoosh names each new segment with
    ``random``, and the second example's segment collided with the first's files (the index
    update failed, logged thousands of times in the long form fuzz). Deterministic still: the
    seed and the example's number."""
    random.seed(f"{SEED}:{next(_examples)}")
