"""Space leasing operations: viewing requests, lease offers and the leases they conclude.

Invariants:
* only members of a verified organisation other than the landlord's ask for viewings or make
  offers; only the landlord's members decide them; only the requesting side cancels/withdraws;
* a lease never takes more area than is free: accepting an offer locks the space row first
  (PostgreSQL ``FOR NO KEY UPDATE``; SQLite's one writer lock through ``begin_write``), re-reads
  ``area_free_m2``, refuses when it is too small, and lowers it in the same transaction as the
  lease it concludes. So ``area_free_m2`` = what it was before − the area of the leases since;
  at 0 the space leaves search (``Space.is_searchable``) when the transaction commits;
* accepting an accepted offer again (a double click) answers with its one lease (``offer_id`` is
  unique on leases); the same offer form sent twice (one request key) makes one offer.
Ending a lease gives its area back (never above the listed area). Lock order: space →
offer/lease/viewing. Operations flush, never commit; mail goes after commit.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from listings.models import Space
from marketplace.audit import record_audit
from marketplace.bookings.rules import local
from marketplace.errors import ConflictError, DomainError, NotAllowedError
from marketplace.feedback import MAX_FEEDBACK_NOTE, DeclineReason
from marketplace.mail import send_mail
from marketplace.money import MAX_FEN, format_fen
from marketplace.spaces.models import (
    Lease,
    LeaseOffer,
    LeaseOfferStatus,
    LeaseStatus,
    Viewing,
    ViewingStatus,
)
from marketplace.transactions import begin_write, lock
from marketplace.urls import external_url

log = logging.getLogger(__name__)

MAX_VIEWING_TIMES = 3
VIEWING_HORIZON_DAYS = 365
MAX_NOTE = 1000
MAX_TERM_MONTHS = 240  # 20 years: the longest lease term Chinese law allows (Civil Code art. 705)


class AreaUnavailableError(ConflictError):
    code = "area_unavailable"


# ---------------------------------------------------------------------------------------------
# who may act
def requester_organizations(user, space: Space) -> list:
    """The verified organisations ``user`` may ask for a viewing or make an offer for (never the
    landlord's own; nobody of the landlord's organisation)."""
    if not (user and user.is_authenticated) or space.organization.is_member(user):
        return []
    return sorted((m.organization for m in user.memberships
                   if m.organization.is_verified and m.organization_id != space.organization_id),
                  key=lambda o: o.name_zh)


def can_request(user, space: Space) -> bool:
    return space.is_published and bool(requester_organizations(user, space))


def can_offer(user, space: Space) -> bool:
    return can_request(user, space) and space.area_free_m2 > 0


def _acting_organization(user, space: Space, organization):
    if not space.is_published:
        raise ConflictError(_("This space is not on offer."))
    if space.organization.is_member(user):
        raise NotAllowedError(_("You cannot do this for your own organisation's space."))
    choices = requester_organizations(user, space)
    if organization is None:
        if len(choices) == 1:
            return choices[0]
        if not choices:
            raise NotAllowedError(_("You need to be a member of a verified organisation."))
        raise DomainError(_("Choose the organisation you act for."), "organization_id")
    if organization not in choices:
        raise NotAllowedError(_("You can only act for a verified organisation you belong to."))
    return organization


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _clean_note(note, field: str, *, required: bool = False, limit: int = MAX_NOTE) -> str:
    text = (note or "").strip()
    if required and not text:
        raise DomainError(_("Please give a reason."), field)
    if len(text) > limit:
        raise DomainError(_("Please keep this under %(limit)s characters.", limit=limit), field)
    return text


# ---------------------------------------------------------------------------------------------
# viewings
def request_viewing(session: Session, space: Space, user, *, times, note: str = "",
                    organization=None, now: datetime) -> Viewing:
    """Ask the landlord for a viewing at one of 1–3 proposed (future, UTC) times."""
    organization = _acting_organization(user, space, organization)
    times = [t for t in times if t is not None]
    if not 1 <= len(times) <= MAX_VIEWING_TIMES:
        raise DomainError(_("Propose one to three times."), "time_1")
    if any(t.tzinfo is None for t in times):
        raise DomainError(_("Propose one to three times."), "time_1")
    if len(set(times)) != len(times):
        raise DomainError(_("Propose different times."), "time_2")
    for index, moment in enumerate(times, start=1):
        if moment <= now:
            raise DomainError(_("Propose a time in the future."), f"time_{index}")
        if moment > now + timedelta(days=VIEWING_HORIZON_DAYS):
            raise DomainError(_("Propose a time within the next year."), f"time_{index}")
    note = _clean_note(note, "note")
    times = sorted(times)
    viewing = Viewing(space_id=space.id, tenant_org_id=organization.id, requested_by_id=user.id,
                      option_1_at=times[0], option_2_at=times[1] if len(times) > 1 else None,
                      option_3_at=times[2] if len(times) > 2 else None, note=note,
                      status=ViewingStatus.REQUESTED, created_at=now)
    session.add(viewing)
    session.flush()
    record_audit(user, "viewing.request", viewing, after={"times": [t.isoformat() for t in times]})
    _notify(space.organization, viewing, "requested")
    log.info("viewing %s of space %s requested by org %s", viewing.id, space.id, organization.id)
    return viewing


def _locked_viewing(session: Session, viewing: Viewing) -> Viewing:
    return lock(session, Viewing, viewing.id)


def accept_viewing(session: Session, viewing: Viewing, user, *, chosen: datetime,
                   now: datetime) -> Viewing:
    """The landlord confirms one of the proposed times."""
    if not viewing.can_decide(user):
        raise NotAllowedError(_("Only the landlord can answer this viewing request."))
    viewing = _locked_viewing(session, viewing)
    if viewing.status == ViewingStatus.ACCEPTED and viewing.scheduled_at == chosen:
        return viewing  # the same answer twice
    if chosen not in viewing.options:
        raise DomainError(_("Choose one of the proposed times."), "chosen")
    viewing._require(ViewingStatus.REQUESTED)
    if chosen <= now:
        raise DomainError(_("This time has passed. Decline and ask for new times."), "chosen")
    viewing.accept(chosen, user, now)
    session.flush()
    record_audit(user, "viewing.accept", viewing, after={"scheduled_at": chosen.isoformat()})
    _notify(viewing.tenant_organization, viewing, "accepted")
    return viewing


def decline_viewing(session: Session, viewing: Viewing, user, *, note: str,
                    now: datetime) -> Viewing:
    """The landlord declines, saying why."""
    if not viewing.can_decide(user):
        raise NotAllowedError(_("Only the landlord can answer this viewing request."))
    note = _clean_note(note, "reason", required=True)
    viewing = _locked_viewing(session, viewing)
    viewing.decline(note, user, now)
    session.flush()
    record_audit(user, "viewing.decline", viewing, note=note)
    _notify(viewing.tenant_organization, viewing, "declined")
    return viewing


def cancel_viewing(session: Session, viewing: Viewing, user, *, now: datetime) -> Viewing:
    """The requesting side calls the viewing off (before or after it was confirmed)."""
    if not viewing.can_cancel(user):
        raise NotAllowedError(_("Only the requester can cancel this viewing."))
    viewing = _locked_viewing(session, viewing)
    viewing.cancel(now)
    session.flush()
    record_audit(user, "viewing.cancel", viewing)
    _notify(viewing.space.organization, viewing, "cancelled")
    return viewing


# ---------------------------------------------------------------------------------------------
# lease offers
def default_rent_fen(space: Space, area_m2: int) -> int:
    """The listed rent for that area: area × rent per m² per month."""
    return area_m2 * space.rent_fen_per_m2_month


def make_lease_offer(session: Session, space: Space, user, *, area_m2: int, term_months: int,
                     start_date: date, deposit_fen: int, monthly_rent_fen: int | None = None,
                     message: str = "", organization=None, key: str,
                     now: datetime) -> LeaseOffer:
    """The prospective tenant offers to lease (part of) the space. The same ``key`` again
    returns the first offer."""
    if not key or not isinstance(key, str) or len(key) > 64:
        raise DomainError(_("The offer form has expired. Please reload the page."))
    begin_write(session)
    if (existing := _offer_by_key(session, key)) is not None:
        if existing.author_id != user.id:
            raise ConflictError(_("This offer form was already used. Please reload the page."))
        return existing
    organization = _acting_organization(user, space, organization)
    if not _is_int(area_m2) or area_m2 <= 0:
        raise DomainError(_("Enter an area of at least 1 m²."), "area_m2")
    if area_m2 > space.area_free_m2:
        raise DomainError(_("Only %(free)s m² of this space are free.", free=space.area_free_m2),
                          "area_m2")
    if monthly_rent_fen is None:
        monthly_rent_fen = default_rent_fen(space, area_m2)
    if not _is_int(monthly_rent_fen) or not 0 <= monthly_rent_fen <= MAX_FEN:
        raise DomainError(_("Enter a monthly rent."), "monthly_rent")
    if not _is_int(term_months) or term_months < space.min_lease_months:
        raise DomainError(_("The shortest lease of this space is %(months)s months.",
                            months=space.min_lease_months), "term_months")
    if term_months > MAX_TERM_MONTHS:
        raise DomainError(_("A lease may run for at most %(months)s months.",
                            months=MAX_TERM_MONTHS), "term_months")
    if not isinstance(start_date, date):
        raise DomainError(_("Enter a start date."), "start_date")
    today = local(now).date()
    if start_date < today:
        raise DomainError(_("The lease cannot start in the past."), "start_date")
    if space.available_from is not None and start_date < space.available_from:
        raise DomainError(_("The space is available from %(day)s.",
                            day=space.available_from.isoformat()), "start_date")
    if start_date > today + timedelta(days=3 * 365):
        raise DomainError(_("The lease must start within three years."), "start_date")
    if not _is_int(deposit_fen) or not 0 <= deposit_fen <= MAX_FEN:
        raise DomainError(_("Enter a deposit (0 for none)."), "deposit")
    message = _clean_note(message, "message", limit=2000)
    offer = LeaseOffer(space_id=space.id, tenant_org_id=organization.id, author_id=user.id,
                       area_m2=area_m2, monthly_rent_fen=monthly_rent_fen,
                       term_months=term_months, start_date=start_date, deposit_fen=deposit_fen,
                       message=message, status=LeaseOfferStatus.SUBMITTED, request_key=key,
                       created_at=now)
    try:
        with session.begin_nested():
            session.add(offer)
            session.flush()
    except sa.exc.IntegrityError:
        # a twin request with this key committed first: answer with its offer
        if (existing := _offer_by_key(session, key)) is not None and existing.author_id == user.id:
            return existing
        raise
    record_audit(user, "lease_offer.create", offer, after=offer.snapshot())
    _notify(space.organization, offer, "offered")
    log.info("lease offer %s: %s m² of space %s by org %s", offer.id, area_m2, space.id,
             organization.id)
    return offer


def _offer_by_key(session: Session, key: str) -> LeaseOffer | None:
    return session.scalars(sa.select(LeaseOffer).where(LeaseOffer.request_key == key)).first()


def lease_of_offer(session: Session, offer: LeaseOffer) -> Lease | None:
    return session.scalars(sa.select(Lease).where(Lease.offer_id == offer.id)).first()


def accept_lease_offer(session: Session, offer: LeaseOffer, user, *, now: datetime) -> Lease:
    """The landlord accepts: the lease is concluded and its area no longer free, atomically.
    Refused when less area is free than the offer asks for."""
    if not offer.can_decide(user):
        raise NotAllowedError(_("Only the landlord can accept this offer."))
    space = lock(session, Space, offer.space_id)  # every accept of this space waits here
    offer = lock(session, LeaseOffer, offer.id)
    if offer.status == LeaseOfferStatus.ACCEPTED:
        lease = lease_of_offer(session, offer)
        if lease is not None:
            return lease  # a double click: the one lease it made
    offer._require(LeaseOfferStatus.SUBMITTED)
    if not space.is_published:
        raise ConflictError(_("This space is not on offer any more."))
    if space.area_free_m2 < offer.area_m2:
        raise AreaUnavailableError(_(
            "Only %(free)s m² of this space are still free, and this offer asks for %(area)s m². "
            "Decline it, or ask the tenant for a smaller offer.",
            free=space.area_free_m2, area=offer.area_m2))
    offer.accept(user, now)
    space.area_free_m2 -= offer.area_m2
    lease = Lease(number=f"pending-{uuid.uuid4().hex[:16]}", space_id=space.id,
                  landlord_org_id=space.organization_id, tenant_org_id=offer.tenant_org_id,
                  offer_id=offer.id, area_m2=offer.area_m2,
                  monthly_rent_fen=offer.monthly_rent_fen, term_months=offer.term_months,
                  start_date=offer.start_date, deposit_fen=offer.deposit_fen,
                  status=LeaseStatus.ACTIVE, concluded_at=now)
    session.add(lease)
    session.flush()
    lease.number = f"CZ-SL-{local(now).year}-{lease.id:06d}"
    session.flush()
    record_audit(user, "lease.conclude", lease,
                 after={**offer.snapshot(), "area_free_m2": space.area_free_m2})
    _notify(offer.tenant_organization, offer, "accepted", lease=lease)
    log.info("lease %s: %s m² of space %s to org %s; %s m² left", lease.number, lease.area_m2,
             space.id, lease.tenant_org_id, space.area_free_m2)
    return lease


def decline_lease_offer(session: Session, offer: LeaseOffer, user, *, reason, note: str = "",
                        now: datetime) -> LeaseOffer:
    """The landlord declines with structured feedback."""
    if not offer.can_decide(user):
        raise NotAllowedError(_("Only the landlord can decline this offer."))
    try:
        reason = DeclineReason(reason)
    except ValueError:
        raise DomainError(_("Choose a reason."), "reason") from None
    note = _clean_note(note, "note", limit=MAX_FEEDBACK_NOTE)
    offer = lock(session, LeaseOffer, offer.id)
    offer.decline(reason, note, user, now)
    session.flush()
    record_audit(user, "lease_offer.decline", offer, after=offer.snapshot(), note=str(reason))
    _notify(offer.tenant_organization, offer, "declined")
    return offer


def withdraw_lease_offer(session: Session, offer: LeaseOffer, user, *,
                         now: datetime) -> LeaseOffer:
    """The tenant's side takes its offer back before the landlord answered."""
    if not offer.can_withdraw(user):
        raise NotAllowedError(_("Only the tenant can withdraw this offer."))
    offer = lock(session, LeaseOffer, offer.id)
    offer.withdraw(now)
    session.flush()
    record_audit(user, "lease_offer.withdraw", offer)
    _notify(offer.space.organization, offer, "withdrawn")
    return offer


