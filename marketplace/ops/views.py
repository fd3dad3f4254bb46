"""Readiness and metrics endpoints: no login, no rate limit, no session. They are GET-only, so
CSRF protection (which checks unsafe methods) never applies; no explicit exemption is needed
(tests/security/test_csrf.py allows only the Stripe webhook's).

Liveness is ``/healthz`` (``main.healthz``: 200 ``{"status": "ok"}``, no database access), which
predates this package; ``exempt_liveness`` takes it out of rate limits too."""

from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Response, abort, current_app, jsonify, request

from marketplace.extensions import limiter
from marketplace.ops import health, metrics

bp = Blueprint("ops", __name__)
PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """The database, the search index and (with REDIS_URL) the job queue answer: 200, else 503."""
    checks = health.run_checks()
    ready = all(check.ok for check in checks)
    response = jsonify(status="ok" if ready else "unavailable",
                       checks={check.name: check.as_dict() for check in checks})
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/metrics", endpoint="metrics")
@limiter.exempt
def metrics_page():
    """Prometheus exposition: loopback callers, or anyone with the METRICS_TOKEN bearer token."""
    if not may_read_metrics():
        abort(404)
    body, content_type = metrics.render_metrics(current_app._get_current_object())
    return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})


def is_direct_loopback() -> bool:
    """A caller on this machine talking to the app directly (not relayed by a proxy)."""
    if any(name in request.headers for name in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def may_read_metrics() -> bool:
    if is_direct_loopback():
        return True
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        return False
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def exempt_liveness(app) -> None:
    view = app.view_functions.get("main.healthz")
    if view is not None:
        limiter.exempt(view)
