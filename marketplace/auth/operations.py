"""Account operations. They flush, never commit; the caller (view, CLI, test) commits once.

Invariants: e-mail is unique case-insensitively (normalised before storing; the unique index is
the backstop for races); a password reset token works once and only until it expires; changing the
password or deactivating an account revokes the account's other sessions.
"""

from __future__ import annotations

import hashlib
import logging
from functools import cache

import sqlalchemy as sa
from sqlalchemy.orm import joinedload
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import generate_password_hash

from marketplace.audit import record_audit
from marketplace.auth.models import (
    SiteRole,
    User,
    UserSession,
    hash_token,
    normalize_email,
    password_hash_method,
)
from marketplace.errors import DomainError, DuplicateEmailError, InvalidTokenError, NotAllowedError
from marketplace.extensions import db, utcnow
from marketplace.mail import send_mail
from marketplace.security import password_problem
from marketplace.urls import external_url

log = logging.getLogger(__name__)

PASSWORD_MESSAGES = {
    "too_short": lambda: _("Use at least 8 characters."),
    "too_long": lambda: _("Use at most 128 characters."),
    "common": lambda: _("This password is too common and easy to guess. Please choose another."),
    "contains_email": lambda: _("The password must not be your e-mail address."),
}


def check_password_policy(password: str, email: str | None, field: str = "password") -> None:
    problem = password_problem(password, email=email)
    if problem:
        raise DomainError(PASSWORD_MESSAGES[problem](), field=field)


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))


def register_user(email: str, display_name: str, password: str, *, locale: str | None = None) -> User:
    """Create an account. Raises DuplicateEmailError (field ``email``) if the address is taken."""
    email = normalize_email(email)
    check_password_policy(password, email)
    if get_user_by_email(email) is not None:
        raise DuplicateEmailError(_("An account with this e-mail address already exists."), "email")
    user = User(email=email, display_name=display_name.strip(), locale=locale)
    user.set_password(password)
    db.session.add(user)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except sa.exc.IntegrityError:
        raise DuplicateEmailError(
            _("An account with this e-mail address already exists."), "email") from None
    log.info("user registered id=%s", user.id)
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same answer for every failure)."""
    user = get_user_by_email(email)
    if user is None:
        # Spend comparable time so response timing does not reveal which addresses exist.
        User(password_hash=_dummy_hash()).check_password(password)
        return None
    if not user.check_password(password) or not user.is_active:
        return None
    if user.is_suspended:  # told only to whoever knows the password
        raise NotAllowedError(_("This account is suspended by the programme office: %(reason)s",
                                reason=user.suspended_reason or "-"))
    return user


def _dummy_hash() -> str:
    return _dummy_hash_for(password_hash_method())


@cache
def _dummy_hash_for(method: str) -> str:
    return generate_password_hash("not-a-real-password", method)


def start_session(user: User, *, remember: bool, ip_address=None, user_agent=None) -> str:
    """Record a new signed-in session and return its raw token (for the cookie only)."""
    row, token = UserSession.start(user, remember=remember, ip_address=ip_address,
                                   user_agent=user_agent)
    db.session.add(row)
    user.last_login_at = utcnow()
    db.session.flush()
    user.current_session, user.current_session_token = row, token
    return token


def load_session(token: str) -> User | None:
    """The user of a valid, unrevoked, unexpired session token; None otherwise."""
    if not token:
        return None
    # the session and its user in one statement (every signed-in request starts here)
    row = db.session.scalar(sa.select(UserSession).where(UserSession.token_hash == hash_token(token))
                            .options(joinedload(UserSession.user)))
    if row is None or not row.user.is_active or row.user.is_suspended:
        return None
    config = current_app.config
    now = utcnow()
    if row.remember:
        idle, absolute = config["REMEMBER_IDLE_TIMEOUT"], config["REMEMBER_ABSOLUTE_TIMEOUT"]
    else:
        idle, absolute = config["SESSION_IDLE_TIMEOUT"], config["SESSION_ABSOLUTE_TIMEOUT"]
    if not row.is_valid_at(now, idle=idle, absolute=absolute):
        return None
    if now - row.last_seen_at > config["SESSION_SEEN_INTERVAL"]:
        # Recorded on its own connection: a read-only request has no transaction to commit.
        with db.engine.begin() as conn:
            conn.execute(sa.update(UserSession.__table__)
                         .where(UserSession.id == row.id).values(last_seen_at=now))
    user = row.user
    user.current_session, user.current_session_token = row, token
    return user


def end_session(user: User) -> None:
    """Log-out: revoke the current session so its cookies stop working everywhere."""
    if user.current_session is not None:
        user.current_session.revoke()


def revoke_other_sessions(user: User, keep: UserSession | None = None) -> int:
    now = utcnow()
    count = 0
    for row in user.sessions:
        if row is not keep and row.revoked_at is None:
            row.revoke(now)
            count += 1
    return count


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change the password; every other session of the account ends."""
    if not user.check_password(current_password):
        raise DomainError(_("The current password is not correct."), "current_password")
    if current_password == new_password:
        raise DomainError(_("The new password must differ from the current one."), "password")
    check_password_policy(new_password, user.email)
    user.set_password(new_password)
    revoke_other_sessions(user, keep=user.current_session)
    record_audit(user, "user.password_changed", user)


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def make_reset_token(user: User) -> str:
    return _reset_serializer().dumps({"u": user.id, "p": _password_fingerprint(user)})