def end_lease(session: Session, lease: Lease, user, *, now: datetime) -> Lease:
    """The landlord records that the lease has ended (its term ran out, or the parties ended
    it early): its area is free again, and the space is back in search if it had left."""
    if not lease.can_end(user):
        raise NotAllowedError(_("Only the landlord can record that the lease has ended."))
    space = lock(session, Space, lease.space_id)
    lease = lock(session, Lease, lease.id)
    lease.end(now)
    space.area_free_m2 = min(space.area_m2, space.area_free_m2 + lease.area_m2)
    session.flush()
    record_audit(user, "lease.end", lease, after={"area_free_m2": space.area_free_m2})
    link = external_url("spaces.lease", lease_id=lease.id)
    for membership in lease.tenant_organization.memberships:
        member = membership.user
        if member is None or not member.is_active:
            continue
        with force_locale(member.locale or "zh_CN"):
            body = _("Space: %(title)s (%(landlord)s)", title=space.title_for("zh"),
                     landlord=space.organization.name_zh)
            send_mail(member.email, _("Lease %(number)s has ended", number=lease.number),
                      f"{body}\n\n{link}")
    return lease


# ---------------------------------------------------------------------------------------------
# reading
def _org_ids(user) -> list[int]:
    return [m.organization_id for m in user.memberships] if user.is_authenticated else []


