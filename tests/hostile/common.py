"""Sizes and figures of the hostile-input tests (tests/hostile, tests/fuzz).

Small in the normal suite, large with ``FUZZ_HARD=1`` (``make check-hard``). The seed is fixed
(``FUZZ_SEED``, default 20261201) and printed with every figure, so a failure replays with the
same command."""

from __future__ import annotations

import os

HARD = os.environ.get("FUZZ_HARD", "") not in ("", "0")
SEED = int(os.environ.get("FUZZ_SEED", "20261201"))


def figure(request, line: str) -> None:
    """Print the one-line figure and repeat it in the end-of-run summary."""
    from tests.marketplace.bookings.concurrency import report

    report(request, request.node.nodeid, line)
