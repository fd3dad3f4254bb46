"""Review forms: write a review, report one. Explicit fields only."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from marketplace.forms import select_choices
from marketplace.reviews.models import MAX_REASON, MAX_TEXT


class ReviewForm(FlaskForm):
    stars = RadioField(_l("Rating"), validators=[InputRequired(message=_l("Give from 1 to 5 stars."))],
                       )
    text = TextAreaField(_l("Your review (optional)"), validators=[Optional(), Length(max=MAX_TEXT)])
    submit = SubmitField(_l("Publish the review"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stars.choices = select_choices([(n, "★" * n) for n in range(5, 0, -1)])


class ReportReviewForm(FlaskForm):
    reason = TextAreaField(_l("What is wrong with this review?"),
                           validators=[DataRequired(), Length(max=MAX_REASON)])
    submit = SubmitField(_l("Report"))


class ButtonForm(FlaskForm):
    """A button: only the CSRF token."""

    submit = SubmitField(_l("Confirm"))
