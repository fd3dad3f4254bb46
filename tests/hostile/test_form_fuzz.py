"""Hostile values on every form route (RELIABILITY.md §4 "bad input → 4xx, never 500", §5.2).

Every POST rule of the app (the Stripe webhook excepted: its body is JSON under a signature, see
tests/marketplace/payments) is posted by a persona allowed to use it, in the world its
authorization-matrix row builds (tests/security/test_authz_matrix.py: the row whose cell for that
persona is an allowed action, ``302!``, and its valid form data). Hypothesis then mutates that
valid data: a field replaced by a huge string, control characters, NUL, RTL marks, emoji, a
negative or huge number, a malformed date, a file where a string is expected, a field missing,
duplicated or added. Every response must be below 500, and whatever a case wrote must still pass
``flask ledger verify`` (the ledger and business checks: no half-written records).

Sizes: 2 cases per route in the normal suite (derandomized; one world per world signature,
shared by its routes, verified once), 40 with FUZZ_HARD=1 (seeded; the world rebuilt and the
database verified after every case that wrote).
"""

from __future__ import annotations

import io
import os
import time
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import EnvironBuilder, stream_encode_multipart

from tests.conftest import BACKEND
from tests.hostile.common import HARD, SEED, distinct_global_random, figure
from tests.security.helpers import PERSONAS, clear_tables, diff_tables, mint_session, snapshot
from tests.security.test_authz_matrix import ROWS, Row

CASES_PER_ROUTE = 40 if HARD else 2
EXCLUDED = {"payments.stripe_webhook"}
ONLY = tuple(p for p in os.environ.get("FUZZ_ROUTES", "").split(",") if p)  # JSON under a Stripe signature, not a form

NASTY_TEXT = [
    "", " ", "\x00", "a\x00b", "\x00" * 50, "\r\n\t", "\x1b[31m", "\u202e\u202d反转", "\u200f\u200e",
    "\ufeff", "😀" * 50, "𠜎𠜱𠝹", "\ud7ff", "' OR 1=1 --", "<script>alert(1)</script>", "{{7*7}}",
    "%s%n", "../../etc/passwd", "C:\\\\con", "null", "None", "true", "[]", "{}",
]
NASTY_NUMBERS = [
    "-1", "-0", "0", "00000000001", "9" * 40, "-" + "9" * 40, "1e999999", "1e-999999", "NaN",
    "inf", "-inf", "0x10", "1_000", "１２３", "٣", "2147483648", "9223372036854775808", "1.005",
    "1,5", "¥-5", "12.345元",
]
NASTY_DATES = ["2026-13-45", "0000-00-00", "9999-12-31", "1900-01-01", "2026-02-30", "25:61",
               "24:00", "-1:00", "2026-01-01T00:00:00+99:00", "today", "２０２６-０１-０１"]


def _huge(draw) -> str:
    size = draw(st.sampled_from([1_000, 20_000, 200_000]))
    return draw(st.sampled_from(["长", "a", "\u202e", "😀", "<"])) * size


@st.composite
def hostile_value(draw):
    choice = draw(st.integers(0, 6))
    if choice == 0:
        return _huge(draw)
    if choice == 1:
        return draw(st.sampled_from(NASTY_TEXT))
    if choice == 2:
        return draw(st.sampled_from(NASTY_NUMBERS))
    if choice == 3:
        return draw(st.sampled_from(NASTY_DATES))
    if choice == 4:  # a file where a string is expected
        return ("file", draw(st.binary(max_size=64)), draw(st.sampled_from(
            ["x.png", "../../x.pdf", "", "\x00.txt", "a" * 300 + ".docx", "报告.pdf"])))
    if choice == 5:
        return draw(st.text(min_size=0, max_size=40))
    return str(draw(st.integers(-(2**70), 2**70)))


