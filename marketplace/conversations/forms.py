"""Conversation forms: start, write (with an optional file), report. Explicit fields only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from marketplace.conversations.models import MAX_BODY, MAX_REPORT_REASON

_ID = Regexp(r"^\d{1,9}$", message=_l("Not a valid choice."))


class StartConversationForm(FlaskForm):
    with_organization_id = HiddenField(validators=[Optional(), _ID])
    acting_organization_id = HiddenField(validators=[Optional(), _ID])
    submit = SubmitField(_l("Send a message"))


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=MAX_BODY)])
    attachment = FileField(_l("Attach a file (optional)"), description=_l(
        "PDF, PNG, JPEG, Word (DOCX) or Excel (XLSX), at most 10 MB."))
    submit = SubmitField(_l("Send"))


class ReportConversationForm(FlaskForm):
    reason = TextAreaField(_l("What is wrong?"),
                           validators=[DataRequired(), Length(max=MAX_REPORT_REASON)])
    submit = SubmitField(_l("Report to the programme office"))


class ButtonForm(FlaskForm):
    """A button: only the CSRF token."""

    submit = SubmitField(_l("Confirm"))
