"""Changzhi Innovation Exchange (长治双创资源平台): the Flask application.

``create_app(config=None)`` builds the app: configuration from the environment, extensions,
blueprints, error handlers, security headers, CLI commands.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, flash, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _

from marketplace.config import PROJECT_ROOT, Config, load_secret_key, normalize_database_url
from marketplace.extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(config: type | Mapping | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    from marketplace.forms import install_form_guard
    from marketplace.urls import DatabaseIdConverter

    app.url_map.converters["int"] = DatabaseIdConverter  # before any route is added
    install_form_guard()
    app.config.from_object(Config)
    if isinstance(config, Mapping):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    _finish_config(app)
    _configure_logging(app)

    db.init_app(app)
    _ping_idle_database_connections(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    limiter.init_app(app)
    _configure_login(app)

    from marketplace import models  # noqa: F401  (registers every table on db.metadata)
    from marketplace.api.views import bp as api_bp
    from marketplace.auth.views import bp as auth_bp
    from marketplace.bookings.views import bp as bookings_bp
    from marketplace.campaigns.jobs import start_jobs
    from marketplace.campaigns.pledge_views import bp as pledges_bp
    from marketplace.campaigns.views import bp as campaigns_bp
    from marketplace.catalogue.views import bp as catalogue_bp
    from marketplace.cli import register_commands
    from marketplace.errors import register_error_handlers
    from marketplace.main.views import bp as main_bp
    from marketplace.office.views import bp as office_bp
    from marketplace.organizations.views import bp as organizations_bp
    from marketplace.payments.views import bp as payments_bp
    from marketplace.publishing.views import bp as publishing_bp
    from marketplace.security import register_request_limits, register_security_headers
    from marketplace.settlement.views import bp as settlement_bp
    from marketplace.templating import register_template_helpers
    from marketplace.vouchers.views import bp as vouchers_bp
    from marketplace.conversations.views import bp as conversations_bp
    from marketplace.licensing.views import bp as licensing_bp
    from marketplace.licensing.fee_views import bp as licence_fees_bp
    from marketplace.needs.views import bp as needs_bp
    from marketplace.recommendations.views import bp as recommendations_bp
    from marketplace.reviews.views import bp as reviews_bp
    from marketplace.spaces.views import bp as spaces_bp
    from marketplace.integrity.views import bp as integrity_bp
    from marketplace.moderation.views import bp as moderation_bp
    from marketplace.opendata.views import bp as opendata_bp
    from marketplace.statistics.views import bp as statistics_bp

    for blueprint in (main_bp, auth_bp, organizations_bp, office_bp, api_bp, catalogue_bp,
                      publishing_bp, bookings_bp, vouchers_bp, settlement_bp, payments_bp,
                      campaigns_bp, pledges_bp, conversations_bp, licensing_bp, licence_fees_bp,
                      spaces_bp, needs_bp, reviews_bp, recommendations_bp, statistics_bp,
                      integrity_bp, opendata_bp, moderation_bp):
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    register_security_headers(app)
    register_request_limits(app)
    register_template_helpers(app)
    from marketplace.menu import init_app as init_menu

    init_menu(app)  # the menu's facts about the signed-in user, one statement a page
    register_commands(app)
    from marketplace.ops import init_app as init_ops

    init_ops(app)  # health, readiness, metrics, request ids, backups
    from marketplace.jobs import init_app as init_jobs

    init_jobs(app)  # the cache and `flask jobs` (RQ worker, scheduler, failed list)
    from marketplace.pagecache import init_page_cache

    init_page_cache(app)  # after csrf.init_app (it wraps csrf_token()) and the shared cache
    start_jobs(app)  # the in-process jobs thread, unless RUN_JOBS_IN_PROCESS is off or REDIS_URL
    return app


def _ping_idle_database_connections(app: Flask) -> None:
    """PostgreSQL: connections broken while idle in the pool are replaced before use
    (marketplace.dbpool), unless the engine options ask for SQLAlchemy's pool_pre_ping."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    if app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
        return
    from marketplace.dbpool import ping_idle_connections

    with app.app_context():
        ping_idle_connections(db.engine, float(app.config["DB_PING_IDLE_SECONDS"]))


def _finish_config(app: Flask) -> None:
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(app.instance_path)
    url = app.config.get("SQLALCHEMY_DATABASE_URI") or app.config.get("DATABASE_URL")
    if not url:
        url = f"sqlite:///{instance / 'marketplace.db'}"
    url = normalize_database_url(url)
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if url.startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": 30})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    app.config["SEARCH_INDEX_DIR"] = app.config.get("SEARCH_INDEX_DIR") or str(instance / "search-index")
    from listings.backend import backend_name

    backend_name(app)  # a misspelt SEARCH_BACKEND stops the app here, not at the first search
    if app.config["SEARCH_BACKEND"].strip().lower() == "postgres" and url.startswith("sqlite"):
        raise ValueError("SEARCH_BACKEND=postgres needs DATABASE_URL on PostgreSQL")
    app.config["MODEL_DIR"] = app.config.get("MODEL_DIR") or str(instance / "models")
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = app.config.get("REDIS_URL") or "memory://"
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")


def _configure_logging(app: Flask) -> None:
    """Root logger to stdout in LOG_FORMAT (json|text), every record tagged with the request id
    (marketplace/ops/logs.py)."""
    from marketplace.ops.logs import configure_logging

    configure_logging(app)


def _select_locale():
    """The request's language as a parsed babel Locale (parsed once per process: Flask-Babel
    would ``Locale.parse`` a string on every request, which normalises it against the whole list
    of locale files — a third of a cached page's time)."""
    from flask import current_app, has_request_context
    from flask_login import current_user

    from marketplace.templating import parsed_locale

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI, jobs: operations use force_locale where it matters
        return parsed_locale(current_app.config["BABEL_DEFAULT_LOCALE"])
    chosen = session.get("locale")
    if chosen in languages:
        return parsed_locale(chosen)
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return parsed_locale(current_user.locale)
    return parsed_locale(current_app.config["BABEL_DEFAULT_LOCALE"])


def _configure_login(app: Flask) -> None:
    from marketplace.auth.operations import load_session

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(token: str):
        return load_session(token)

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            response = jsonify(error={"code": "unauthorized", "status": 401,
                                      "message": _("Please sign in first.")})
            response.status_code = 401
            return response
        flash(_("Please sign in to continue."), "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


@sa.event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys, write-ahead log for concurrent readers, wait when busy."""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