def _involving(model, org_ids):
    return sa.or_(model.tenant_org_id.in_(org_ids),
                  model.space_id.in_(sa.select(Space.id).where(Space.organization_id.in_(org_ids))))


def list_my_viewings(session: Session, user) -> list[Viewing]:
    """Viewings the user's organisations asked for or were asked for, newest first."""
    org_ids = _org_ids(user)
    if not org_ids:
        return []
    return list(session.scalars(sa.select(Viewing).where(_involving(Viewing, org_ids))
                                .order_by(Viewing.id.desc())))


def list_my_offers(session: Session, user) -> list[LeaseOffer]:
    org_ids = _org_ids(user)
    if not org_ids:
        return []
    return list(session.scalars(sa.select(LeaseOffer).where(_involving(LeaseOffer, org_ids))
                                .order_by(LeaseOffer.id.desc())))


def list_my_leases(session: Session, user) -> list[Lease]:
    org_ids = _org_ids(user)
    if not org_ids:
        return []
    return list(session.scalars(sa.select(Lease).where(sa.or_(
        Lease.tenant_org_id.in_(org_ids), Lease.landlord_org_id.in_(org_ids)))
        .order_by(Lease.id.desc())))


def list_open_requests(session: Session, space: Space, now: datetime
                       ) -> tuple[list[Viewing], list[LeaseOffer]]:
    """The landlord's queue for one space: viewings awaiting an answer (and confirmed ones still
    ahead), open offers."""
    viewings = list(session.scalars(sa.select(Viewing).where(
        Viewing.space_id == space.id,
        sa.or_(Viewing.status == ViewingStatus.REQUESTED,
               sa.and_(Viewing.status == ViewingStatus.ACCEPTED, Viewing.scheduled_at >= now)))
        .order_by(Viewing.id)))
    offers = list(session.scalars(sa.select(LeaseOffer).where(
        LeaseOffer.space_id == space.id, LeaseOffer.status == LeaseOfferStatus.SUBMITTED)
        .order_by(LeaseOffer.id)))
    return viewings, offers


