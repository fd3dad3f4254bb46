"""Voucher programme forms. Money is typed in yuan (``YuanField``: ``data`` is fen); a layer's
share is typed in percent with up to two decimals and read as basis points."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
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

from listings.models import INSTRUMENT_CATEGORY_LABELS
from marketplace.extensions import db
from marketplace.forms import select_choices
from marketplace.organizations.models import Organization, VerificationStatus
from marketplace.publishing.forms import MultiCheckboxField, YuanField
from marketplace.vouchers.models import (
    TECHNOLOGY_TRANSFER,
    TECHNOLOGY_TRANSFER_LABEL,
    AdmissionStatus,
)
from marketplace.vouchers.operations import LayerSpec

MAX_LAYERS = 4


def _positive(form, field):
    """Caps and thresholds are optional, but when given they are above zero."""
    if field.data is not None and field.data <= 0:
        raise ValidationError(_l("Enter an amount above zero, or leave the field empty."))


def parse_percent(text: str) -> int:
    """'50' or '12.5 %' → basis points (5000, 1250); at most two decimals; ValueError otherwise."""
    cleaned = (text or "").strip().removesuffix("%").removesuffix("％").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError("format") from None
    if not value.is_finite():
        raise ValueError("format")
    points = value * 100
    if points != points.to_integral_value():
        raise ValueError("precision")
    return int(points)


class PercentField(StringField):
    """A share typed in percent; ``data`` is basis points (None when left empty)."""

    def process_formdata(self, valuelist):
        self.data = None
        self._raw = valuelist[0] if valuelist else ""
        if not self._raw.strip():
            # blank is no input: InputRequired refuses it (it let "\r\n\t" through with data
            # None, a TypeError in the operation: a 500 found by the form fuzz)
            self.raw_data = []
        else:
            try:
                self.data = parse_percent(self._raw)
            except ValueError as error:
                message = (_l("Use at most two decimals, e.g. 12.5.") if str(error) == "precision"
                           else _l("Enter a percentage, e.g. 50 or 12.5."))
                raise ValueError(str(message)) from None

    def _value(self):
        if getattr(self, "_raw", None) is not None and self.raw_data:
            return self._raw
        if isinstance(self.data, int):
            whole, rest = divmod(self.data, 100)
            return str(whole) if rest == 0 else f"{whole}.{rest:02d}".rstrip("0")
        return ""


def _category_choices():
    return select_choices([*((c.value, label) for c, label in INSTRUMENT_CATEGORY_LABELS.items()),
                           (TECHNOLOGY_TRANSFER, TECHNOLOGY_TRANSFER_LABEL)])


class ProgrammeRulesForm(FlaskForm):
    """What a programme's officer may set and change (not its layers' shares)."""

    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    per_application_cap_fen = YuanField(
        _l("Cap per application (yuan)"), validators=[_positive],
        description=_l("The most one application may ask for. Leave empty for no cap."))
    annual_cap_per_enterprise_fen = YuanField(
        _l("Annual cap per enterprise (yuan)"), validators=[_positive],
        description=_l("The most one enterprise may be granted in a calendar year. Leave empty "
                       "for no cap."))
    validity_days = IntegerField(
        _l("Validity of granted vouchers (days)"), default=365,
        validators=[InputRequired(), NumberRange(1, 3650)],
        description=_l("After this many days the unspent rest returns to the budget."))
    full_payment_threshold_fen = YuanField(
        _l("Full-payment threshold (yuan)"), validators=[_positive],
        description=_l("A bill below this amount may be paid entirely by voucher. Leave empty if "
                       "vouchers always pay only their shares."))
    eligible_categories = MultiCheckboxField(
        _l("Eligible instrument categories"), choices=_category_choices(),
        description=_l("Tick none to pay for every category."))
    starts_on = DateField(_l("First day"), validators=[Optional()])
    ends_on = DateField(_l("Last day"), validators=[Optional()])
    submit = SubmitField(_l("Save"))

    RULES = ("name_zh", "name_en", "description", "per_application_cap_fen",
             "annual_cap_per_enterprise_fen", "validity_days", "full_payment_threshold_fen",
             "eligible_categories", "starts_on", "ends_on")

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The programme cannot end before it starts."))

    def rules(self) -> dict:
        data = {name: getattr(self, name).data for name in self.RULES}
        data["name_zh"] = data["name_zh"].strip()
        data["name_en"] = (data["name_en"] or "").strip() or None
        data["description"] = (data["description"] or "").strip()
        data["eligible_categories"] = list(data["eligible_categories"] or [])
        return data

    def fill_from(self, programme) -> None:
        for name in self.RULES:
            getattr(self, name).data = getattr(programme, name)


class LayerRow(Form):
    name_zh = StringField(_l("Layer name (Chinese)"), validators=[Optional(), Length(max=100)])
    name_en = StringField(_l("Layer name (English)"), validators=[Optional(), Length(max=100)])
    share_bp = PercentField(_l("Share of a bill (%)"))
    budget_fen = YuanField(_l("Budget (yuan)"))

    def is_empty(self) -> bool:
        return not any((f.raw_data[0] if f.raw_data else "").strip()
                       for f in (self.name_zh, self.name_en, self.share_bp, self.budget_fen))


class CreateProgrammeForm(ProgrammeRulesForm):
    layers = FieldList(FormField(LayerRow), min_entries=MAX_LAYERS, max_entries=MAX_LAYERS)

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        used = 0
        for row in (entry.form for entry in self.layers):
            if row.is_empty():
                continue
            used += 1
            if not (row.name_zh.data or "").strip():
                row.name_zh.errors = [*row.name_zh.errors, _l("Give the layer a Chinese name.")]
                ok = False
            if row.share_bp.data is None and not row.share_bp.errors:
                row.share_bp.errors = [*row.share_bp.errors, _l("Enter the layer's share.")]
                ok = False
            elif row.share_bp.data is not None and not 0 < row.share_bp.data <= 10_000:
                row.share_bp.errors = [*row.share_bp.errors, _l(
                    "A layer's share must be above zero and at most the whole bill.")]
                ok = False
            if row.budget_fen.data is None and not row.budget_fen.errors:
                row.budget_fen.errors = [*row.budget_fen.errors, _l("Enter the layer's budget.")]
                ok = False
        if used == 0:
            self.layers.errors.append(_l("A programme needs at least one funding layer."))
            ok = False
        return ok

    def layer_specs(self) -> list[LayerSpec]:
        return [LayerSpec(name_zh=row.name_zh.data.strip(), share_bp=row.share_bp.data,
                          budget_fen=row.budget_fen.data,
                          name_en=(row.name_en.data or "").strip() or None)
                for row in (entry.form for entry in self.layers) if not row.is_empty()]


def edit_programme_form(programme, **kwargs) -> ProgrammeRulesForm:
    """The rules form plus one budget field per layer, named ``budget_<layer id>`` as the
    operation names its errors."""

    class EditProgrammeForm(ProgrammeRulesForm):
        pass

    for layer in programme.layers:
        setattr(EditProgrammeForm, f"budget_{layer.id}", YuanField(
            # str(): a lazy string is Markup to Jinja (__html__); the layer name must be escaped
            str(_l("Budget of %(layer)s (yuan)", layer=layer.name_zh)),
            validators=[InputRequired()]))
    form = EditProgrammeForm(**kwargs)
    form.layer_fields = [(layer, form[f"budget_{layer.id}"]) for layer in programme.layers]
    return form


class ApplyForQuotaForm(FlaskForm):
    organization_id = SelectField(_l("Enterprise"), validators=[DataRequired()])
    requested_fen = YuanField(_l("Amount requested (yuan)"), validators=[InputRequired()])
    purpose = TextAreaField(_l("What the vouchers are for"),
                            validators=[DataRequired(), Length(max=2000)],
                            description=_l("Which tests or services you plan to buy, and why."))
    submit = SubmitField(_l("Apply"))

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organization_id.choices = select_choices((o.id, o.name_zh) for o in organizations)


class GrantForm(FlaskForm):
    amount_fen = YuanField(_l("Amount to grant (yuan)"), validators=[InputRequired()],
                           description=_l("The full amount asked for, or less to grant in part."))
    note = TextAreaField(_l("Note to the enterprise"), validators=[Optional(), Length(max=2000)],
                         description=_l("Say why, when you grant less than was asked for."))
    submit = SubmitField(_l("Grant"))


class RefuseForm(FlaskForm):
    reason = TextAreaField(_l("Reason for refusing"), validators=[DataRequired(), Length(max=2000)])
    submit = SubmitField(_l("Refuse"))


class ApplyForAdmissionForm(FlaskForm):
    organization_id = SelectField(_l("Provider"), validators=[DataRequired()])
    note = TextAreaField(_l("Note to the programme office"),
                         validators=[Optional(), Length(max=2000)])
    submit = SubmitField(_l("Apply for admission"))

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organization_id.choices = select_choices((o.id, o.name_zh) for o in organizations)


class DecideAdmissionForm(FlaskForm):
    status = SelectField(_l("Decision"), validators=[DataRequired()], choices=select_choices([
        (AdmissionStatus.ADMITTED.value, _l("Admit")),
        (AdmissionStatus.REFUSED.value, _l("Refuse")),
        (AdmissionStatus.SUSPENDED.value, _l("Suspend"))]))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)],
                         description=_l("Needed when you refuse or suspend: the provider reads "
                                        "it."))
    submit = SubmitField(_l("Save decision"))


class DeclareRelationForm(FlaskForm):
    related = StringField(_l("Related organisation"), validators=[DataRequired(), Length(max=200)],
                          description=_l("Its unified social credit code or its exact name."))
    description = StringField(_l("Relationship"), validators=[DataRequired(), Length(max=300)],
                              description=_l("e.g. holds 30 percent of the shares; the same "
                                             "general manager."))
    submit = SubmitField(_l("Declare"))

    related_organization: Organization | None = None

    def validate_related(self, field):
        text = (field.data or "").strip()
        found = list(db.session.scalars(sa.select(Organization).where(
            Organization.status == VerificationStatus.VERIFIED,
            sa.or_(Organization.credit_code == text.upper(), Organization.name_zh == text,
                   Organization.name_en == text)).limit(2)))
        if not found:
            raise ValidationError(_l("No verified organisation has this credit code or name."))
        if len(found) > 1:
            raise ValidationError(_l("Several organisations have this name; enter the credit "
                                     "code instead."))
        self.related_organization = found[0]


class ActionForm(FlaskForm):
    """A CSRF-protected button (open, close, withdraw)."""

    submit = SubmitField(_l("Confirm"))
