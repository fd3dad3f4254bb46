"""The one-line figures the reliability tests report (RELIABILITY.md section 6), collected for
the end-of-run summary, also when the suite runs in several pytest-xdist worker processes.

A test (or its conftest) writes into a named store: ``ledger`` (figure name -> line),
``bookings`` (figure name -> line; booking, payment and campaign figures) and ``security``
(figure name -> counters, rendered into the S-lines below). Each worker sends its stores to the
controlling process when it finishes (``config.workeroutput``); the controller merges them and
the root conftest prints them. Counters reported from several workers add up (``merge``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable


def _counters():
    return defaultdict(lambda: defaultdict(int))


def _lines(store: dict) -> list[str]:
    return [store[name] for name in sorted(store)]


def _fixed(counts) -> str:
    """The seed and time part of a line whose cases are fixed lists (no random choice)."""
    return f" [seed none (fixed cases), elapsed {counts.get('ms', 0) / 1000:.1f}s]"


def _security_lines(store: dict) -> list[str]:
    lines = []
    matrix = store.get("authz_matrix")
    if matrix and "cells" in matrix:
        lines.append(
            f"S1 authz matrix: {matrix['cells']} cells ({matrix['rows']} rows x "
            f"{matrix['personas']} personas), unexpected cells: {matrix['unexpected']}"
            + (f" (and {matrix['known_bug']} in rows xfailed for reported app bugs)"
               if matrix.get("known_bug") else "") + _fixed(matrix))
    redirects = store.get("open_redirect")
    if redirects and "payloads" in redirects:
        lines.append(
            f"S5 open redirect: {redirects['refused']}/{redirects['payloads']} payloads "
            f"refused by is_safe_redirect, {redirects['login_flow']} checked through "
            f"login, {redirects['language']} through /language, "
            f"{redirects['accepted']} safe targets accepted" + _fixed(redirects))
    csrf = store.get("csrf")
    if csrf and "post_routes" in csrf:
        lines.append(f"S3 CSRF: {csrf['refused']}/{csrf['post_routes']} POST routes refused "
                     f"without a token, exempt routes: {csrf['exempt']}" + _fixed(csrf))
    xss = store.get("xss")
    if xss and "pages" in xss:
        lines.append(f"S7 XSS: {xss['pages']} page renders checked for {xss['payloads']} "
                     f"payloads, raw payloads found: {xss['raw']}" + _fixed(xss))
    limits = store.get("bad_input")
    if limits:
        lines.append(f"S8 bad input: {limits['cases']} cases, server errors: {limits['errors']}, "
                     f"cases that wrote rows: {limits['writes']}")
    for name in sorted(store):  # the scripted rows (tests/security/scripted_figures.py)
        counts = store[name]
        if name.endswith(" scripted") and isinstance(counts, dict) and counts.get("text"):
            lines.append(f"{counts['text']}: {counts.get('failed', 0)} [{counts.get('tests', 0)} "
                         f"tests; seed none (fixed cases), elapsed "
                         f"{counts.get('ms', 0) / 1000:.1f}s]")
    for name in sorted(store):  # figures given as ready lines
        if isinstance(store[name], str):
            lines.append(store[name])
    return lines


# name -> (title of the summary section, the store, how it is printed)
STORES: dict[str, tuple[str, dict, Callable[[dict], list[str]]]] = {
    "ledger": ("ledger figures", {}, _lines),
    "bookings": ("booking, payment and campaign figures", {}, _lines),
    "security": ("security figures", _counters(), _security_lines),
}


def store(name: str) -> dict:
    return STORES[name][1]


def _plain(value):
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def export() -> dict:
    """Every store as plain dicts (what a worker sends to the controller)."""
    return {name: _plain(data) for name, (_title, data, _render) in STORES.items()}


# counters that are set, not added up, by every test that reports them
CONSTANTS = frozenset({"personas"})


def merge(exported: dict) -> None:
    """Add a worker's figures: ready lines replace, counters of the same figure add up."""
    for name, data in exported.items():
        target = store(name)
        for key, value in data.items():
            if not isinstance(value, dict):
                target[key] = value
                continue
            # the security store's figures are defaultdicts: a counter no test moved is 0
            counters = (target[key] if key in target or isinstance(target, defaultdict)
                        else target.setdefault(key, {}))
            for field, number in value.items():
                if isinstance(number, int) and field not in CONSTANTS:
                    counters[field] = counters.get(field, 0) + number
                else:
                    counters[field] = number


def print_summary(terminalreporter) -> None:
    for title, data, render in STORES.values():
        lines = render(data) if data else []
        if lines:
            terminalreporter.write_sep("-", title)
            for line in lines:
                terminalreporter.write_line(line)
