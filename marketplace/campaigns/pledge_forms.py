"""The money pledge form (筹资金): amount in yuan, an optional reward, how to pay, anonymity.

The form only parses; ``pledges.pledge_money`` applies the rules (live campaign, the reward's
minimum and units left). ``request_key`` is a random key made when the form is shown, so a
double-clicked button (or a resent form) finds the pledge the first click made.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length

from marketplace.forms import select_choices
from marketplace.money import format_fen
from marketplace.payments.models import PaymentMethod
from marketplace.publishing.forms import YuanField

NO_TIER = "none"
PERSONAL = "personal"


class PledgeForm(FlaskForm):
    amount = YuanField(_l("Amount (yuan)"),
                       validators=[InputRequired(message=_l("Enter the amount you pledge."))])
    tier_id = SelectField(_l("Reward"), validators=[DataRequired()])
    organization_id = SelectField(_l("Pledge as"), validators=[DataRequired()])
    method = RadioField(_l("Pay by"), validators=[DataRequired(message=_l("Choose how you will pay."))])
    anonymous = BooleanField(_l("Do not show my name in the list of backers"))
    request_key = HiddenField(validators=[Length(max=64)])
    submit = SubmitField(_l("Pledge"))

    def __init__(self, *args, tiers=(), units_left=None, organizations=(), stripe=False,
                 **kwargs):
        """``tiers``: the campaign's reward tiers; ``units_left`` maps a tier id to the units
        still available (None = unlimited); ``stripe``: whether online payment is offered."""
        super().__init__(*args, **kwargs)
        units_left = units_left or {}
        choices = [(NO_TIER, _l("No reward, just support"))]
        for tier in tiers:
            left = units_left.get(tier.id)
            if left is None:
                label = _l("%(title)s (from %(amount)s)", title=tier.title,
                           amount=format_fen(tier.min_pledge_fen))
            elif left == 0:
                label = _l("%(title)s (from %(amount)s, sold out)", title=tier.title,
                           amount=format_fen(tier.min_pledge_fen))
            else:
                label = _l("%(title)s (from %(amount)s, %(left)s left)", title=tier.title,
                           amount=format_fen(tier.min_pledge_fen), left=left)
            # str(): a lazy string is Markup to Jinja (__html__): the maker-typed title would
            # not be escaped
            choices.append((tier.id, str(label)))
        self.tier_id.choices = select_choices(choices)
        self.organization_id.choices = select_choices(
            [(PERSONAL, _l("Myself"))] + [(o.id, o.name_zh) for o in organizations])
        methods = [(PaymentMethod.BANK_TRANSFER.value, PaymentMethod.BANK_TRANSFER.label)]
        if stripe:
            methods.insert(0, (PaymentMethod.STRIPE.value, PaymentMethod.STRIPE.label))
        self.method.choices = select_choices(methods)
        if not self.is_submitted():
            self.tier_id.data = NO_TIER
            self.organization_id.data = PERSONAL
            self.method.data = methods[0][0]

    @property
    def tier_choice(self) -> int | None:
        return None if self.tier_id.data in (None, "", NO_TIER) else int(self.tier_id.data)

    @property
    def organization_choice(self) -> int | None:
        value = self.organization_id.data
        return None if value in (None, "", PERSONAL) else int(value)



class MatchFundForm(FlaskForm):
    """An officer lets a programme match the campaign's pledges 1:1, up to a cap."""

    programme_id = SelectField(_l("Programme"), validators=[DataRequired()])
    cap = YuanField(_l("Cap for this campaign (yuan)"),
                    validators=[InputRequired(message=_l("Enter the cap."))])
    submit = SubmitField(_l("Match pledges"))

    def __init__(self, *args, programmes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.programme_id.choices = select_choices((p.id, p.name_zh) for p in programmes)
