"""Payment forms: buttons (CSRF only) and the choice of method."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from marketplace.forms import select_choices
from marketplace.payments.models import PaymentMethod


class PaymentActionForm(FlaskForm):
    """A CSRF-protected button on a payment (confirm, pay online, confirm a refund)."""

    submit = SubmitField(_l("Confirm"))


class CancelPaymentForm(FlaskForm):
    reason = StringField(_l("Reason (optional)"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Cancel this payment"))


class PayForm(FlaskForm):
    method = SelectField(_l("How to pay"), validators=[DataRequired()])
    submit = SubmitField(_l("Continue"))

    def __init__(self, *args, online: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        methods = [PaymentMethod.BANK_TRANSFER] + ([PaymentMethod.STRIPE] if online else [])
        self.method.choices = select_choices((m.value, m.label) for m in methods)
        if not self.is_submitted():
            self.method.data = methods[-1].value
