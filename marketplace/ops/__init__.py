"""Operations: health and readiness endpoints, request ids and structured logs, Prometheus
metrics, backups. ``init_app(app)`` wires them into the application (docs/deployment.md)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Endpoints /readyz and /metrics (and /healthz exempt from limits); request ids and the
    access log; request metrics; ``flask backup``; the proxy fix when TRUSTED_PROXIES is set."""
    from marketplace.ops.backup import backup_group
    from marketplace.ops.logs import register_request_logging
    from marketplace.ops.metrics import register_request_metrics
    from marketplace.ops.views import bp, exempt_liveness

    if app.testing:  # no background ledger verify racing the fixtures' truncation; tests opt in
        app.config["LEDGER_VERIFY_INTERVAL_MINUTES"] = 0
    app.register_blueprint(bp)
    exempt_liveness(app)
    register_request_logging(app)
    register_request_metrics(app)
    app.cli.add_command(backup_group)
    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
