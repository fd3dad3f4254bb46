"""Absolute links for e-mail, also outside a request (CLI commands, jobs): SITE_URL is the base."""

from __future__ import annotations

from flask import current_app, has_request_context, request, url_for

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
