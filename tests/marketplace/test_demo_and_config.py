"""Demo data and configuration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from marketplace.auth.models import SiteRole, User
from marketplace.config import load_secret_key, normalize_database_url
from marketplace.demo import DEMO_PASSWORD, load_demo
from marketplace.organizations.credit_code import validate
from marketplace.organizations.models import Organization, OrganizationKind, VerificationStatus

ROOT = Path(__file__).resolve().parents[2]


def test_demo_load_is_idempotent_and_covers_every_role_and_kind(db):
    first = load_demo()
    db.session.commit()
    second = load_demo()
    db.session.commit()
    assert first["users_created"] == first["users"] and second["users_created"] == 0
    assert second["organizations_created"] == 0
    users = db.session.scalars(sa.select(User)).all()
    orgs = db.session.scalars(sa.select(Organization)).all()
    assert len(users) == first["users"] and len(orgs) == first["organizations"]
    assert {u.site_role for u in users} == set(SiteRole)
    assert {o.kind for o in orgs} == set(OrganizationKind)
    assert any(o.status == VerificationStatus.PENDING for o in orgs)
    for org in orgs:
        assert validate(org.credit_code) == org.credit_code
        assert org.memberships
    assert all(u.check_password(DEMO_PASSWORD) for u in users[:1])


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.delenv("FLASK_ENV", raising=False)
    first = load_secret_key(str(tmp_path))
    assert len(first) >= 40
    assert load_secret_key(str(tmp_path)) == first
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    assert load_secret_key(str(tmp_path)) == "from-the-environment"


def test_production_refuses_to_start_without_secret_key(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(APP_ENV="production", INSTANCE_PATH=str(tmp_path))
    result = subprocess.run([sys.executable, "-c", "from marketplace import create_app; create_app()"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_cookies_are_secure(tmp_path):
    env = dict(os.environ, APP_ENV="production", SECRET_KEY="x" * 40, INSTANCE_PATH=str(tmp_path))
    code = ("from marketplace import create_app; c = create_app().config; "
            "print(c['SESSION_COOKIE_SECURE'], c['SESSION_COOKIE_NAME'], c['REMEMBER_COOKIE_SECURE'])")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.stdout.split() == ["True", "__Host-session", "True"], result.stderr


def test_database_url_spellings():
    assert normalize_database_url("postgres://h/db") == "postgresql+psycopg://h/db"
    assert normalize_database_url("postgresql://h:5432/db") == "postgresql+psycopg://h:5432/db"
    assert normalize_database_url("postgresql+psycopg://h/db") == "postgresql+psycopg://h/db"
    assert normalize_database_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
