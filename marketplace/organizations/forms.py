"""Organisation forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from marketplace.forms import select_choices
from marketplace.organizations.models import KIND_LABELS, SIZE_LABELS, MemberRole, OrganizationKind
from marketplace.reference import area_choices, industry_choices


def _kind_choices(include_office: bool):
    return select_choices((kind.value, label) for kind, label in KIND_LABELS.items()
                          if include_office or kind != OrganizationKind.PROGRAMME_OFFICE)


class OrganizationForm(FlaskForm):
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=200)])
    credit_code = StringField(
        _l("Unified social credit code"),
        validators=[DataRequired(), Length(max=40)],
        description=_l("18 characters, as printed on the business licence, e.g. 91140400MA0K7U2X3F."),
    )
    kind = SelectField(_l("Kind of organisation"), validators=[DataRequired()])
    industry = SelectField(_l("Industry"), validators=[DataRequired()])
    district_code = SelectField(_l("District or development zone"), validators=[DataRequired()])
    size = SelectField(_l("Size"), validators=[DataRequired()],
                       choices=select_choices((s.value, label) for s, label in SIZE_LABELS.items()))
    description = TextAreaField(_l("About the organisation"), validators=[Length(max=5000)])
    needs = TextAreaField(_l("What your organisation needs (instruments, technologies, space, "
                             "expertise)"), validators=[Length(max=5000)])
    actual_controller = StringField(
        _l("Actual controller"), validators=[Optional(), Length(max=200)],
        description=_l("The person or entity that ultimately controls the organisation. Used to "
                       "keep innovation vouchers from paying related parties."))
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    contact_phone = StringField(_l("Contact phone"), validators=[
        Optional(), Length(max=30),
        Regexp(r"^[0-9+\-() ]{5,30}$", message=_l("Enter a phone number using digits."))])
    website = StringField(_l("Website"), validators=[
        Optional(), Length(max=200),
        Regexp(r"^https?://[^\s]+$", message=_l("Enter a web address starting with http:// or "
                                                "https://."))])
    discoverable = BooleanField(
        _l("Let providers find us through recommendations"),
        description=_l("Providers then see your organisation's name, district and why it may "
                       "need their listing, and may invite you to a conversation."))
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, include_office: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = _kind_choices(include_office)
        placeholder = [("", _l("Please choose…"))]
        self.industry.choices = select_choices(placeholder + industry_choices())
        self.district_code.choices = select_choices(placeholder + area_choices())

    def values(self) -> dict:
        names = ("name_zh", "name_en", "credit_code", "kind", "industry", "district_code", "size",
                 "description", "needs", "actual_controller", "address", "contact_phone", "website",
                 "discoverable")
        return {name: getattr(self, name).data for name in names}


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Reason for refusing"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Refuse verification"))


class VerifyForm(FlaskForm):
    submit = SubmitField(_l("Verify organisation"))


class AddMemberForm(FlaskForm):
    email = EmailField(_l("E-mail of the person to add"),
                       validators=[DataRequired(), Length(max=254)])
    role = SelectField(_l("Role"), choices=select_choices([(MemberRole.MEMBER.value, _l("Member")),
                                                           (MemberRole.OWNER.value, _l("Owner"))]))
    submit = SubmitField(_l("Add member"))


class RemoveMemberForm(FlaskForm):
    submit = SubmitField(_l("Remove"))