def request_password_reset(email: str) -> None:
    """Mail a reset link if an active account has this address; silent otherwise."""
    user = get_user_by_email(email)
    if user is None or not user.is_active:
        log.info("password reset requested for unknown or inactive address")
        return
    token = make_reset_token(user)
    link = external_url("auth.reset_password", token=token)
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    with force_locale(user.locale or "zh_CN"):
        subject = _("Reset your password — Changzhi Innovation Exchange")
        body = _(
            "Someone asked to reset the password of your account on the Changzhi Innovation "
            "Exchange.\n\nTo choose a new password, open this link within %(minutes)d minutes:\n"
            "%(link)s\n\nThe link works once. If you did not ask for this, ignore this message; "
            "your password stays as it is.",
            minutes=minutes, link=link,
        )
    send_mail(user.email, subject, body)


def user_from_reset_token(token: str) -> User:
    """The user a valid reset token is for; raises InvalidTokenError otherwise."""
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except SignatureExpired:
        raise InvalidTokenError(_("This reset link has expired. Please ask for a new one.")) from None
    except BadSignature:
        raise InvalidTokenError(_("This reset link is not valid. Please ask for a new one.")) from None
    user = db.session.get(User, data.get("u")) if isinstance(data, dict) else None
    if user is None or not user.is_active or data.get("p") != _password_fingerprint(user):
        raise InvalidTokenError(_("This reset link has already been used or is no longer valid."))
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset link; the link stops working and all sessions end."""
    user = user_from_reset_token(token)
    check_password_policy(new_password, user.email)
    user.set_password(new_password)
    revoke_other_sessions(user)
    record_audit(user, "user.password_reset", user)
    return user


def set_site_role(actor: User, user: User, role: SiteRole) -> None:
    """Admin grants or removes the officer or admin role."""
    if not user.can_manage_users(actor):
        raise NotAllowedError(_("You cannot change this account."))
    before = {"site_role": str(user.site_role)}
    user.site_role = role
    record_audit(actor, "user.role_changed", user, before=before, after={"site_role": str(role)})


def set_user_active(actor: User, user: User, active: bool, reason: str = "") -> None:
    """Admin deactivates (all sessions end at once) or reactivates an account."""
    if not user.can_manage_users(actor):
        raise NotAllowedError(_("You cannot change this account."))
    if user.is_active == active:
        return
    user.is_active = active
    if not active:
        revoke_other_sessions(user)
    record_audit(actor, "user.activated" if active else "user.deactivated", user,
                 before={"is_active": not active}, after={"is_active": active}, note=reason or None)
