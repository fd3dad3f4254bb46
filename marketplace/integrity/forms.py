"""Forms of the review queue, the case page and the organisation's response."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from marketplace.forms import select_choices
from marketplace.integrity.models import KIND_LABELS, SIGNAL_STATUSES, STATUS_LABELS

TEXT = [DataRequired(), Length(max=2000)]


class FilterForm(FlaskForm):
    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=select_choices([("", _l("All"))] + [
        (s, STATUS_LABELS[s]) for s in SIGNAL_STATUSES]), default="open", validators=[Optional()])
    kind = SelectField(_l("Kind"),
                       choices=select_choices([("", _l("All"))] + list(KIND_LABELS.items())),
                       default="", validators=[Optional()])
    organization_id = IntegerField(_l("Organisation number"),
                                   validators=[Optional(), NumberRange(min=1, max=2**31 - 1)])


class ClearForm(FlaskForm):
    note = TextAreaField(_l("Why it is cleared"), validators=TEXT)
    submit = SubmitField(_l("Clear the signal"))


class OpenCaseForm(FlaskForm):
    organization_id = SelectField(_l("Organisation"), validators=[DataRequired()])
    summary = TextAreaField(_l("What the case is about"), validators=TEXT)
    submit = SubmitField(_l("Open a case"))


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=TEXT)
    submit = SubmitField(_l("Freeze voucher use"))


class ButtonForm(FlaskForm):
    submit = SubmitField(_l("Lift the freeze"))


class ClawbackForm(FlaskForm):
    transfer_id = IntegerField(_l("Ledger transfer"),
                               validators=[DataRequired(), NumberRange(min=1, max=2**31 - 1)])
    reason = TextAreaField(_l("Reason"), validators=TEXT)
    submit = SubmitField(_l("Claw back"))


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Note on the credit record"), validators=TEXT)
    submit = SubmitField(_l("Add the note"))


class CloseForm(FlaskForm):
    note = TextAreaField(_l("How the case ends"), validators=TEXT)
    submit = SubmitField(_l("Close the case"))


class ResponseForm(FlaskForm):
    text = TextAreaField(_l("Your response"), validators=TEXT)
    submit = SubmitField(_l("Send the response"))


class ScanForm(FlaskForm):
    submit = SubmitField(_l("Scan now"))