def list_own_requests(session: Session, space: Space, user) -> tuple[list, list]:
    """The user's organisations' open viewings and offers for this space (the tenant's side)."""
    org_ids = _org_ids(user)
    if not org_ids:
        return [], []
    viewings = list(session.scalars(sa.select(Viewing).where(
        Viewing.space_id == space.id, Viewing.tenant_org_id.in_(org_ids),
        Viewing.status.in_((ViewingStatus.REQUESTED, ViewingStatus.ACCEPTED)))
        .order_by(Viewing.id)))
    offers = list(session.scalars(sa.select(LeaseOffer).where(
        LeaseOffer.space_id == space.id, LeaseOffer.tenant_org_id.in_(org_ids))
        .order_by(LeaseOffer.id)))
    return viewings, offers


def leased_area(session: Session, space: Space) -> int:
    """The area of the space's active leases."""
    return int(session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Lease.area_m2), 0)).where(
        Lease.space_id == space.id, Lease.status == LeaseStatus.ACTIVE)) or 0)


# ---------------------------------------------------------------------------------------------
# mail
SUBJECTS = {
    "requested": _l("Viewing requested: %(title)s"),
    "accepted": _l("Viewing confirmed: %(title)s"),
    "declined": _l("Viewing declined: %(title)s"),
    "cancelled": _l("Viewing cancelled: %(title)s"),
    "offered": _l("Lease offer received: %(title)s"),
    "offer_accepted": _l("Lease offer accepted: %(title)s"),
    "offer_declined": _l("Lease offer declined: %(title)s"),
    "withdrawn": _l("Lease offer withdrawn: %(title)s"),
}


