"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from marketplace import create_app
from marketplace.extensions import db


def _app_for(app, url):
    config = dict(app.config)
    config["SQLALCHEMY_DATABASE_URI"] = url
    return create_app(config)


def test_upgrade_empty_database_to_head_matches_models(app, make_empty_database):
    other = _app_for(app, make_empty_database())
    with other.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
            tables = set(sa.inspect(conn).get_table_names())
        db.engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
    assert {t.name for t in db.metadata.sorted_tables} | {"alembic_version"} == tables


def test_downgrade_to_base_and_upgrade_again(app, make_empty_database):
    other = _app_for(app, make_empty_database())
    with other.app_context():
        upgrade()
        downgrade(revision="base")
        after_downgrade = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        upgrade()
        after_upgrade = set(sa.inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert after_downgrade == set()
    assert "organizations" in after_upgrade
