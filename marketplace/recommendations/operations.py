"""Recommendation feedback, listing views and the weekly digest (skeleton; bodies follow)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

NOT_RELEVANT_REASONS = ("wrong_field", "too_far", "too_expensive", "already_have")
REASON_LABELS = {
    "wrong_field": _l("Not my field"),
    "too_far": _l("Too far away"),
    "too_expensive": _l("Too expensive"),
    "already_have": _l("We already have this"),
}


def mark_not_relevant(session, organization, listing, reason: str, user, now):
    raise NotImplementedError


def record_view(session, organization, listing, now) -> None:
    return None


def send_weekly_digests(session, now) -> int:
    raise NotImplementedError
