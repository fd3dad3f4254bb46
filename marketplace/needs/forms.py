"""Forms for proposals on needs: propose, decline with feedback, solve. Explicit fields only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from marketplace.feedback import MAX_FEEDBACK_NOTE, DeclineReason
from marketplace.forms import select_choices
from marketplace.needs.models import MAX_MESSAGE
from marketplace.publishing.forms import MultiCheckboxField, YuanField


class ActionForm(FlaskForm):
    """A button: only the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class ProposeForm(FlaskForm):
    organization_id = SelectField(_l("Answer for"), validators=[InputRequired()], coerce=int)
    listing_ids = MultiCheckboxField(
        _l("Your listings that would solve it"), coerce=int, validators=[DataRequired(
            message=_l("Link at least one of your published listings."))])
    message = TextAreaField(_l("How you would solve it"),
                            validators=[DataRequired(), Length(max=MAX_MESSAGE)])
    price_fen = YuanField(_l("Price (yuan)"), validators=[Optional()],
                          description=_l("Leave empty to agree on it later."))
    submit = SubmitField(_l("Send proposal"))

    def __init__(self, organizations=(), listings=(), language: str = "zh", **kwargs):
        super().__init__(**kwargs)
        self.organization_id.choices = select_choices((o.id, o.name_zh) for o in organizations)
        many = len({listing.organization_id for listing in listings}) > 1
        self.listing_ids.choices = select_choices(
            (listing.id, f"{listing.kind.label}: {listing.title_for(language)}"
             + (f" ({listing.organization.name_zh})" if many else ""))
            for listing in listings)


class DeclineProposalForm(FlaskForm):
    reason = SelectField(_l("Why not"), validators=[DataRequired()],
                         choices=select_choices((r.value, r.label) for r in DeclineReason))
    note = TextAreaField(_l("A note for the provider (optional)"),
                         validators=[Optional(), Length(max=MAX_FEEDBACK_NOTE)])
    submit = SubmitField(_l("Decline"))


class SolveForm(FlaskForm):
    proposal_id = IntegerField(_l("Winning proposal"), validators=[InputRequired(),
                                                                   NumberRange(1)])
    submit = SubmitField(_l("Solved with this proposal"))
