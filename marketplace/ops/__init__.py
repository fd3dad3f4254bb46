"""Operations: health and readiness endpoints, request ids and structured logs, Prometheus
metrics, backups. ``init_app(app)`` wires them into the application."""

from __future__ import annotations


def init_app(app) -> None:
    """Stub until step 8's operations land."""
