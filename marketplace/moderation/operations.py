"""Moderation operations: take-downs, appeals, decisions, user suspension.

Invariants:
* only officers take down, decide and suspend; each of those acts writes an audit entry on the
  object it acts on (the listing, review or user), in the same transaction;
* at most one active take-down per object (checked under the writer lock);
* a taken-down listing is archived (so it leaves the public pages, search and the API through
  the existing archive mechanics and index hooks) and cannot be published again by its owner
  while the take-down stands (``check_not_taken_down``, called by publishing and by the
  campaign launch); a restore returns it to the status it had (``previous_status``);
* a LIVE campaign is never simply hidden with money in it: the officer must confirm closing
  it, and it is then closed as failed through the campaign close handlers, so every paid pledge
  is refunded and pending ones are cancelled (a restore shows it again, closed);
* a review is hidden with the reviews' own hide mechanism (its open reports are closed);
* one appeal, by a member of the owner's organisation, while the take-down is active;
* a suspension ends every session of the user at once and blocks signing in; it is reversible;
  an officer cannot suspend themselves, and only an admin suspends an officer or admin.
Operations flush, never commit.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from listings.models import Campaign, Listing, ListingStatus
from marketplace.audit import record_audit
from marketplace.errors import ConflictError, DomainError, InvalidStateError, NotAllowedError
from marketplace.extensions import utcnow
from marketplace.mail import send_mail
from marketplace.moderation.models import (
    MAX_APPEAL,
    MAX_REASON,
    Takedown,
    TakedownObject,
    TakedownStatus,
)
from marketplace.transactions import begin_write, lock
from marketplace.urls import external_url

log = logging.getLogger(__name__)


def _officer(user) -> None:
    if not (user and user.is_authenticated and user.is_officer):
        raise NotAllowedError(_("Only programme officers moderate."))


def _text(value: str | None, limit: int, field: str, empty_message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(empty_message, field)
    if len(value) > limit:
        raise DomainError(_("At most %(n)d characters.", n=limit), field)
    return value


# ---------------------------------------------------------------------------------------------
# reading
def get_active_takedown(session: Session, object_type: TakedownObject, object_id: int):
    return session.scalars(sa.select(Takedown).where(
        Takedown.object_type == object_type, Takedown.object_id == object_id,
        Takedown.status == TakedownStatus.ACTIVE)).first()


def list_takedowns_of(session: Session, object_type: TakedownObject, object_id: int):
    return list(session.scalars(sa.select(Takedown).where(
        Takedown.object_type == object_type, Takedown.object_id == object_id)
        .order_by(Takedown.id.desc())))


def list_takedowns(session: Session, status: TakedownStatus | None = None) -> list[Takedown]:
    """Appeals waiting first, then the newest."""
    query = sa.select(Takedown)
    if status is not None:
        query = query.where(Takedown.status == status)
    pending_first = sa.case((sa.and_(Takedown.status == TakedownStatus.ACTIVE,
                                     Takedown.appealed_at.is_not(None)), 0), else_=1)
    return list(session.scalars(query.order_by(pending_first, Takedown.id.desc()).limit(200)))


def list_organization_takedowns(session: Session, organization_ids) -> list[Takedown]:
    ids = list(organization_ids)
    if not ids:
        return []
    return list(session.scalars(sa.select(Takedown).where(
        Takedown.organization_id.in_(ids), Takedown.status != TakedownStatus.RESTORED)
        .order_by(Takedown.id.desc())))


def object_of(session: Session, takedown: Takedown):
    if takedown.object_type == TakedownObject.LISTING:
        return session.get(Listing, takedown.object_id)
    from marketplace.reviews.models import Review

    return session.get(Review, takedown.object_id)


def check_not_taken_down(session: Session, listing: Listing) -> None:
    """Refuse publishing a listing whose take-down stands (active or upheld)."""
    standing = session.scalars(sa.select(Takedown).where(
        Takedown.object_type == TakedownObject.LISTING, Takedown.object_id == listing.id,
        Takedown.status != TakedownStatus.RESTORED)).first()
    if standing is not None:
        raise InvalidStateError(_("The programme office has taken this listing down (“%(reason)s”)"
                                  "; it cannot be published again unless the office restores "
                                  "it. You may appeal once from the notice on its page.",
                                  reason=standing.reason))


# ---------------------------------------------------------------------------------------------
# take-downs
def _notify(takedown: Takedown, title: str, subject_key: str) -> None:
    link = external_url("moderation_owner.appeal", takedown_id=takedown.id)
    for membership in takedown.organization.memberships:
        user = membership.user
        if user is None or not user.is_active:
            continue
        with force_locale(user.locale or "zh_CN"):
            if subject_key == "takedown":
                subject = _("Taken down by the programme office: %(title)s", title=title)
                body = _("The programme office has taken “%(title)s” down. Reason:\n%(reason)s"
                         "\n\nIt is hidden from the public until the office restores it. A member "
                         "of your organisation may appeal once:", title=title,
                         reason=takedown.reason)
            else:
                subject = _("Decision on your appeal: %(title)s", title=title)
                body = _("The programme office has decided: %(decision)s.\n%(note)s",
                         decision=takedown.status.label, note=takedown.decision_note or "")
            send_mail(user.email, str(subject)[:200], f"{body}\n\n{link}")


def _fail_live_campaign(session: Session, campaign: Campaign, officer, now: datetime) -> None:
    """Close a live campaign as failed through the campaign close handlers (refunds)."""
    from marketplace.campaigns import operations as campaigns
    from marketplace.campaigns.models import CampaignRun, CampaignState

    run = lock(session, CampaignRun, campaign.run.id)
    if run is None or run.state != CampaignState.LIVE:
        return
    before = run.snapshot()
    run.close(False, campaigns.money_raised_fen(session, campaign), now)
    session.flush()
    # the same handlers as the deadline close: the pledges slice refunds every paid pledge
    for handler in list(campaigns._close_handlers):
        handler(session, campaign, False, now)
    record_audit(officer, "campaign.close", run, before=before, after=run.snapshot(),
                 note="taken down by the programme office")


def take_down_listing(session: Session, listing: Listing, officer, reason: str, *,
                      close_campaign: bool = False, now: datetime | None = None) -> Takedown:
    """Hide a listing of any kind (campaigns too) with a reason; the owner is told."""
    _officer(officer)
    reason = _text(reason, MAX_REASON, "reason", _("Give the reason the owner will read."))
    now = now or utcnow()
    begin_write(session)
    if get_active_takedown(session, TakedownObject.LISTING, listing.id) is not None:
        raise ConflictError(_("This listing is already taken down."))
    closed = False
    if isinstance(listing, Campaign) and listing.run is not None and listing.run.is_live:
        if not close_campaign:
            raise DomainError(_("This campaign is live and may hold pledges. To take it down, "
                                "confirm that it is closed as failed: every paid pledge is "
                                "refunded."), "close_campaign")
        _fail_live_campaign(session, listing, officer, now)
        closed = True
    takedown = Takedown(object_type=TakedownObject.LISTING, object_id=listing.id,
                        organization_id=listing.organization_id, reason=reason,
                        officer_id=officer.id, created_at=now, status=TakedownStatus.ACTIVE,
                        previous_status=listing.status.value, closed_campaign=closed)
    session.add(takedown)
    before = {"status": listing.status.value}
    listing.archive(now)
    listing.updated_at = now  # the index hooks remove it after the commit
    session.flush()
    record_audit(officer, "moderation.take_down", listing, before=before,
                 after={"status": listing.status.value, "takedown": takedown.id,
                        "closed_campaign": closed}, note=reason)
    _notify(takedown, listing.title_for("zh"), "takedown")
    log.info("listing %s taken down by officer %s", listing.id, officer.id)
    return takedown


def take_down_review(session: Session, review, officer, reason: str,
                     now: datetime | None = None) -> Takedown:
    """Hide a review (the reviews' hide, closing its reports) with a reason."""
    from marketplace.reviews import operations as reviews

    _officer(officer)
    reason = _text(reason, MAX_REASON, "reason", _("Give the reason the owner will read."))
    now = now or utcnow()
    begin_write(session)
    if get_active_takedown(session, TakedownObject.REVIEW, review.id) is not None:
        raise ConflictError(_("This review is already taken down."))
    reviews.hide_review(session, review, officer)
    takedown = Takedown(object_type=TakedownObject.REVIEW, object_id=review.id,
                        organization_id=review.author_org_id, reason=reason,
                        officer_id=officer.id, created_at=now, status=TakedownStatus.ACTIVE,
                        previous_status="visible")
    session.add(takedown)
    session.flush()
    record_audit(officer, "moderation.take_down", review, before={"hidden": False},
                 after={"hidden": True, "takedown": takedown.id}, note=reason)
    _notify(takedown, _("your review #%(id)s", id=review.id), "takedown")
    return takedown


def appeal_takedown(session: Session, takedown: Takedown, user, text: str,
                    now: datetime | None = None) -> None:
    """The owner's one appeal."""
    if not (user and user.is_authenticated and takedown.organization.is_member(user)):
        raise NotAllowedError(_("Only members of the owner's organisation can appeal."))
    begin_write(session)
    session.refresh(takedown)
    if not takedown.is_active:
        raise InvalidStateError(_("This take-down has been decided; it cannot be appealed."))
    if takedown.has_appeal:
        raise ConflictError(_("Your organisation has already appealed; there is one appeal."))
    if not takedown.can_appeal(user):
        raise NotAllowedError(_("Only members of the owner's organisation can appeal."))
    takedown.appeal_text = _text(text, MAX_APPEAL, "text", _("Write your appeal."))
    takedown.appealed_at, takedown.appealed_by_id = now or utcnow(), user.id
    session.flush()
    record_audit(user, "moderation.appeal", takedown)


def decide_takedown(session: Session, takedown: Takedown, officer, *, restore: bool,
                    note: str = "", now: datetime | None = None) -> None:
    """Uphold (the item stays hidden for good) or restore (it returns to what it was)."""
    _officer(officer)
    note = (note or "").strip()
    if len(note) > MAX_REASON:
        raise DomainError(_("At most %(n)d characters.", n=MAX_REASON), "note")
    now = now or utcnow()
    begin_write(session)
    session.refresh(takedown)
    if not takedown.is_active:
        raise InvalidStateError(_("This take-down has already been decided."))
    obj = object_of(session, takedown)
    if restore and obj is not None:
        if takedown.object_type == TakedownObject.LISTING:
            previous = ListingStatus(takedown.previous_status or "archived")
            if previous == ListingStatus.PUBLISHED:
                obj.publish(now)
            else:
                obj.status = previous
                if previous != ListingStatus.ARCHIVED:
                    obj.archived_at = None
            obj.updated_at = now
        else:
            obj.hidden_at, obj.hidden_by_id = None, None
    takedown.status = TakedownStatus.RESTORED if restore else TakedownStatus.UPHELD
    takedown.decided_at, takedown.decided_by_id = now, officer.id
    takedown.decision_note = note or None
    session.flush()
    if obj is not None:
        record_audit(officer, "moderation.restore" if restore else "moderation.uphold", obj,
                     after={"takedown": takedown.id}, note=note or None)
    title = (obj.title_for("zh") if takedown.object_type == TakedownObject.LISTING and obj
             else _("your review #%(id)s", id=takedown.object_id))
    _notify(takedown, title, "decision")


# ---------------------------------------------------------------------------------------------
# suspension
def _can_suspend(officer, user) -> None:
    _officer(officer)
    if user.id == officer.id:
        raise NotAllowedError(_("You cannot suspend your own account."))
    if user.is_officer and not officer.is_admin:
        raise NotAllowedError(_("Only an administrator can suspend an officer."))


def suspend_user(session: Session, user, officer, reason: str,
                 now: datetime | None = None) -> int:
    """Suspend: every session ends at once, signing in is refused; returns sessions ended."""
    from marketplace.auth.operations import revoke_other_sessions

    _can_suspend(officer, user)
    reason = _text(reason, MAX_REASON, "reason", _("Give the reason for the suspension."))
    if user.is_suspended:
        raise ConflictError(_("This account is already suspended."))
    user.suspended_at, user.suspended_reason = now or utcnow(), reason
    ended = revoke_other_sessions(user)
    session.flush()
    record_audit(officer, "user.suspended", user, after={"sessions_ended": ended}, note=reason)
    return ended


def unsuspend_user(session: Session, user, officer) -> None:
    """Lift a suspension; the user may sign in again."""
    _can_suspend(officer, user)
    if not user.is_suspended:
        raise ConflictError(_("This account is not suspended."))
    before = {"suspended_reason": user.suspended_reason}
    user.suspended_at, user.suspended_reason = None, None
    session.flush()
    record_audit(officer, "user.unsuspended", user, before=before)
