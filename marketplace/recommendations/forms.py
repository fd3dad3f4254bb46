"""Forms for the recommendation panels: "not relevant" with a reason, and the invite button."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, SubmitField
from wtforms.validators import AnyOf, DataRequired, Optional

from marketplace.forms import select_choices
from marketplace.recommendations.operations import NOT_RELEVANT_REASONS, REASON_LABELS

# the dashboard's tabs: all kinds, or one (a need is not recommended to enterprises)
PANEL_KINDS = ("instrument", "technology", "space", "campaign")


class NotRelevantForm(FlaskForm):
    reason = SelectField(
        _l("Why is it not relevant?"),
        validators=[DataRequired(message=_l("Choose why it is not relevant."))],
        choices=select_choices((reason, REASON_LABELS[reason]) for reason in NOT_RELEVANT_REASONS))
    # the tab to go back to (not a URL: nothing to redirect elsewhere with)
    kind = HiddenField(validators=[Optional(), AnyOf(PANEL_KINDS)])
    submit = SubmitField(_l("Not relevant"))


class InviteForm(FlaskForm):
    """A button: only the CSRF token."""

    submit = SubmitField(_l("Invite"))
