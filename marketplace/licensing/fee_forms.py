"""Licence fee forms: the owner's express licence terms; taking an express licence; paying an
agreement's fee. The forms only parse; ``licensing.fees`` applies the rules. ``request_key`` is a
random key made when a form is shown, so a double-clicked button finds what the first click made.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectField, SubmitField
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from marketplace.forms import select_choices
from marketplace.licensing.fee_models import (
    MAX_EXPRESS_TERM_YEARS,
    MAX_FIELD_OF_USE,
    MAX_TERRITORY,
)
from marketplace.payments.models import PaymentMethod
from marketplace.publishing.forms import YuanField

NO_VOUCHER = "none"


def _positive(form, field):
    if field.data is not None and field.data <= 0:
        raise ValidationError(_l("Enter a price above ¥0."))


class ExpressLicenceForm(FlaskForm):
    price = YuanField(_l("Price (yuan)"),
                      validators=[InputRequired(message=_l("Enter the price.")), _positive])
    term_years = IntegerField(_l("Term (years)"), default=3, validators=[
        InputRequired(message=_l("Enter the term in years.")),
        NumberRange(1, MAX_EXPRESS_TERM_YEARS)])
    territory = StringField(_l("Territory"), default="中国大陆", validators=[
        DataRequired(message=_l("Say where the licence applies.")), Length(max=MAX_TERRITORY)])
    field_of_use = TextAreaField(_l("Field of use"), validators=[
        DataRequired(message=_l("Say for which field of use the licence is granted.")),
        Length(max=MAX_FIELD_OF_USE)])
    is_active = BooleanField(_l("Offer this express licence on the listing"), default=True)
    submit = SubmitField(_l("Save the express licence"))

    def fill_from(self, express) -> None:
        self.price.data = express.price_fen
        self.term_years.data = express.term_years
        self.territory.data = express.territory
        self.field_of_use.data = express.field_of_use
        self.is_active.data = express.is_active


class _PayFields(FlaskForm):
    programme_id = SelectField(_l("Innovation vouchers"), validators=[DataRequired()])
    method = RadioField(_l("Pay the rest by"),
                        validators=[DataRequired(message=_l("Choose how you will pay."))])
    request_key = HiddenField(validators=[Length(max=64)])

    def _set_choices(self, programmes, online: bool) -> None:
        self.programme_id.choices = select_choices(
            [(NO_VOUCHER, _l("Do not use vouchers"))] + [(p.id, p.name_zh) for p in programmes])
        methods = [(PaymentMethod.BANK_TRANSFER.value, PaymentMethod.BANK_TRANSFER.label)]
        if online:
            methods.insert(0, (PaymentMethod.STRIPE.value, PaymentMethod.STRIPE.label))
        self.method.choices = select_choices(methods)
        if not self.is_submitted():
            self.programme_id.data = str(programmes[0].id) if programmes else NO_VOUCHER
            self.method.data = methods[0][0]

    @property
    def programme_choice(self) -> int | None:
        value = self.programme_id.data
        return None if value in (None, "", NO_VOUCHER) else int(value)


class PayLicenceFeeForm(_PayFields):
    submit = SubmitField(_l("Pay the licence fee"))

    def __init__(self, *args, programmes=(), online: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self._set_choices(list(programmes), online)


class TakeExpressLicenceForm(_PayFields):
    organization_id = SelectField(_l("Licensee"), validators=[DataRequired()])
    submit = SubmitField(_l("Take the licence and pay"))

    def __init__(self, *args, organizations=(), programmes=(), online: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization_id.choices = select_choices((o.id, o.name_zh) for o in organizations)
        if not self.is_submitted() and organizations:
            self.organization_id.data = str(organizations[0].id)
        self._set_choices(list(programmes), online)

    @property
    def organization_choice(self) -> int | None:
        value = self.organization_id.data
        return int(value) if value not in (None, "") else None