@st.composite
def mutation(draw, fields: list[str]):
    """A list of edits of the valid data: (op, field, value)."""
    edits = []
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["replace", "replace", "drop", "duplicate", "add"]))
        field = draw(st.sampled_from(fields)) if fields and op != "add" else draw(
            st.sampled_from(["id", "organization_id", "status", "amount_fen", "extra", "csrf_token",
                             "next", "return_to"]))
        edits.append((op, field, draw(hostile_value())))
    return edits


def _apply(valid: dict, edits) -> dict:
    data = {key: value for key, value in valid.items()}
    for op, field, value in edits:
        if isinstance(value, tuple):
            value = (io.BytesIO(value[1]), value[2])
        if op == "drop":
            data.pop(field, None)
        elif op == "duplicate":
            current = data.get(field, "")
            data[field] = [current, value] if not isinstance(current, list) else current + [value]
        else:
            data[field] = value
    return data


def _fresh(value):
    """Valid data may hold file objects (photo uploads): a new one for every request."""
    if isinstance(value, tuple) and value and isinstance(value[0], io.BytesIO):
        return (io.BytesIO(value[0].getvalue()), *value[1:])
    return value


def _post(client, url: str, data: dict):
    """Post ``data``; with a file in it, as multipart encoded in memory (the test builder spools
    a big multipart body to a temporary file nobody closes: a ResourceWarning, an error here)."""
    def file_of(value):
        return FileStorage(value[0], filename=value[1]) if isinstance(value, tuple) else value

    if not any(isinstance(v, tuple) or (isinstance(v, list) and any(isinstance(x, tuple)
                                                                     for x in v))
               for v in data.values()):
        return client.post(url, data=data)
    fields = MultiDict()
    for key, value in data.items():
        for item in value if isinstance(value, list) else [value]:
            fields.add(key, file_of(item))
    stream, _, boundary = stream_encode_multipart(fields, use_tempfile=False)
    builder = EnvironBuilder(path=url, method="POST", data=stream.getvalue(),
                             content_type=f"multipart/form-data; boundary={boundary}")
    try:
        return client.open(builder)
    finally:
        builder.close()


def _allowed_persona(row: Row) -> str | None:
    cells = row.cells()
    for wanted in ("302!", "200!", "302", "200", "400", "409"):
        for persona in PERSONAS:
            if cells[persona] == wanted:
                return persona
    return None


def _routes(app) -> list[tuple[Row, str]]:
    """One (row, persona) per POST endpoint: the row whose cell allows the action, if any."""
    post_endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                      if "POST" in rule.methods} - EXCLUDED
    chosen: dict[str, tuple[int, Row, str]] = {}
    for row in ROWS:
        if row.method != "POST" or row.endpoint not in post_endpoints:
            continue
        persona = _allowed_persona(row)
        if persona is None:
            continue
        rank = 0 if row.cells()[persona].endswith("!") else 1
        if row.endpoint not in chosen or rank < chosen[row.endpoint][0]:
            chosen[row.endpoint] = (rank, row, persona)
    missing = post_endpoints - set(chosen)
    assert not missing, f"POST routes without a matrix row to fuzz from: {sorted(missing)}"
    return [(row, persona) for _, row, persona in sorted(chosen.values(), key=lambda c: c[1].id)]


def _ledger_problem() -> str | None:
    from marketplace.checks import ALL_CHECKS
    from marketplace.extensions import db
    from marketplace.ledger.queries import verify_committed

    report = verify_committed(db.engine, ALL_CHECKS)
    return None if report.ok else report.verdict()


def _signature(row: Row):
    return (row.org_a_status.value, row.target_active, row.listing_status, row.step3,
            getattr(row.extra, "__qualname__", None), id(row.extra))


