"""Request ids and structured logs.

Every request gets an id: a sane incoming ``X-Request-ID`` (from nginx or a calling service) is
kept, anything else is replaced by a fresh one. The id goes back in the ``X-Request-ID`` response
header and onto every log record made while the request runs (a log record factory adds
``request_id``, ``method`` and ``path``, so handlers of any library see them). One access line per
request (logger ``marketplace.access``) carries ``status`` and ``duration_ms``; gunicorn's own
access log stays off so requests are not logged twice.

``LOG_FORMAT=json`` writes one JSON object a line (time in UTC ISO 8601, level, logger, message,
request_id, method, path, and status/duration_ms on the access line); ``text`` writes readable
lines for development.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
# endpoints probed every few seconds: their access lines are DEBUG, not INFO
QUIET_ENDPOINTS = frozenset({"main.healthz", "ops.readyz", "ops.metrics"})
ACCESS_FIELDS = ("status", "duration_ms")
_HANDLER_NAME = "marketplace-stdout"

access_log = logging.getLogger("marketplace.access")


def request_id_from(header: str | None) -> str:
    """The incoming id if it is 8–128 characters of letters, digits and ``._:-``; else a new one."""
    if header and _SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    if has_request_context():
        return g.get("request_id")
    return None


# ---------------------------------------------------------------------------------------------
# records and formatters
_base_factory = logging.getLogRecordFactory()


def _record_factory(*args, **kwargs) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    if has_request_context():
        record.request_id = g.get("request_id")
        record.method = request.method
        record.path = request.path
    return record


def install_record_factory() -> None:
    """Idempotent: every LogRecord made during a request carries its id, method and path."""
    if logging.getLogRecordFactory() is not _record_factory:
        logging.setLogRecordFactory(_record_factory)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC ISO), level, logger, message and the request fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "method", "path", *ACCESS_FIELDS):
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["exception"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2026-12-01T22:50:01.123Z INFO marketplace.access [3f2a…] GET / 200 4.1ms``."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s%(request_tag)s %(message)s")

    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's name)
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds") \
            .replace("+00:00", "Z")

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        record.request_tag = f" [{request_id}]" if request_id else ""
        return super().format(record)


def formatter_for(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else TextFormatter()


def configure_logging(app: Flask) -> None:
    """Root logger in LOG_FORMAT at LOG_LEVEL (not under tests, where pytest captures records
    itself, and not when something else configured the root logger first).

    Under gunicorn, gunicorn.conf.py has already put our handler on stdout (we only set its
    format); elsewhere (``flask`` commands, ``flask run``) records go to stderr so that a
    command's own output on stdout stays clean for pipes."""
    install_record_factory()
    log_format = app.config.get("LOG_FORMAT") or "text"
    if log_format not in ("json", "text"):
        raise RuntimeError(f"LOG_FORMAT must be json or text, not {log_format!r}")
    if app.testing:
        return
    root = logging.getLogger()
    ours = [h for h in root.handlers if h.get_name() == _HANDLER_NAME]
    if root.handlers and not ours:
        return  # configured by someone else (a test harness, a logging config file)
    handler = ours[0] if ours else logging.StreamHandler(sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter_for(log_format))
    if not ours:
        root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL") or "INFO")


# ---------------------------------------------------------------------------------------------
# the request hooks
def register_request_logging(app: Flask) -> None:
    def assign_request_id():
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        g.request_started = time.perf_counter()

    # first of all before_request functions, so that whatever they log carries the id
    app.before_request_funcs.setdefault(None, []).insert(0, assign_request_id)

    @app.after_request
    def log_request(response):
        request_id = g.get("request_id") or request_id_from(None)
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        level = logging.DEBUG if request.endpoint in QUIET_ENDPOINTS else logging.INFO
        access_log.log(level, "%s %s %s %sms", request.method, request.path,
                       response.status_code, duration_ms,
                       extra={"status": response.status_code, "duration_ms": duration_ms})
        return response
