"""Forms for creating and editing listings of each kind. Explicit fields only."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FloatField,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from listings.models import (
    INSTRUMENT_CATEGORY_LABELS,
    InstrumentCategory,
    LegalStatus,
    LicensingMode,
    PatentType,
    SolutionKind,
    SpaceType,
)
from marketplace.forms import select_choices
from marketplace.money import MoneyFormatError, fen_to_input, parse_yuan
from marketplace.reference import area_choices

WEEKDAYS = [("0", _l("Monday")), ("1", _l("Tuesday")), ("2", _l("Wednesday")),
            ("3", _l("Thursday")), ("4", _l("Friday")), ("5", _l("Saturday")),
            ("6", _l("Sunday"))]
_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)\s*[-–~至]\s*([01]\d|2[0-4]):([0-5]\d)$")

MONEY_MESSAGES = {
    "format": _l("Enter an amount in yuan, e.g. 350 or 1,280.50."),
    "negative": _l("The amount cannot be negative."),
    "precision": _l("Use at most two decimals (fen)."),
    "too_large": _l("This amount is too large."),
}


class YuanField(StringField):
    """An amount typed in yuan; ``data`` is integer fen (None when left empty)."""

    def process_formdata(self, valuelist):
        self.data = None
        self._raw = valuelist[0] if valuelist else ""
        if not self._raw.strip():
            # blank is no input: InputRequired refuses it (it let "\r\n\t" through with data
            # None, a TypeError in the operation: a 500 found by the form fuzz)
            self.raw_data = []
        else:
            try:
                self.data = parse_yuan(self._raw)
            except MoneyFormatError as error:
                self.data = None
                raise ValueError(str(MONEY_MESSAGES[error.reason])) from None

    def _value(self):
        if getattr(self, "_raw", None) is not None and self.raw_data:
            return self._raw
        return fen_to_input(self.data) if isinstance(self.data, int) else ""


class PercentField(StringField):
    """A share typed in percent (0–100, at most two decimals); ``data`` is integer basis points."""

    def process_formdata(self, valuelist):
        self.data = None
        self._raw = valuelist[0] if valuelist else ""
        text = self._raw.strip().removesuffix("%").strip()
        if text:
            try:
                basis_points = Decimal(text) * 100
            except InvalidOperation:
                basis_points = None
            if (basis_points is None or not basis_points.is_finite()
                    or basis_points != basis_points.to_integral_value()
                    or not 0 <= basis_points <= 10_000):
                raise ValueError(str(_l("Enter a percentage from 0 to 100, e.g. 50 or 12.5.")))
            self.data = int(basis_points)

    def _value(self):
        if getattr(self, "_raw", None) is not None and self.raw_data:
            return self._raw
        if not isinstance(self.data, int):
            return ""
        whole, cents = divmod(self.data, 100)
        return str(whole) if cents == 0 else f"{whole}.{cents:02d}".rstrip("0")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def parse_spans(text: str) -> list[list[str]]:
    """'08:30-12:00, 14:00-17:30' → [["08:30", "12:00"], ["14:00", "17:30"]]."""
    spans = []
    for part in re.split(r"[,，;；、\s]+(?=\d)", (text or "").strip()):
        part = part.strip().strip(",，;；")
        if not part:
            continue
        match = _SPAN.match(part)
        if not match:
            raise ValueError(part)
        start, end = f"{match[1]}:{match[2]}", f"{match[3]}:{match[4]}"
        if end <= start:
            raise ValueError(part)
        spans.append([start, end])
    spans.sort()
    for earlier, later in zip(spans, spans[1:], strict=False):
        if later[0] < earlier[1]:
            raise ValueError(later[0])
    return spans


def parse_dates(text: str) -> list[str]:
    result = []
    for part in re.split(r"[,，;；\s]+", (text or "").strip()):
        if part:
            result.append(date.fromisoformat(part).isoformat())
    return sorted(set(result))


class ListingForm(FlaskForm):
    """What every listing has."""

    organization_id = SelectField(_l("Published by"), validators=[DataRequired()])
    title_zh = StringField(_l("Title (Chinese)"), validators=[Optional(), Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=200)])
    summary_zh = TextAreaField(_l("Summary (Chinese)"), validators=[Optional(), Length(max=1000)])
    summary_en = TextAreaField(_l("Summary (English)"), validators=[Optional(), Length(max=1000)])
    description = TextAreaField(_l("Full description"), validators=[Length(max=20000)])
    tags = StringField(_l("Keywords"), validators=[Length(max=500)],
                       description=_l("Separated by commas, e.g. SEM, 断口分析, 能谱"))
    district_code = SelectField(_l("District or development zone"), validators=[DataRequired()])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    contact_name = StringField(_l("Contact person"), validators=[Optional(), Length(max=80)])
    contact_phone = StringField(_l("Contact phone"), validators=[Optional(), Length(max=30)])
    contact_email = StringField(_l("Contact e-mail"), validators=[Optional(), Length(max=254),
                                                                 Email(check_deliverability=False)])
    submit = SubmitField(_l("Save"))

    COMMON = ("title_zh", "title_en", "summary_zh", "summary_en", "description", "tags",
              "district_code", "address", "contact_name", "contact_phone", "contact_email")
    SPECIFIC: tuple[str, ...] = ()

    def __init__(self, *args, organizations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organization_id.choices = select_choices((str(o.id), o.name_zh) for o in organizations)
        self.district_code.choices = select_choices([("", _l("Please choose…"))] + area_choices())

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not (self.title_zh.data or "").strip() and not (self.title_en.data or "").strip():
            self.title_zh.errors = [*self.title_zh.errors,
                                    _l("Give a title in Chinese, in English, or both.")]
            ok = False
        return ok

    def values(self) -> dict:
        data = {name: getattr(self, name).data for name in self.COMMON + self.SPECIFIC}
        for key, value in data.items():
            if isinstance(value, str):
                data[key] = value.strip()
        return data


class InstrumentForm(ListingForm):
    instrument_category = SelectField(_l("Category"), validators=[DataRequired()],
                                      choices=select_choices(
                                          (c.value, label)
                                          for c, label in INSTRUMENT_CATEGORY_LABELS.items()))
    manufacturer = StringField(_l("Manufacturer"), validators=[Optional(), Length(max=120)])
    model_name = StringField(_l("Model"), validators=[Optional(), Length(max=120)])
    year_made = IntegerField(_l("Year made"), validators=[Optional(), NumberRange(1950, 2100)])
    capabilities = TextAreaField(_l("What it can do"), validators=[Length(max=5000)])
    sample_requirements = TextAreaField(_l("Sample requirements"), validators=[Length(max=5000)])
    lab_location = StringField(_l("Lab location"), validators=[Optional(), Length(max=200)])
    rate_internal_fen = YuanField(_l("Hourly rate for own members (yuan)"),
                                  validators=[InputRequired()])
    rate_external_fen = YuanField(_l("Hourly rate for outside users (yuan)"),
                                  validators=[InputRequired()])
    min_booking_minutes = IntegerField(_l("Shortest booking (minutes)"), default=60,
                                       validators=[DataRequired(), NumberRange(15, 24 * 60)])
    max_booking_minutes = IntegerField(_l("Longest booking (minutes)"), default=480,
                                       validators=[DataRequired(), NumberRange(15, 14 * 24 * 60)])
    hours_0 = StringField(_l("Monday"), default="08:30-12:00, 14:00-17:30")
    hours_1 = StringField(_l("Tuesday"), default="08:30-12:00, 14:00-17:30")
    hours_2 = StringField(_l("Wednesday"), default="08:30-12:00, 14:00-17:30")
    hours_3 = StringField(_l("Thursday"), default="08:30-12:00, 14:00-17:30")
    hours_4 = StringField(_l("Friday"), default="08:30-12:00, 14:00-17:30")
    hours_5 = StringField(_l("Saturday"))
    hours_6 = StringField(_l("Sunday"))
    closed_dates = TextAreaField(_l("Closed dates"), validators=[Length(max=3000)],
                                 description=_l("One date per line or separated by commas, "
                                                "e.g. 2027-02-06, 2027-02-07"))
    requires_training = BooleanField(_l("Users must be trained first"))
    requires_approval = BooleanField(_l("Bookings need our approval"))
    accepts_vouchers = BooleanField(_l("Innovation vouchers accepted"), default=True)
    # booking rules (left empty: the default)
    booking_step_minutes = IntegerField(_l("Booking grid (minutes)"), default=30,
                                        validators=[Optional(), NumberRange(5, 240)],
                                        description=_l("Bookings start and end on this grid, "
                                                       "e.g. 30 for 09:00, 09:30, 10:00…"))
    booking_horizon_days = IntegerField(_l("Bookable up to (days ahead)"), default=90,
                                        validators=[Optional(), NumberRange(1, 730)])
    lead_time_hours = IntegerField(_l("Book at least (hours ahead)"), default=24,
                                   validators=[Optional(), NumberRange(0, 720)])
    free_cancellation_hours = IntegerField(_l("Free cancellation until (hours before the start)"),
                                           default=24, validators=[Optional(), NumberRange(0, 720)])
    late_cancellation_bp = PercentField(
        _l("Charged for a later cancellation (percent of the price)"), default=5000)
    no_show_bp = PercentField(_l("Charged for a no-show (percent of the price)"), default=10_000)

    SPECIFIC = ("instrument_category", "manufacturer", "model_name", "year_made", "capabilities",
                "sample_requirements", "lab_location", "rate_internal_fen", "rate_external_fen",
                "min_booking_minutes", "max_booking_minutes", "requires_training",
                "requires_approval", "accepts_vouchers", "booking_step_minutes",
                "booking_horizon_days", "lead_time_hours", "free_cancellation_hours",
                "late_cancellation_bp", "no_show_bp")
    BOOKING_RULES = ("booking_step_minutes", "booking_horizon_days", "lead_time_hours",
                     "free_cancellation_hours", "late_cancellation_bp", "no_show_bp")

    def _validate_hours(self, field):
        try:
            parse_spans(field.data)
        except ValueError as error:
            # str(): a lazy string is Markup to Jinja (__html__); the echoed input must be escaped
            raise ValidationError(str(_l("Write opening hours like 08:30-12:00, 14:00-17:30 "
                                         "(problem near “%(part)s”).", part=str(error)))) from None

    validate_hours_0 = validate_hours_1 = validate_hours_2 = validate_hours_3 = _validate_hours
    validate_hours_4 = validate_hours_5 = validate_hours_6 = _validate_hours

    def validate_closed_dates(self, field):
        try:
            parse_dates(field.data)
        except ValueError:
            raise ValidationError(_l("Write dates as YYYY-MM-DD.")) from None

    def values(self) -> dict:
        data = super().values()
        data["opening_hours"] = {day: parse_spans(getattr(self, f"hours_{day}").data)
                                 for day, _ in WEEKDAYS
                                 if parse_spans(getattr(self, f"hours_{day}").data)}
        data["closed_dates"] = parse_dates(self.closed_dates.data)
        data["instrument_category"] = InstrumentCategory(data["instrument_category"])
        for name in self.BOOKING_RULES:  # an emptied field means the default
            if data[name] is None:
                data[name] = getattr(self, name).default
        return data

    def fill_from(self, instrument) -> None:
        for day, _ in WEEKDAYS:
            spans = (instrument.opening_hours or {}).get(day, [])
            getattr(self, f"hours_{day}").data = ", ".join(f"{a}-{b}" for a, b in spans)
        self.closed_dates.data = ", ".join(instrument.closed_dates or [])


class TechnologyForm(ListingForm):
    patent_number = StringField(_l("Patent application number"),
                                validators=[Optional(), Length(max=30)],
                                description=_l("e.g. ZL201910123456.7 or 2019101234567"))
    patent_type = SelectField(_l("Patent type"), choices=select_choices(
        [("", _l("Not patented / not applicable"))] + [(t.value, t.label) for t in PatentType]))
    ipc_class = StringField(_l("IPC class"), validators=[Optional(), Length(max=40)])
    filing_date = DateField(_l("Filing date"), validators=[Optional()])
    grant_date = DateField(_l("Grant date"), validators=[Optional()])
    legal_status = SelectField(_l("Legal status"), validators=[DataRequired()],
                               choices=select_choices((s.value, s.label) for s in LegalStatus))
    inventors = StringField(_l("Inventors"), validators=[Optional(), Length(max=300)])
    licensing_modes = MultiCheckboxField(
        _l("Licensing modes offered"),
        choices=select_choices((m.value, m.label) for m in LicensingMode))
    asking_price_fen = YuanField(_l("Asking price (yuan)"),
                                 description=_l("Leave empty if the price is negotiable."))
    trl = IntegerField(_l("Technology readiness level (1–9)"),
                       validators=[DataRequired(), NumberRange(1, 9)])
    field_of_application = TextAreaField(_l("Fields of application"),
                                         validators=[Length(max=5000)])

    SPECIFIC = ("patent_number", "patent_type", "ipc_class", "filing_date", "grant_date",
                "legal_status", "inventors", "licensing_modes", "asking_price_fen", "trl",
                "field_of_application")

    def validate_licensing_modes(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one way to license the technology."))

    def values(self) -> dict:
        data = super().values()
        data["patent_type"] = PatentType(data["patent_type"]) if data["patent_type"] else None
        data["legal_status"] = LegalStatus(data["legal_status"])
        return data


class SpaceForm(ListingForm):
    space_type = SelectField(_l("Type of space"), validators=[DataRequired()],
                             choices=select_choices((t.value, t.label) for t in SpaceType))
    area_m2 = IntegerField(_l("Area (m²)"), validators=[DataRequired(), NumberRange(1, 10_000_000)])
    area_free_m2 = IntegerField(_l("Area still free (m²)"),
                                validators=[Optional(), NumberRange(0, 10_000_000)],
                                description=_l("Leave empty if all of it is free."))
    floor_height_m = FloatField(_l("Floor height (m)"), validators=[Optional(), NumberRange(1, 100)])
    floor_load_kn_m2 = FloatField(_l("Floor load (kN/m²)"),
                                  validators=[Optional(), NumberRange(0, 1000)])
    power_kva = IntegerField(_l("Power capacity (kVA)"),
                             validators=[Optional(), NumberRange(0, 1_000_000)])
    rent_fen_per_m2_month = YuanField(_l("Rent (yuan per m² per month)"),
                                      validators=[InputRequired()])
    available_from = DateField(_l("Available from"), validators=[Optional()])
    min_lease_months = IntegerField(_l("Shortest lease (months)"), default=12,
                                    validators=[DataRequired(), NumberRange(1, 600)])
    park_name = StringField(_l("Park"), validators=[Optional(), Length(max=200)])

    SPECIFIC = ("space_type", "area_m2", "area_free_m2", "floor_height_m", "floor_load_kn_m2",
                "power_kva", "rent_fen_per_m2_month", "available_from", "min_lease_months",
                "park_name")

    def values(self) -> dict:
        data = super().values()
        data["space_type"] = SpaceType(data["space_type"])
        if data["area_free_m2"] is None:
            data["area_free_m2"] = data["area_m2"]
        return data


class ExpertiseRow(Form):
    skill = StringField(_l("Skill wanted"), validators=[Optional(), Length(max=200)])
    hours = IntegerField(_l("Hours"), validators=[Optional(), NumberRange(1, 10_000)])


class ResourceRow(Form):
    item = StringField(_l("Resource wanted"), validators=[Optional(), Length(max=200)])
    quantity = StringField(_l("Quantity"), validators=[Optional(), Length(max=60)])
    linked_listing_id = IntegerField(_l("Listing number (optional)"),
                                     validators=[Optional(), NumberRange(1)])


class RewardRow(Form):
    title = StringField(_l("Reward"), validators=[Optional(), Length(max=200)])
    min_pledge_fen = YuanField(_l("Minimum pledge (yuan)"))
    description = StringField(_l("Details"), validators=[Optional(), Length(max=500)])


class CampaignForm(ListingForm):
    money_goal_fen = YuanField(_l("Money goal (yuan)"), validators=[InputRequired()])
    deadline = DateField(_l("Deadline"), validators=[DataRequired()],
                         description=_l("The campaign closes at the end of this day (Beijing time)."))
    expertise_needs = FieldList(FormField(ExpertiseRow), min_entries=3, max_entries=10)
    resource_needs = FieldList(FormField(ResourceRow), min_entries=3, max_entries=10)
    reward_tiers = FieldList(FormField(RewardRow), min_entries=3, max_entries=10)

    SPECIFIC = ("money_goal_fen",)

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for row in (r.form for r in self.expertise_needs):
            if bool(row.skill.data) != bool(row.hours.data):
                row.hours.errors = [*row.hours.errors, _l("Give both the skill and the hours.")]
                ok = False
        for row in (r.form for r in self.reward_tiers):
            if bool(row.title.data) != (row.min_pledge_fen.data is not None):
                row.min_pledge_fen.errors = [*row.min_pledge_fen.errors,
                                             _l("Give both the reward and its minimum pledge.")]
                ok = False
        return ok

    def values(self) -> dict:
        # Rows are read through .form: FormField has attributes (e.g. ``description``) of its own.
        data = super().values()
        data["deadline_date"] = self.deadline.data
        expertise = [r.form for r in self.expertise_needs]
        resources = [r.form for r in self.resource_needs]
        rewards = [r.form for r in self.reward_tiers]
        data["expertise_needs"] = [(r.skill.data.strip(), r.hours.data) for r in expertise
                                   if r.skill.data and r.hours.data]
        data["resource_needs"] = [(r.item.data.strip(), (r.quantity.data or "").strip() or None,
                                   r.linked_listing_id.data) for r in resources if r.item.data]
        data["reward_tiers"] = [(r.title.data.strip(), r.min_pledge_fen.data,
                                 (r.description.data or "").strip()) for r in rewards if r.title.data]
        return data


class NeedForm(ListingForm):
    """An enterprise's need (技术需求): what would solve it, budget, deadline."""

    solution_kinds = MultiCheckboxField(
        _l("What would solve it"),
        choices=select_choices((k.value, k.label) for k in SolutionKind))
    budget_fen = YuanField(_l("Budget (yuan)"),
                           description=_l("Leave empty if you are open to offers."))
    deadline = DateField(_l("Answers wanted by"), validators=[DataRequired()],
                         description=_l("Proposals are accepted until the end of this day "
                                        "(Beijing time)."))

    SPECIFIC = ("solution_kinds", "budget_fen", "deadline")

    def validate_solution_kinds(self, field):
        if not field.data:
            raise ValidationError(_l("Choose at least one kind of solution."))


FORMS = {"instrument": InstrumentForm, "technology": TechnologyForm, "space": SpaceForm,
         "campaign": CampaignForm, "need": NeedForm}


class PhotoForm(FlaskForm):
    photo = FileField(_l("Photo (JPEG, PNG or WebP, up to 5 MB)"), validators=[
        FileRequired(), FileAllowed(["jpg", "jpeg", "png", "webp"],
                                    _l("Only JPEG, PNG or WebP images."))])
    caption = StringField(_l("Caption"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Upload photo"))


class ActionForm(FlaskForm):
    """A CSRF-protected button (publish, archive, delete)."""

    submit = SubmitField(_l("Confirm"))