def _fuzz_route(row: Row, persona: str, make_client, state: dict, tally: Counter,
                problems: list) -> None:
    """Post CASES_PER_ROUTE mutations of the row's valid data. Hard runs rebuild the world
    after every case that wrote (each case starts from the row's state, and what it wrote is
    verified at once); the normal suite builds one world per world signature, shares it across
    the routes that need it (later routes may see what earlier ones did) and verifies the
    database once per world."""

    def prepare():
        tally["worlds"] += 1
        clear_tables()
        state.clear()
        state.update(signature=_signature(row), world=row.build_world(), dirty=False,
                     row_id=row.id)

    def sign_in():
        client = make_client()
        if persona != "anonymous":
            mint_session(client, state["world"].uid(persona))
        state.update(client=client, valid=row.data(state["world"]) if row.data else {})
        if HARD:
            state["before"] = snapshot()

    if state.get("signature") != _signature(row) or (HARD and state.get("dirty")):
        if state.get("signature") is not None and not HARD:
            _check_ledger(tally, problems, f"the world of {state['row_id']}")
        prepare()
    state["row_id"] = row.id
    sign_in()

    @hypothesis_seed(SEED)
    @settings(max_examples=CASES_PER_ROUTE, deadline=None, database=None,
              derandomize=not HARD, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(edits=mutation(sorted(state["valid"])))
    def case(edits):
        distinct_global_random()
        if HARD and state["dirty"]:
            prepare()
            sign_in()
        valid = {k: _fresh(v) for k, v in state["valid"].items()}
        data = _apply(valid, edits)
        url = row.url(state["world"])
        tally["cases"] += 1
        label = f"POST {url} as {persona} {edits!r:.300}"
        try:
            response = _post(state["client"], url, data)
            status = response.status_code
            response.get_data()
            response.close()
        except Exception as error:  # noqa: BLE001 - the test client re-raises app errors
            status = 500
            problems.append(f"{label}: raised {type(error).__name__}: {error!s:.200}")
        else:
            if status >= 500:
                problems.append(f"{label}: {status}")
        tally[f"{status // 100}xx"] += 1
        if HARD and diff_tables(state["before"], snapshot()):
            tally["writes"] += 1
            _check_ledger(tally, problems, label)
            state["dirty"] = True

    case()


def _check_ledger(tally: Counter, problems: list, label: str) -> None:
    tally["verifications"] += 1
    problem = _ledger_problem()
    if problem:
        tally["inconsistent"] += 1
        problems.append(f"{label}: the database no longer verifies: {problem}")


# Hard runs post files over 500 KB under field names the forms do not read; one route leaves the
# request's SpooledTemporaryFile to the garbage collector (a ResourceWarning: reported in the
# step-8 status as a gap to look into, not a 5xx or a database problem).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_hostile_values_on_every_form_route(app, db, make_client, request):
    started = time.perf_counter()
    routes = sorted(_routes(app), key=lambda route: (repr(_signature(route[0])), route[0].id))
    if ONLY:  # FUZZ_ROUTES=auth.,bookings. : endpoints starting with one of these (to replay)
        routes = [r for r in routes if r[0].endpoint.startswith(ONLY)]
    tally: Counter[str] = Counter()
    problems: list[str] = []
    state: dict = {}
    for row, persona in routes:
        _fuzz_route(row, persona, make_client, state, tally, problems)
    _check_ledger(tally, problems, f"the world of {state['row_id']}")
    elapsed = time.perf_counter() - started
    figure(request, f"form fuzz ({BACKEND}): {len(routes)} POST routes x {CASES_PER_ROUTE} "
                    f"cases = {tally['cases']} requests, 5xx: {tally['5xx']}, inconsistent "
                    f"database: {tally['inconsistent']} of {tally['verifications']} ledger "
                    f"verifications (2xx {tally['2xx']}, 3xx {tally['3xx']}, 4xx {tally['4xx']}; "
                    f"{tally['worlds']} worlds built"
                    + (f", cases that wrote: {tally['writes']}" if HARD else "")
                    + f"); seed {SEED}, elapsed {elapsed:.1f}s")
    assert not problems, "\n".join(problems[:20])
