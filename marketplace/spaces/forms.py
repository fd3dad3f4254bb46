"""Space leasing forms. They only parse (Beijing wall-clock times → UTC, yuan → fen); the rules
live in ``spaces.operations``."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.bookings.rules import SHANGHAI
from marketplace.feedback import MAX_FEEDBACK_NOTE, DeclineReason
from marketplace.forms import select_choices
from marketplace.publishing.forms import YuanField

TIME_FORMAT = "%Y-%m-%dT%H:%M"
_TIME_HELP = _l("Beijing time")


def _time_field(label, required: bool = False):
    validators = ([InputRequired(message=_l("Propose at least one time."))] if required
                  else [Optional()])
    return DateTimeLocalField(label, format=TIME_FORMAT, validators=validators,
                              description=_TIME_HELP)


def as_utc(value: datetime | None) -> datetime | None:
    """A wall-clock time typed in Beijing time, as an aware datetime (UTC-comparable)."""
    if value is None:
        return None
    return value.replace(tzinfo=SHANGHAI)


class _OrganizationChoice:
    def _set_organizations(self, organizations) -> None:
        self.organization_id.choices = select_choices((o.id, o.name_zh) for o in organizations)

    @property
    def organization_choice(self) -> int | None:
        try:
            return int(self.organization_id.data)
        except (TypeError, ValueError):
            return None


class ViewingRequestForm(_OrganizationChoice, FlaskForm):
    organization_id = SelectField(_l("Request as"), validators=[DataRequired()])
    time_1 = _time_field(_l("Proposed time"), required=True)
    time_2 = _time_field(_l("Another time (optional)"))
    time_3 = _time_field(_l("A third time (optional)"))
    note = TextAreaField(_l("Note for the landlord"), validators=[Length(max=1000)])
    submit = SubmitField(_l("Request a viewing"))

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._set_organizations(organizations)

    @property
    def times(self) -> list[datetime]:
        return [as_utc(f.data) for f in (self.time_1, self.time_2, self.time_3) if f.data]


class AcceptViewingForm(FlaskForm):
    chosen = RadioField(_l("Time"), validators=[DataRequired(message=_l("Choose a time."))])
    submit = SubmitField(_l("Confirm this time"))

    def __init__(self, *args, options=(), labels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.chosen.choices = select_choices(
            (str(i), label) for i, label in enumerate(labels, start=1))
        self._options = list(options)

    @property
    def chosen_time(self) -> datetime | None:
        try:
            return self._options[int(self.chosen.data) - 1]
        except (TypeError, ValueError, IndexError):
            return None


class DeclineViewingForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[
        DataRequired(message=_l("Please give a reason.")), Length(max=1000)])
    submit = SubmitField(_l("Decline"))


class LeaseOfferForm(_OrganizationChoice, FlaskForm):
    organization_id = SelectField(_l("Offer as"), validators=[DataRequired()])
    area_m2 = IntegerField(_l("Area (m²)"), validators=[
        InputRequired(message=_l("Enter the area you want to lease.")),
        NumberRange(min=1, message=_l("Enter an area of at least 1 m²."))])
    monthly_rent = YuanField(_l("Monthly rent (yuan)"),
                             description=_l("Leave empty for the listed rent for that area."))
    term_months = IntegerField(_l("Term (months)"), validators=[
        InputRequired(message=_l("Enter the term in months.")),
        NumberRange(min=1, max=240, message=_l("Enter a term of 1 to 240 months."))])
    start_date = DateField(_l("Start date"), validators=[
        InputRequired(message=_l("Enter a start date."))])
    deposit = YuanField(_l("Deposit (yuan)"), validators=[
        InputRequired(message=_l("Enter a deposit (0 for none)."))])
    message = TextAreaField(_l("Message to the landlord"), validators=[Length(max=2000)])
    request_key = HiddenField(validators=[Length(max=64)])
    submit = SubmitField(_l("Send the offer"))

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._set_organizations(organizations)


class DeclineOfferForm(FlaskForm):
    reason = SelectField(_l("Reason"), validators=[DataRequired(message=_l("Choose a reason."))])
    note = TextAreaField(_l("A word to the tenant (optional)"),
                         validators=[Length(max=MAX_FEEDBACK_NOTE)])
    submit = SubmitField(_l("Decline"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = select_choices([("", _l("Choose…"))] + [
            (r.value, r.label) for r in DeclineReason])


class ActionForm(FlaskForm):
    """A button with no fields (accept an offer, withdraw, cancel): CSRF only."""
