"""Campaign forms: submit for review, the officer's decision, offers and pledges, the maker's
answers, updates and questions, booking pledged instrument hours. Explicit fields only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from marketplace.bookings import rules
from marketplace.bookings.forms import ClockField
from marketplace.campaigns.models import MAX_DAYS, MIN_DAYS, ResourceKind
from marketplace.forms import select_choices


class ActionForm(FlaskForm):
    """A button: only the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class SubmitCampaignForm(FlaskForm):
    duration_days = IntegerField(
        _l("Duration (days)"), validators=[InputRequired(), NumberRange(MIN_DAYS, MAX_DAYS)],
        description=_l("From 1 to 60 days. The campaign closes at the end of the last day "
                       "(Beijing time), counted from when it goes live."))
    submit = SubmitField(_l("Submit for review"))


class SendBackForm(FlaskForm):
    reasons = TextAreaField(_l("What should the maker change?"),
                            validators=[DataRequired(), Length(max=4000)])
    submit = SubmitField(_l("Send back"))


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Decline"))


def _as_organization(form, organizations) -> None:
    form.organization_id.choices = select_choices(
        [("", _l("Myself (as a person)"))] + [(o.id, o.name_zh) for o in organizations])


class ExpertiseOfferForm(FlaskForm):
    need_id = SelectField(_l("For the need"), validators=[Optional()], validate_choice=True)
    skill = StringField(_l("Skill"), validators=[DataRequired(), Length(max=200)])
    hours = IntegerField(_l("Hours"), validators=[InputRequired(), NumberRange(1, 2000)])
    organization_id = SelectField(_l("Offered by"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Offer expertise"))

    def __init__(self, campaign, organizations, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.need_id.choices = select_choices(
            [("", _l("Any"))] + [(n.id, f"{n.skill} ({n.hours} h)")
                                 for n in campaign.expertise_needs])
        _as_organization(self, organizations)


class ResourcePledgeForm(FlaskForm):
    need_id = SelectField(_l("For the need"), validators=[Optional()])
    kind = SelectField(_l("What"), validators=[DataRequired()])
    description = StringField(_l("Description"), validators=[DataRequired(), Length(max=500)])
    quantity = IntegerField(_l("Quantity"), default=1,
                            validators=[InputRequired(), NumberRange(1, 100_000)])
    hours = IntegerField(_l("Instrument hours"), validators=[Optional(), NumberRange(1, 2000)],
                         description=_l("Only for instrument hours."))
    organization_id = SelectField(_l("Pledged by"), validators=[Optional()])
    listing_id = SelectField(_l("Your organisation's instrument or space"),
                             validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Pledge resources"))

    def __init__(self, campaign, organizations, listings, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.need_id.choices = select_choices(
            [("", _l("Any"))] + [(n.id, n.item) for n in campaign.resource_needs])
        self.kind.choices = select_choices([(k.value, k.label) for k in ResourceKind])
        _as_organization(self, organizations)
        self.listing_id.choices = select_choices(
            [("", _l("None"))] + [(item.id, f"{item.title_for('zh')} · {item.organization.name_zh}")
                                  for item in listings])


class UpdateForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Update"), validators=[DataRequired(), Length(max=10_000)])
    submit = SubmitField(_l("Post and e-mail the backers"))


class QuestionForm(FlaskForm):
    question = TextAreaField(_l("Your question"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Ask"))


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Answer"), validators=[DataRequired(), Length(max=4000)])
    submit = SubmitField(_l("Answer"))


class PledgedBookingForm(FlaskForm):
    day = DateField(_l("Day"), validators=[DataRequired()])
    start = ClockField(_l("From (Beijing time)"), validators=[DataRequired()])
    end = ClockField(_l("Until"), validators=[DataRequired()])
    purpose = TextAreaField(_l("Purpose"), validators=[Optional(), Length(max=2000)])
    request_key = HiddenField(validators=[DataRequired(), Length(max=64)])
    submit = SubmitField(_l("Book free pledged hours"))

    def validate_day(self, field):
        if field.data and not 2000 <= field.data.year <= 2100:
            raise ValidationError(_l("Choose a day between 2000 and 2100."))

    def times(self):
        end = self.end.data
        if end == "00:00" and self.start.data != "00:00":
            end = "24:00"
        return rules.at_local(self.day.data, self.start.data), rules.at_local(self.day.data, end)


def optional_int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
