"""Absolute links for e-mail, also outside a request (CLI commands, jobs): SITE_URL is the base."""

from __future__ import annotations

from flask import current_app, has_request_context, request, url_for
from werkzeug.routing import IntegerConverter

MAX_DATABASE_ID = 2**31 - 1

# Marks the request context pushed only to build a link, so that request teardown hooks (which
# run when it is popped, in the middle of the caller's transaction) can leave it alone.
LINK_CONTEXT = "marketplace.link_only"


def external_url(endpoint: str, **values) -> str:
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context(base_url=current_app.config["SITE_URL"],
                                          environ_overrides={LINK_CONTEXT: True}):
        return url_for(endpoint, _external=True, **values)


def is_link_context() -> bool:
    """True inside the context ``external_url`` pushes outside a request."""
    return has_request_context() and bool(request.environ.get(LINK_CONTEXT))


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in every route: at most the largest 32-bit id (PostgreSQL ``integer``,
    SQLite's driver refuses anything past 64 bits), so a huge id in a URL is a 404 instead of an
    OverflowError / NumericValueOutOfRange from the database (a 500, found by schemathesis)."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min,
                         max=MAX_DATABASE_ID if max is None else max, signed=signed)
