"""Moderation forms (explicit fields only) and the audit log search form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, RadioField, StringField, SubmitField
from wtforms import TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.forms import select_choices
from marketplace.moderation.models import MAX_APPEAL, MAX_REASON


class TakedownForm(FlaskForm):
    reason = TextAreaField(_l("Reason (the owner reads it)"),
                           validators=[DataRequired(), Length(max=MAX_REASON)])
    close_campaign = BooleanField(_l("This campaign is live: close it as failed now, so that "
                                     "every paid pledge is refunded"))
    submit = SubmitField(_l("Take down"))


class AppealForm(FlaskForm):
    text = TextAreaField(_l("Your appeal"), validators=[DataRequired(), Length(max=MAX_APPEAL)])
    submit = SubmitField(_l("Send the appeal"))


class DecideForm(FlaskForm):
    decision = RadioField(_l("Decision"), validators=[InputRequired()])
    note = TextAreaField(_l("Note to the owner (optional)"),
                         validators=[Optional(), Length(max=MAX_REASON)])
    submit = SubmitField(_l("Decide"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.decision.choices = select_choices([
            ("uphold", _l("Uphold: the item stays hidden")),
            ("restore", _l("Restore: the item returns to what it was"))])


class SuspendForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=MAX_REASON)])
    submit = SubmitField(_l("Suspend"))


class AuditSearchForm(FlaskForm):
    """GET filters of the audit log; no CSRF (it changes nothing)."""

    class Meta:
        csrf = False

    actor = StringField(_l("Who (e-mail or name)"), validators=[Optional(), Length(max=100)])
    object_type = StringField(_l("Record type"), validators=[Optional(), Length(max=40)])
    object_id = IntegerField(_l("Record number"),
                             validators=[Optional(), NumberRange(min=1, max=2**62)])
    action = StringField(_l("Action"), validators=[Optional(), Length(max=64)])
    start = DateField(_l("From (Beijing date)"), validators=[Optional()])
    end = DateField(_l("To (Beijing date)"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.start.data and self.end.data and self.end.data < self.start.data:
            self.end.errors.append(_l("The end date is before the start date."))
            return False
        return True
