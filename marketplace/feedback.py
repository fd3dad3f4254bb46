"""Structured feedback when an enquiry, an offer or a proposal is declined (step 5): the reason
is one of a few fixed values, so that the owner can see them in aggregate, plus optional text."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l


class DeclineReason(enum.StrEnum):
    TOO_EARLY = "too_early"
    NOT_OUR_FIELD = "not_our_field"
    PRICE = "price"
    TERMS = "terms"
    OTHER = "other"

    @property
    def label(self):
        return DECLINE_REASON_LABELS[self]


DECLINE_REASON_LABELS = {
    DeclineReason.TOO_EARLY: _l("Too early for us"),
    DeclineReason.NOT_OUR_FIELD: _l("Not our field"),
    DeclineReason.PRICE: _l("Price"),
    DeclineReason.TERMS: _l("Terms"),
    DeclineReason.OTHER: _l("Other"),
}

MAX_FEEDBACK_NOTE = 1000  # characters of optional text with a reason
