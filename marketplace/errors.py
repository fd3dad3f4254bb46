"""Business errors and the one place that turns errors into HTTP responses.

Operations raise ``DomainError`` subclasses; views catch those with a ``field`` and put the message
back on the form; everything else reaches the handlers below, which answer HTML pages in the
user's language or, under ``/api/``, a JSON body ``{"error": {"code", "message"}}``.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from marketplace.extensions import db

log = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule refused the request. ``field`` names the form field it concerns, if any."""

    status_code = 400
    code = "invalid"

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotAllowedError(DomainError):
    status_code = 403
    code = "forbidden"


class NotFoundError(DomainError):
    status_code = 404
    code = "not_found"


class ConflictError(DomainError):
    status_code = 409
    code = "conflict"


class DuplicateEmailError(ConflictError):
    code = "duplicate_email"


class DuplicateCreditCodeError(ConflictError):
    code = "duplicate_credit_code"


class InvalidStateError(ConflictError):
    code = "invalid_state"


class InvalidTokenError(DomainError):
    code = "invalid_token"


ERROR_TITLES = {
    400: _l("Bad request"),
    401: _l("Please sign in"),
    403: _l("Access denied"),
    404: _l("Page not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    413: _l("Request too large"),
    429: _l("Too many requests"),
    500: _l("Something went wrong"),
}

ERROR_MESSAGES = {
    400: _l("The request could not be understood. Please check what you entered and try again."),
    401: _l("You need to sign in to see this page."),
    403: _l("You do not have permission to do this."),
    404: _l("We could not find that page. It may have been moved or removed."),
    405: _l("This address does not accept that kind of request."),
    409: _l("The request conflicts with the current state of the record."),
    413: _l("What you sent is larger than we accept. Please send a smaller file or less text."),
    429: _l("You have made too many requests. Please wait a moment and try again."),
    500: _l("An unexpected error occurred. It has been logged and we will look into it."),
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
        and not request.accept_mimetypes.accept_html
    )


def error_response(status: int, message=None, code: str | None = None):
    message = str(message or ERROR_MESSAGES.get(status, ERROR_MESSAGES[500]))
    code = code or {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                    405: "method_not_allowed", 409: "conflict", 413: "too_large",
                    429: "rate_limited"}.get(status, "server_error")
    if wants_json():
        response = jsonify(error={"code": code, "message": message, "status": status})
        response.status_code = status
        return response
    title = ERROR_TITLES.get(status, ERROR_TITLES[500])
    template = "errors/error.html"
    return render_template(template, status=status, title=title, message=message), status


# Shown when the database cannot be reached. Both languages at once, and no template: the page's
# usual helpers (the signed-in user, unread counts, locale from the profile) need the database.
UNAVAILABLE_MESSAGE = ("系统暂时无法连接数据库，请稍后再试。"
                       " The service cannot reach its database just now; please try again shortly.")
UNAVAILABLE_PAGE = """<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>503 服务暂不可用 · Service unavailable</title>
<link rel="stylesheet" href="{stylesheet}"></head>
<body><main class="container py-5 text-center error-page">
<p class="display-4 text-muted">503</p>
<h1 class="h3">服务暂不可用 · Service unavailable</h1>
<p class="lead">系统暂时无法连接数据库，请稍后再试。</p>
<p class="lead" lang="en">The service cannot reach its database just now; please try again shortly.</p>
<a class="btn btn-primary" href="/">返回首页 · Back to the home page</a>
</main></body></html>
"""


def database_unavailable_response(retry_after: int):
    """503 with Retry-After: JSON under /api/ (and for JSON clients), else a standalone page."""
    if wants_json():
        response = jsonify(error={"code": "unavailable", "status": 503,
                                  "message": UNAVAILABLE_MESSAGE})
    else:
        from flask import url_for

        try:
            stylesheet = url_for("static", filename="vendor/bootstrap-5.3.9/bootstrap.min.css")
        except Exception:  # no static route (should not happen): an unstyled page is fine
            stylesheet = ""
        response = app_response(UNAVAILABLE_PAGE.format(stylesheet=escape(stylesheet)))
    response.status_code = 503
    response.headers["Retry-After"] = str(retry_after)
    response.headers["Cache-Control"] = "no-store"
    return response


def app_response(html: str):
    from flask import make_response

    response = make_response(html)
    response.mimetype = "text/html"
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(DisconnectionError)
    def handle_database_unavailable(error: Exception):
        """The database is down or unreachable: 503, never a 500. The session is rolled back (its
        connection is invalidated by SQLAlchemy, with the rest of the process's pool), so the next
        request gets a fresh connection (and idle ones are pinged first: marketplace.dbpool) and
        the app recovers by itself when the database returns."""
        try:
            db.session.rollback()
        except Exception:  # rolling back a dead connection can fail too; drop the session
            log.debug("rollback after a database error failed", exc_info=True)
        try:
            db.session.remove()
        except Exception:
            log.debug("removing the session after a database error failed", exc_info=True)
        log.error("database unavailable on %s %s: %s", request.method, request.path,
                  error.__class__.__name__, exc_info=error)
        return database_unavailable_response(app.config.get("DB_UNAVAILABLE_RETRY_AFTER", 30))

    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError):
        db.session.rollback()
        return error_response(error.status_code, error.message, error.code)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError):
        db.session.rollback()
        return error_response(
            400,
            _("Your form has expired or was not sent from this site. Please reload the page and try again."),
            "csrf_failed",
        )

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        status = error.code or 500
        if status >= 500:
            db.session.rollback()
        message = None
        if status == 429:
            message = _("Too many attempts. Please wait a moment before trying again.")
        response = error_response(status if status in ERROR_TITLES else status, message)
        if status == 405 and isinstance(response, tuple):
            body, code = response
            return body, code, {"Allow": ", ".join(error.valid_methods or [])}
        if status == 405:
            response.headers["Allow"] = ", ".join(error.valid_methods or [])
        return response

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        if isinstance(error, HTTPException):
            return handle_http_error(error)
        if isinstance(error.__cause__, OperationalError | InterfaceError | DisconnectionError):
            return handle_database_unavailable(error)
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500)
