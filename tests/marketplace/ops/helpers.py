"""A second app on another database, for tests that need one (a dead server, a restored copy)."""

from __future__ import annotations

from flask import Flask

from marketplace import create_app
from marketplace.config import TestConfig


def app_on(database_url: str, **settings) -> Flask:
    app = create_app({
        **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SERVER_NAME": None,
        **settings,
    })
    return app
