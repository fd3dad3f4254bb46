"""Booking forms: book a slot (preview, then confirm), the lab's decisions and usage records,
cancellation, training records. Times are typed in Beijing time; the forms only parse them, the
operations apply the instrument's rules."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
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

from marketplace.bookings import rules
from marketplace.forms import select_choices
from marketplace.organizations.models import OrganizationKind

SELF_PAID = "self"
_CLOCK = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)(?::00)?$")


class ClockField(StringField):
    """A wall-clock time "HH:MM" (Beijing time); ``data`` is the normalised "HH:MM" or None.
    "24:00" is the end of the day."""

    def process_formdata(self, valuelist):
        self.data = None
        raw = (valuelist[0] if valuelist else "").strip()
        self.raw_text = raw
        if not raw:
            return
        match = _CLOCK.match(raw)
        if not match or (int(match[1]) == 24 and match[2] != "00"):
            raise ValueError(str(_l("Write the time as HH:MM, e.g. 09:30.")))
        self.data = f"{int(match[1]):02d}:{match[2]}"

    def _value(self):
        if self.data:
            return self.data
        return getattr(self, "raw_text", "") or ""


class BookingForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Choose the day."))])
    starts_at = ClockField(_l("From (Beijing time)"),
                           validators=[InputRequired(message=_l("Enter the start time."))])
    ends_at = ClockField(_l("Until (Beijing time)"),
                         validators=[InputRequired(message=_l("Enter the end time."))])
    organization_id = SelectField(_l("Book for"), validators=[DataRequired()])
    programme_id = SelectField(_l("Pay with"), validators=[DataRequired()])
    purpose = TextAreaField(_l("What you will measure or make"),
                            validators=[Optional(), Length(max=2000)])
    # a random key made when the form is first shown: a repeated confirm finds the same booking
    request_key = HiddenField()
    preview = SubmitField(_l("Show the price"))
    confirm = SubmitField(_l("Confirm the booking"))
    edit = SubmitField(_l("Change"))

    def __init__(self, *args, organizations=(), programmes=(), usable=None, **kwargs):
        """``programmes``: every programme the user's organisations may pay with; ``usable``
        maps an organisation id to the ids of its programmes (for the page's script)."""
        super().__init__(*args, **kwargs)
        self.organization_id.choices = select_choices((o.id, o.name_zh) for o in organizations)
        usable = usable or {}
        choices = select_choices([(SELF_PAID, _l("Self-paid (the lab invoices you)"))])
        for programme in programmes:
            orgs = " ".join(str(org_id) for org_id, ids in usable.items() if programme.id in ids)
            choices.append(SelectChoice(str(programme.id),
                                        # str(): a lazy string is Markup to Jinja (__html__),
                                        # so the officer-typed name would not be escaped
                                        str(_l("Innovation vouchers: %(name)s",
                                               name=programme.name_zh)),
                                        render_kw={"data-orgs": orgs}))
        self.programme_id.choices = choices
        if not self.is_submitted():
            enterprise = next((o for o in organizations if o.kind == OrganizationKind.ENTERPRISE),
                              organizations[0] if organizations else None)
            if enterprise is not None:
                self.organization_id.data = str(enterprise.id)
                first = next((p for p in programmes if p.id in usable.get(enterprise.id, ())), None)
                self.programme_id.data = str(first.id) if first else SELF_PAID

    def validate_day(self, field):
        if field.data and not date(2000, 1, 1) <= field.data <= date(2100, 12, 31):
            raise ValidationError(_l("Choose a day between 2000 and 2100."))

    def prefill(self, args, instrument) -> None:
        """Day and start from the calendar link (?date=YYYY-MM-DD&start=HH:MM); bad values are
        ignored. The end is the shortest booking after the start, on the grid."""
        try:
            self.day.data = date.fromisoformat(args.get("date", ""))
        except ValueError:
            return
        match = _CLOCK.match(args.get("start", ""))
        if not match or int(match[1]) > 23:
            return
        start = int(match[1]) * 60 + int(match[2])
        step = instrument.booking_step_minutes
        end = start + max(step, -(-instrument.min_booking_minutes // step) * step)
        self.starts_at.data = f"{start // 60:02d}:{start % 60:02d}"
        if end <= 24 * 60:  # midnight shows as 00:00 (time inputs know no 24:00); see times()
            end %= 24 * 60
            self.ends_at.data = f"{end // 60:02d}:{end % 60:02d}"

    def times(self) -> tuple[datetime, datetime]:
        """The chosen interval in UTC. An end of 00:00 after a later start means midnight."""
        end = self.ends_at.data
        if end == "00:00" and self.starts_at.data != "00:00":
            end = "24:00"
        return rules.at_local(self.day.data, self.starts_at.data), rules.at_local(self.day.data, end)

    @property
    def programme_choice(self) -> int | None:
        value = self.programme_id.data
        return None if value in (None, "", SELF_PAID) else int(value)


class BookingActionForm(FlaskForm):
    """A CSRF-protected button on a booking (approve, no-show, payment received)."""

    # where to go afterwards: the booking page or the lab's inbox (never a free URL)
    return_to = HiddenField(default="show")
    submit = SubmitField(_l("Confirm"))


class CancelBookingForm(BookingActionForm):
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=1000)])
    submit = SubmitField(_l("Cancel the booking"))


class RejectBookingForm(BookingActionForm):
    reason = TextAreaField(_l("Reason for the user"), validators=[
        DataRequired(message=_l("Tell the user why the booking is rejected.")), Length(max=1000)])
    submit = SubmitField(_l("Reject"))


class CompleteBookingForm(BookingActionForm):
    actual_minutes = IntegerField(_l("Minutes actually used"), validators=[
        InputRequired(message=_l("Enter the minutes actually used (more than 0).")),
        NumberRange(1, 14 * 24 * 60)])
    usage_note = TextAreaField(_l("Usage note (samples, results handed over)"),
                               validators=[Optional(), Length(max=2000)])
    invoice_number = StringField(_l("Invoice number"), validators=[Optional(), Length(max=60)])
    submit = SubmitField(_l("Record usage"))


class GrantQualificationForm(FlaskForm):
    email = EmailField(_l("E-mail of the trained user"), validators=[
        DataRequired(), Length(max=254), Email(check_deliverability=False)])
    note = StringField(_l("Note (e.g. date of the training)"),
                       validators=[Optional(), Length(max=300)])
    submit = SubmitField(_l("Record training"))


class PlainActionForm(FlaskForm):
    """A CSRF-protected button (revoke a qualification, create the calendar link)."""

    submit = SubmitField(_l("Confirm"))