def _body(item, event: str, lease: Lease | None) -> str:
    space = item.space
    lines = [_("Space: %(title)s (%(landlord)s)", title=space.title_for("zh"),
               landlord=space.organization.name_zh),
             _("Requested by: %(org)s", org=item.tenant_organization.name_zh)]
    if isinstance(item, Viewing):
        if item.scheduled_at is not None:
            lines.append(_("Viewing time: %(when)s (Beijing time)",
                           when=f"{local(item.scheduled_at):%Y-%m-%d %H:%M}"))
        else:
            lines.append(_("Proposed times (Beijing time): %(times)s", times=", ".join(
                f"{local(t):%Y-%m-%d %H:%M}" for t in item.options)))
        if item.note and event == "requested":
            lines.append(_("Note: %(note)s", note=item.note))
        if item.decline_note and event == "declined":
            lines.append(_("Reason: %(reason)s", reason=item.decline_note))
    else:
        lines.append(_("Offer: %(area)s m², %(rent)s a month, %(months)s months from %(start)s, "
                       "deposit %(deposit)s", area=item.area_m2,
                       rent=format_fen(item.monthly_rent_fen), months=item.term_months,
                       start=item.start_date.isoformat(), deposit=format_fen(item.deposit_fen)))
        if item.decline_reason is not None and event == "declined":
            lines.append(_("Reason: %(reason)s", reason=item.decline_reason.label))
            if item.decline_note:
                lines.append(item.decline_note)
        if lease is not None:
            lines.append(_("Lease number: %(number)s", number=lease.number))
    return "\n".join(str(line) for line in lines)


def _notify(organization, item, event: str, *, lease: Lease | None = None) -> None:
    """Mail every active member of ``organization`` (the other side) in their language."""
    if isinstance(item, Viewing):
        key, link = event, external_url("spaces.viewing", viewing_id=item.id)
    else:
        key = {"accepted": "offer_accepted", "declined": "offer_declined"}.get(event, event)
        link = (external_url("spaces.lease", lease_id=lease.id) if lease is not None
                else external_url("spaces.offer", offer_id=item.id))
    for membership in organization.memberships:
        user = membership.user
        if user is None or not user.is_active:
            continue
        with force_locale(user.locale or "zh_CN"):
            subject = str(SUBJECTS[key] % {"title": item.space.title_for("zh")})[:200]
            send_mail(user.email, subject, f"{_body(item, event, lease)}\n\n{link}")
