"""Reimbursement batch forms."""

from __future__ import annotations

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length

from marketplace.forms import select_choices


def previous_month(today: date) -> tuple[date, date]:
    """The first and last day of the calendar month before ``today``'s."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


class CreateBatchForm(FlaskForm):
    programme_id = SelectField(_l("Programme"), validators=[DataRequired()])
    # InputRequired, not DataRequired: that would hide "not a valid date" behind "required"
    period_start = DateField(_l("From (completion date)"), validators=[InputRequired()])
    period_end = DateField(_l("To (inclusive)"), validators=[InputRequired()])
    submit = SubmitField(_l("Create batch"))

    def __init__(self, *args, programmes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.programme_id.choices = select_choices((p.id, p.name_zh) for p in programmes)


class InvoiceForm(FlaskForm):
    invoice_number = StringField(_l("Invoice number"), validators=[DataRequired(), Length(max=60)])
    submit = SubmitField(_l("Save"))


class PayForm(FlaskForm):
    reference = StringField(_l("Payment reference"), validators=[DataRequired(), Length(max=100)],
                            description=_l("The reference of the finance bureau's transfer."))
    submit = SubmitField(_l("Mark as paid"))


class ActionForm(FlaskForm):
    """A CSRF-protected button (approve, discard, remove an item)."""

    submit = SubmitField(_l("Confirm"))
