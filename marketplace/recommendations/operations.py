"""Recommendation feedback, listing views and the weekly digest.

Invariants:
* one ``NotRelevant`` per organisation and listing (marking twice returns the first row); the
  listing is never recommended to that organisation again and trains the model as a negative;
* one ``ListingView`` row per organisation, listing and Asia/Shanghai day; views of one's own
  listings are not recorded (they say nothing about wanting them);
* at most one digest per organisation and ISO week (``DigestSent`` is inserted before the mails
  are queued, in the same transaction, so a rolled-back run sends nothing and a second run in the
  same week sends nothing more).

Operations flush, never commit; the caller (view, CLI command, job) commits once.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.errors import DomainError, NotAllowedError
from marketplace.recommendations.data import beijing_day, iso_week
from marketplace.recommendations.models import DigestSent, ListingView, NotRelevant

log = logging.getLogger(__name__)

NOT_RELEVANT_REASONS = ("wrong_field", "too_far", "too_expensive", "already_have")
REASON_LABELS = {
    "wrong_field": _l("Not our field"),
    "too_far": _l("Too far away"),
    "too_expensive": _l("Too expensive"),
    "already_have": _l("We already have this"),
}
DIGEST_SIZE = 5


def mark_not_relevant(session: Session, organization, listing, reason: str, user,
                      now: datetime) -> NotRelevant:
    """The organisation does not want this listing recommended again (idempotent)."""
    if reason not in NOT_RELEVANT_REASONS:
        raise DomainError(_("Choose one of the reasons."), "reason")
    if not organization.is_member(user):
        raise NotAllowedError(_("You are not a member of that organisation."))
    if listing.organization_id == organization.id:
        raise DomainError(_("This is your own listing."))
    existing = _find_not_relevant(session, organization.id, listing.id)
    if existing is not None:
        return existing
    row = NotRelevant(organization_id=organization.id, listing_id=listing.id, reason=reason,
                      user_id=user.id, created_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # marked at the same moment by another request
        found = _find_not_relevant(session, organization.id, listing.id)
        if found is None:
            raise
        return found
    log.info("organisation %s marked listing %s not relevant (%s)", organization.id, listing.id,
             reason)
    return row


def _find_not_relevant(session: Session, organization_id: int, listing_id: int):
    return session.scalars(sa.select(NotRelevant).where(
        NotRelevant.organization_id == organization_id,
        NotRelevant.listing_id == listing_id)).one_or_none()


def record_view(session: Session, organization, listing, now: datetime) -> None:
    """Count one view of the listing by the organisation today (Beijing day)."""
    if organization is None or listing is None or listing.organization_id == organization.id:
        return
    day = beijing_day(now)
    if _increment_view(session, organization.id, listing.id, day):
        return
    try:
        with session.begin_nested():
            session.add(ListingView(organization_id=organization.id, listing_id=listing.id,
                                    viewed_on=day, views=1))
    except IntegrityError:  # the first view of the day arrived twice at once
        if not _increment_view(session, organization.id, listing.id, day):
            raise


def _increment_view(session: Session, organization_id: int, listing_id: int, day) -> bool:
    table = ListingView.__table__
    result = session.execute(sa.update(table).where(
        table.c.organization_id == organization_id, table.c.listing_id == listing_id,
        table.c.viewed_on == day).values(views=table.c.views + 1))
    return result.rowcount > 0


def send_weekly_digests(session: Session, now: datetime) -> int:
    """Mail each verified enterprise's members its recommendations, once per ISO week; returns
    how many organisations got a digest."""
    from marketplace.organizations.models import (
        Membership,
        Organization,
        OrganizationKind,
        VerificationStatus,
    )

    week = iso_week(now)
    already = sa.select(DigestSent.organization_id).where(DigestSent.iso_week == week)
    has_members = sa.exists().where(Membership.organization_id == Organization.id)
    organizations = session.scalars(sa.select(Organization).where(
        Organization.status == VerificationStatus.VERIFIED,
        Organization.kind == OrganizationKind.ENTERPRISE, has_members,
        Organization.id.not_in(already)).order_by(Organization.id)).all()
    sent = 0
    for organization in organizations:
        if _send_digest(session, organization, week, now):
            sent += 1
    log.info("weekly digests for %s: %d sent", week, sent)
    return sent


def _send_digest(session: Session, organization, week: str, now: datetime) -> bool:
    from marketplace.mail import send_mail
    from marketplace.recommendations import service

    recipients = [m.user for m in organization.memberships
                  if m.user is not None and m.user.is_active]
    if not recipients or not service.recommend_for_organization(organization, limit=1):
        return False
    try:
        with session.begin_nested():
            session.add(DigestSent(organization_id=organization.id, iso_week=week, sent_at=now))
    except IntegrityError:  # another run sent it just now
        return False
    by_locale: dict[str, list] = {}
    for user in recipients:
        by_locale.setdefault(user.locale or "zh_CN", []).append(user)
    for locale, users in by_locale.items():
        with force_locale(locale):
            recommendations = service.recommend_for_organization(organization,
                                                                 limit=DIGEST_SIZE)
            subject, body = _digest_text(organization, recommendations, locale)
        for user in users:
            send_mail(user.email, subject, body)
    return True


def _digest_text(organization, recommendations, locale: str) -> tuple[str, str]:
    from marketplace.urls import external_url

    language = "en" if locale.startswith("en") else "zh"
    subject = _("This week's recommendations for %(name)s — Changzhi Innovation Exchange",
                name=organization.name_en if language == "en" and organization.name_en
                else organization.name_zh)
    lines = [_("Listings on the Changzhi Innovation Exchange that may suit you this week:"), ""]
    for number, rec in enumerate(recommendations, 1):
        listing = rec.listing
        lines.append(f"{number}. {listing.title_for(language)} ({listing.kind.label})")
        lines += [f"   · {reason.text}" for reason in rec.reasons]
        lines.append("   " + external_url("catalogue.show", listing_id=listing.id))
        lines.append("")
    lines.append(_("You receive this digest because you are a member of %(name)s. "
                   "Listings you mark as not relevant are not recommended again.",
                   name=organization.name_zh))
    return subject, "\n".join(lines)
