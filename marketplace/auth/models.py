"""User and UserSession."""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship
from flask import current_app, has_app_context
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.extensions import UTCDateTime, db, enum_type, utcnow


class SiteRole(enum.StrEnum):
    USER = "user"
    OFFICER = "officer"  # programme officer: verifies organisations, runs the voucher programme
    ADMIN = "admin"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(80))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    site_role: Mapped[SiteRole] = mapped_column(
        enum_type(SiteRole, "site_role", 10),
        default=SiteRole.USER,
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # secret part of the user's .ics feed address (calendar apps cannot sign in)
    calendar_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # step 7: an officer's suspension (marketplace.moderation), reversible; admins deactivate
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suspended_reason: Mapped[str | None] = mapped_column(sa.Text)

    memberships = relationship("Membership", back_populates="user", cascade="all, delete-orphan")
    sessions = relationship("UserSession", back_populates="user", cascade="all, delete-orphan")

    # Flask-Login: the "id" it keeps is the current session's token, not the user id, so that a
    # revoked session cannot be revived from an old cookie (Flask-Login "alternative tokens").
    current_session = None  # the UserSession row of this request, set by the user loader
    current_session_token = None
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str | None:
        return self.current_session_token

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, password_hash_method())
        self.password_changed_at = utcnow()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_officer(self) -> bool:
        return self.site_role in (SiteRole.OFFICER, SiteRole.ADMIN)

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def is_admin(self) -> bool:
        return self.site_role == SiteRole.ADMIN

    def membership_in(self, organization) -> Membership | None:  # noqa: F821
        for membership in self.memberships:
            if membership.organization_id == organization.id:
                return membership
        return None

    def can_manage_users(self, user: User | None) -> bool:
        """Whether ``user`` may change this account's role or deactivate it."""
        return bool(user and user.is_authenticated and user.is_admin and user.id != self.id)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserSession(db.Model):
    """One signed-in browser. The cookie carries the token; only its hash is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))

    user = relationship("User", back_populates="sessions")

    @classmethod
    def start(cls, user: User, *, remember: bool, ip_address=None, user_agent=None):
        """Create a session row; returns (row, raw token). The raw token is never stored."""
        token = secrets.token_urlsafe(32)
        row = cls(user=user, token_hash=hash_token(token), remember=remember,
                  ip_address=ip_address, user_agent=(user_agent or "")[:255] or None)
        return row, token

    def is_valid_at(self, now: datetime, *, idle: timedelta, absolute: timedelta) -> bool:
        if self.revoked_at is not None:
            return False
        return now - self.last_seen_at <= idle and now - self.created_at <= absolute

    def revoke(self, now: datetime | None = None) -> None:
        if self.revoked_at is None:
            self.revoked_at = now or utcnow()


def password_hash_method() -> str:
    """Werkzeug's hash method for new passwords: scrypt, unless the configuration says otherwise
    (the test suite uses a cheap PBKDF2 so that thousands of test users do not cost minutes;
    stored hashes name their method, so either kind is checked correctly)."""
    if has_app_context():
        return current_app.config.get("PASSWORD_HASH_METHOD") or "scrypt"
    return "scrypt"
