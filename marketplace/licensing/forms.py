"""Licensing forms: the owner's disclosure and NDA, confidential files, NDA acceptance,
enquiries, offers with structured terms (milestone rows), declines with structured feedback."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
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

from marketplace.feedback import MAX_FEEDBACK_NOTE, DeclineReason
from marketplace.forms import select_choices
from marketplace.licensing.models import MAX_TERM_YEARS
from marketplace.licensing.operations import (
    MAX_FIELD_OF_USE,
    MAX_MESSAGE,
    MAX_MILESTONE_TITLE,
    MAX_TERRITORY,
    MAX_TEXT,
)
from marketplace.publishing.forms import PercentField, YuanField

MILESTONE_ROWS = 3


class ActionForm(FlaskForm):
    """A button: only the CSRF token."""

    submit = SubmitField(_l("Confirm"))


class DisclosureForm(FlaskForm):
    problem = TextAreaField(_l("Problem solved"), validators=[Optional(), Length(max=MAX_TEXT)])
    advantages = TextAreaField(_l("Advantages"), validators=[Optional(), Length(max=MAX_TEXT)])
    applications = TextAreaField(_l("Application areas"),
                                 validators=[Optional(), Length(max=MAX_TEXT)])
    confidential_text = TextAreaField(
        _l("Confidential details"), validators=[Optional(), Length(max=MAX_TEXT)],
        description=_l("Shown only to organisations that accepted your NDA."))
    nda_text = TextAreaField(
        _l("Confidentiality agreement (NDA)"), validators=[Optional(), Length(max=MAX_TEXT)],
        description=_l("Changing the text makes a new version, which every enquirer must "
                       "accept again."))
    submit = SubmitField(_l("Save"))


class UploadForm(FlaskForm):
    file = FileField(_l("Confidential file (PDF, DOCX, PNG or JPEG, at most 20 MB)"),
                     validators=[FileRequired(_l("Choose a file."))])
    submit = SubmitField(_l("Upload"))


def _organization_choices(form, organizations) -> None:
    form.organization_id.choices = select_choices([(o.id, o.name_zh) for o in organizations])
    if len(organizations) == 1 and not form.organization_id.data:
        form.organization_id.data = str(organizations[0].id)


class NdaForm(FlaskForm):
    version = IntegerField(validators=[InputRequired()])
    organization_id = SelectField(_l("I accept for"), validators=[DataRequired()])
    submit = SubmitField(_l("I accept the NDA"))

    def __init__(self, organizations, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _organization_choices(self, organizations)


class EnquiryForm(FlaskForm):
    organization_id = SelectField(_l("On behalf of"), validators=[DataRequired()])
    message = TextAreaField(_l("Message to the owner"),
                            validators=[DataRequired(), Length(max=MAX_MESSAGE)])
    submit = SubmitField(_l("Send enquiry"))

    def __init__(self, organizations, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _organization_choices(self, organizations)


class DeclineForm(FlaskForm):
    reason = SelectField(_l("Reason"), validators=[DataRequired()])
    note = TextAreaField(_l("Note (optional)"),
                         validators=[Optional(), Length(max=MAX_FEEDBACK_NOTE)])
    submit = SubmitField(_l("Decline"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = select_choices([("", _l("Choose…"))]
                                             + [(r.value, r.label) for r in DeclineReason])


class MilestoneForm(Form):
    title = StringField(_l("Milestone"), validators=[Optional(), Length(max=MAX_MILESTONE_TITLE)])
    amount = YuanField(_l("Amount (yuan)"), validators=[Optional()])
    due = DateField(_l("Due"), validators=[Optional()])


class OfferForm(FlaskForm):
    organization_id = SelectField(_l("On behalf of"), validators=[Optional()])
    mode = SelectField(_l("Licensing mode"), validators=[DataRequired()])
    field_of_use = StringField(_l("Field of use"),
                               validators=[Optional(), Length(max=MAX_FIELD_OF_USE)])
    territory = StringField(_l("Territory"), validators=[Optional(), Length(max=MAX_TERRITORY)])
    term_years = IntegerField(_l("Term (years)"),
                              validators=[InputRequired(), NumberRange(1, MAX_TERM_YEARS)])
    upfront_fee = YuanField(_l("Upfront fee (yuan)"), validators=[Optional()])
    royalty = PercentField(_l("Royalty (percent of net sales)"), validators=[Optional()])
    milestones = FieldList(FormField(MilestoneForm), min_entries=MILESTONE_ROWS,
                           max_entries=20)
    message = TextAreaField(_l("Message"), validators=[Optional(), Length(max=MAX_MESSAGE)])
    submit = SubmitField(_l("Send offer"))

    def __init__(self, technology, organizations=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.mode.choices = select_choices([(m.value, m.label) for m in technology.modes])
        if organizations is None:
            del self.organization_id
        else:
            _organization_choices(self, organizations)
        while len(self.milestones.entries) < MILESTONE_ROWS:
            self.milestones.append_entry()

    def validate_milestones(self, field) -> None:
        for entry in field.entries:
            row = entry.form
            if not (row.title.data or "").strip() and (row.amount.data or row.due.data):
                row.title.errors = [*row.title.errors, str(_l("Give the milestone a title."))]
                raise ValidationError(_l("Each milestone needs a title."))

    def terms(self) -> dict:
        """The form's values as the operations' ``terms``."""
        milestones = []
        for entry in self.milestones.entries:
            row = entry.form
            if (row.title.data or "").strip():
                milestones.append({"title": row.title.data.strip(),
                                   "amount_fen": row.amount.data or 0, "due": row.due.data})
        return {"mode": self.mode.data, "field_of_use": self.field_of_use.data or "",
                "territory": self.territory.data or "", "term_years": self.term_years.data,
                "upfront_fee_fen": self.upfront_fee.data or 0,
                "royalty_bp": self.royalty.data or 0, "milestones": milestones}

    def fill(self, offer) -> None:
        """Prefill from an offer (the counter-offer starts from the terms on the table)."""
        self.mode.data = offer.mode.value
        self.field_of_use.data, self.territory.data = offer.field_of_use, offer.territory
        self.term_years.data = offer.term_years
        self.upfront_fee.data, self.royalty.data = offer.upfront_fee_fen, offer.royalty_bp
        from datetime import date

        while len(self.milestones.entries) < max(MILESTONE_ROWS, len(offer.milestones) + 1):
            self.milestones.append_entry()
        for entry, milestone in zip(self.milestones.entries, offer.milestones, strict=False):
            entry.form.title.data = milestone["title"]
            entry.form.amount.data = milestone["amount_fen"]
            entry.form.due.data = date.fromisoformat(milestone["due"]) if milestone["due"] else None
