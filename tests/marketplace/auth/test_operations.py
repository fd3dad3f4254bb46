"""Account rules, tested on the operations directly."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.audit import AuditEntry
from marketplace.auth import operations
from marketplace.auth.models import SiteRole, User, UserSession
from marketplace.config import Config
from marketplace.errors import DomainError, DuplicateEmailError, InvalidTokenError, NotAllowedError
from marketplace.extensions import utcnow
from tests.factories import DEFAULT_PASSWORD, make_admin, make_user


def test_register_user_normalises_email_and_hashes_password(app, db, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_HASH_METHOD", Config.PASSWORD_HASH_METHOD)
    user = operations.register_user("  Zhang.Wei@Example.CN ", "张伟", "a long enough phrase")
    assert user.email == "zhang.wei@example.cn"
    assert user.password_hash.startswith("scrypt:")
    assert "a long enough phrase" not in user.password_hash
    assert user.check_password("a long enough phrase")
    assert not user.check_password("A long enough phrase")


def test_register_user_rejects_duplicate_email_case_insensitively(db):
    operations.register_user("li.na@example.cn", "李娜", "a long enough phrase")
    db.session.commit()
    with pytest.raises(DuplicateEmailError) as excinfo:
        operations.register_user("LI.NA@example.CN", "李娜2", "another long phrase")
    assert excinfo.value.field == "email"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


@pytest.mark.parametrize(("password", "accepted"), [
    ("short", False),                       # under 8 characters
    ("password", False),                    # the most common passwords
    ("12345678", False),
    ("qwertyuiop", False),
    ("iloveyou", False),
    ("aaaaaaaaaaaa", False),                # a single repeated character
    ("changzhi2026", False),                # site-specific
    ("x" * 129, False),                     # over the maximum
    ("correct horse battery staple", True),  # a passphrase
    ("太行山上的小米很好吃", True),            # Chinese passphrase of 10 characters
    ("Tr0ub4dor&3xyz", True),
    ("a" * 60 + "bcd", True),               # long passwords are allowed (ASVS: at least 64)
])
def test_password_policy(db, password, accepted):
    if accepted:
        operations.check_password_policy(password, "someone@example.cn")
    else:
        with pytest.raises(DomainError) as excinfo:
            operations.check_password_policy(password, "someone@example.cn")
        assert excinfo.value.field == "password"


def test_password_may_not_be_the_email(db):
    with pytest.raises(DomainError):
        operations.check_password_policy("wangfang@example.cn", "wangfang@example.cn")
    with pytest.raises(DomainError):
        operations.check_password_policy("wangfang1", "wangfang@example.cn")


def test_authenticate_gives_the_same_answer_for_every_failure(db):
    user = make_user("a@example.cn")
    inactive = make_user("b@example.cn", is_active=False)
    assert operations.authenticate("A@Example.cn", DEFAULT_PASSWORD) == user
    assert operations.authenticate("a@example.cn", "wrong password") is None
    assert operations.authenticate("nobody@example.cn", DEFAULT_PASSWORD) is None
    assert operations.authenticate(inactive.email, DEFAULT_PASSWORD) is None


def test_session_token_is_stored_only_as_a_hash(db):
    user = make_user()
    token = operations.start_session(user, remember=False)
    row = db.session.scalar(sa.select(UserSession))
    assert token not in row.token_hash
    assert len(row.token_hash) == 64
    assert operations.load_session(token) == user
    assert operations.load_session(token + "x") is None


def test_revoked_or_expired_session_no_longer_loads(app, db):
    user = make_user()
    token = operations.start_session(user, remember=False)
    db.session.commit()
    row = db.session.scalar(sa.select(UserSession))
    row.last_seen_at = utcnow() - app.config["SESSION_IDLE_TIMEOUT"] - timedelta(seconds=1)
    db.session.commit()
    assert operations.load_session(token) is None  # idle too long
    row.last_seen_at = utcnow()
    row.created_at = utcnow() - app.config["SESSION_ABSOLUTE_TIMEOUT"] - timedelta(seconds=1)
    db.session.commit()
    assert operations.load_session(token) is None  # too old
    row.created_at = utcnow()
    db.session.commit()
    assert operations.load_session(token) == user
    operations.end_session(user)
    db.session.commit()
    assert operations.load_session(token) is None  # signed out


def test_last_seen_is_recorded_once_per_interval(app, db):
    """A session's last-seen time is written when older than SESSION_SEEN_INTERVAL, not on
    every request."""
    user = make_user()
    token = operations.start_session(user, remember=False)
    db.session.commit()
    interval = app.config["SESSION_SEEN_INTERVAL"]
    seen = utcnow() - interval + timedelta(seconds=5)  # still inside the interval
    db.session.execute(sa.update(UserSession).values(last_seen_at=seen))
    db.session.commit()
    assert operations.load_session(token) == user
    db.session.expire_all()
    assert db.session.scalar(sa.select(UserSession.last_seen_at)) == seen
    stale = utcnow() - interval - timedelta(seconds=5)
    db.session.execute(sa.update(UserSession).values(last_seen_at=stale))
    db.session.commit()
    assert operations.load_session(token) == user
    db.session.expire_all()
    assert utcnow() - db.session.scalar(sa.select(UserSession.last_seen_at)) < timedelta(seconds=5)


def test_remember_sessions_live_longer(app, db):
    user = make_user()
    token = operations.start_session(user, remember=True)
    db.session.commit()
    row = db.session.scalar(sa.select(UserSession))
    row.last_seen_at = utcnow() - app.config["SESSION_IDLE_TIMEOUT"] - timedelta(minutes=5)
    row.created_at = utcnow() - app.config["SESSION_ABSOLUTE_TIMEOUT"] - timedelta(minutes=5)
    db.session.commit()
    assert operations.load_session(token) == user


def test_change_password_checks_current_and_revokes_other_sessions(db):
    user = make_user()
    operations.start_session(user, remember=False)
    other_token = user.current_session_token
    current_token = operations.start_session(user, remember=False)
    with pytest.raises(DomainError) as excinfo:
        operations.change_password(user, "wrong", "a brand new passphrase")
    assert excinfo.value.field == "current_password"
    operations.change_password(user, DEFAULT_PASSWORD, "a brand new passphrase")
    db.session.commit()
    assert user.check_password("a brand new passphrase")
    assert operations.load_session(other_token) is None
    assert operations.load_session(current_token) == user
    assert db.session.scalar(sa.select(AuditEntry.action)) == "user.password_changed"


def test_reset_token_works_once_and_expires(app, db, outbox):
    user = make_user()
    operations.request_password_reset(user.email.upper())
    db.session.commit()
    messages = outbox()
    assert len(messages) == 1 and messages[0].recipient == user.email
    token = operations.make_reset_token(user)
    assert token in messages[0].body or "/auth/reset/" in messages[0].body
    assert operations.user_from_reset_token(token) == user
    operations.reset_password(token, "a brand new passphrase")
    db.session.commit()
    with pytest.raises(InvalidTokenError):
        operations.reset_password(token, "yet another passphrase")  # single use
    with pytest.raises(InvalidTokenError):
        operations.user_from_reset_token(token[:-3] + "abc")  # tampered
    fresh = operations.make_reset_token(user)
    app.config["PASSWORD_RESET_MAX_AGE"] = -1
    try:
        with pytest.raises(InvalidTokenError):
            operations.user_from_reset_token(fresh)  # expired
    finally:
        app.config["PASSWORD_RESET_MAX_AGE"] = 3600


def test_reset_request_for_unknown_address_sends_nothing(db, outbox):
    operations.request_password_reset("nobody@example.cn")
    db.session.commit()
    assert outbox() == []


def test_only_admins_change_roles_and_activation(db):
    admin = make_admin()
    user = make_user()
    other = make_user()
    with pytest.raises(NotAllowedError):
        operations.set_site_role(other, user, SiteRole.OFFICER)
    with pytest.raises(NotAllowedError):
        operations.set_site_role(admin, admin, SiteRole.USER)  # not on oneself
    operations.set_site_role(admin, user, SiteRole.OFFICER)
    token = operations.start_session(user, remember=True)
    operations.set_user_active(admin, user, False, "left the company")
    db.session.commit()
    assert user.site_role == SiteRole.OFFICER and not user.is_active
    assert operations.load_session(token) is None
    actions = list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["user.role_changed", "user.deactivated"]
