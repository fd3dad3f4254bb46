"""Sign-up, sign-in, sign-out, password change and reset, the account page."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required, login_user, logout_user

from marketplace.auth import operations
from marketplace.auth.current import acting_user
from marketplace.auth.forms import (
    ChangePasswordForm,
    ConfirmForm,
    LoginForm,
    RegisterForm,
    RequestResetForm,
    ResetPasswordForm,
)
from marketplace.auth.models import UserSession, normalize_email
from marketplace.errors import DomainError
from marketplace.extensions import db, limiter
from marketplace.forms import apply_domain_error
from marketplace.security import safe_next

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _ip_limit():
    return current_app.config["LOGIN_LIMIT_PER_IP"]


def _account_limit():
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def _sensitive_limit():
    return current_app.config["SENSITIVE_LIMIT_PER_IP"]


def _account_key() -> str:
    return "account:" + normalize_email(request.form.get("email", ""))[:254]


def _sign_in(user, remember: bool) -> None:
    """Start a fresh session (ASVS 7.2.4: nothing from the pre-login session survives)."""
    locale = session.get("locale") or user.locale
    session.clear()
    if locale:
        session["locale"] = locale
    operations.start_session(user, remember=remember, ip_address=request.remote_addr,
                             user_agent=request.headers.get("User-Agent"))
    db.session.commit()
    login_user(user, remember=remember)


def _sign_out() -> None:
    locale = session.get("locale")
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_sensitive_limit, methods=["POST"])
def register():
    """Create an account and sign in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = operations.register_user(form.email.data, form.display_name.data,
                                            form.password.data, locale=session.get("locale"))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            _sign_in(user, remember=False)
            flash(_("Welcome! Your account is ready. Next, register your organisation."), "success")
            return redirect(url_for("organizations.create"))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"])
@limiter.limit(_account_limit, methods=["POST"], key_func=_account_key,
               deduct_when=lambda response: response.status_code != 302)
def login():
    """Sign in with e-mail and password."""
    next_url = safe_next(request.args.get("next"), url_for("main.dashboard"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = operations.authenticate(form.email.data, form.password.data)
        except DomainError as error:  # a suspended account: say so
            user = False
            form.form_errors.append(str(error.message))
        if user is False:
            pass
        elif user is None:
            log.warning("failed login ip=%s", request.remote_addr)
            form.form_errors.append(_("The e-mail address or password is not correct."))
        else:
            _sign_in(user, remember=form.remember.data)
            log.info("login user=%s ip=%s", user.id, request.remote_addr)
            return redirect(next_url)
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    """End this session; its cookies stop working even if replayed."""
    if current_user.is_authenticated:
        operations.end_session(acting_user())
        db.session.commit()
    _sign_out()
    flash(_("You have been signed out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/account")
@login_required
def account():
    """The account page: sessions on other devices, password change."""
    sessions = db.session.scalars(
        db.select(UserSession)
        .where(UserSession.user_id == current_user.id, UserSession.revoked_at.is_(None))
        .order_by(UserSession.last_seen_at.desc())
    ).all()
    return render_template("auth/account.html", sessions=sessions, confirm_form=ConfirmForm())


@bp.route("/sessions/revoke-others", methods=["POST"])
@login_required
def revoke_other_sessions():
    """Sign out every other device."""
    if ConfirmForm().validate_on_submit():
        count = operations.revoke_other_sessions(acting_user(), keep=current_user.current_session)
        db.session.commit()
        flash(ngettext("Signed out of %(num)d other session.", "Signed out of %(num)d other sessions.",
                       count), "success")
    return redirect(url_for("auth.account"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change the password; other sessions end."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            operations.change_password(acting_user(), form.current_password.data, form.password.data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            db.session.commit()
            flash(_("Your password has been changed. Other devices have been signed out."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_sensitive_limit, methods=["POST"])
def request_reset():
    """Ask for a password reset link by e-mail."""
    form = RequestResetForm()
    if form.validate_on_submit():
        operations.request_password_reset(form.email.data)
        db.session.commit()
        flash(_("If an account uses that address, we have sent it a link to reset the password."),
              "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/request_reset.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_sensitive_limit, methods=["POST"])
def reset_password(token: str):
    """Choose a new password from a reset link."""
    operations.user_from_reset_token(token)  # an invalid link answers 400 with its reason
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            operations.reset_password(token, form.password.data)
        except DomainError as error:
            if error.field is None:
                raise
            apply_domain_error(form, error)
        else:
            db.session.commit()
            if current_user.is_authenticated:
                _sign_out()
            flash(_("Your password has been reset. Please sign in with the new password."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)
