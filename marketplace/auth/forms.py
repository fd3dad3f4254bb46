"""Account forms. Explicit fields only: nothing is copied from request.form by name."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from marketplace.auth.models import SiteRole
from marketplace.forms import select_choices


class RegisterForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254),
                                                 Email(check_deliverability=False)])
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8, max=128)],
                             description=_l("At least 8 characters. A phrase is easier to remember."))
    confirm = PasswordField(_l("Repeat password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords do not match."))])
    submit = SubmitField(_l("Create account"))


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    submit = SubmitField(_l("Sign in"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"),
                                     validators=[DataRequired(), Length(max=128)])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=128)])
    confirm = PasswordField(_l("Repeat new password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords do not match."))])
    submit = SubmitField(_l("Change password"))


class RequestResetForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254),
                                                 Email(check_deliverability=False)])
    submit = SubmitField(_l("Send reset link"))


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=128)])
    confirm = PasswordField(_l("Repeat new password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The two passwords do not match."))])
    submit = SubmitField(_l("Set new password"))


class ConfirmForm(FlaskForm):
    """An empty form: a CSRF-protected button (log out, revoke sessions, ...)."""

    submit = SubmitField(_l("Confirm"))


class SiteRoleForm(FlaskForm):
    role = SelectField(_l("Site role"), choices=select_choices([
        (SiteRole.USER.value, _l("User")), (SiteRole.OFFICER.value, _l("Programme officer")),
        (SiteRole.ADMIN.value, _l("Administrator"))]))
    submit = SubmitField(_l("Save role"))


class DeactivateForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Length(max=500)])
    submit = SubmitField(_l("Deactivate account"))
