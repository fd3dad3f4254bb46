"""Flask extensions, created unbound; create_app() binds them. No app imports here."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so values are stored as naive UTC
    and made aware again on the way out. Naive datetimes are refused rather than guessed.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address)
cache = Cache()  # configured by marketplace.jobs.cache.init_cache


def enum_type(cls, name: str, length: int = 20) -> sa.Enum:
    """A string enum column: VARCHAR plus a named CHECK constraint, values stored as ``.value``."""
    return sa.Enum(cls, native_enum=False, length=length, create_constraint=True, name=name,
                   values_callable=lambda e: [m.value for m in e])


def _escape_lazy_text(self):
    from markupsafe import escape

    return escape(str(self))  # Markup: escaped once, never again


# A translated message is text, not HTML. flask-babel's LazyString.__html__ returns it raw, so
# Jinja and WTForms would treat every lazily translated message — form labels and errors that
# carry user input in %(placeholders)s — as safe markup (stored XSS). Escape it instead.
from flask_babel.speaklater import LazyString  # noqa: E402

LazyString.__html__ = _escape_lazy_text
