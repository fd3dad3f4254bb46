"""Proposals on enterprise needs (技术需求): submit, shortlist, decline, withdraw, solve.

Invariants: only a member of a verified organisation other than the need's own proposes, on a
need that is open (published, not solved) and not past its deadline; a proposal links at least
one of the provider organisation's own published instruments, technologies, spaces or
campaigns; one open proposal per provider organisation and need (a second submission returns
the first: the need's row is locked while deciding, and a partial unique index backs it up); only
the need's owner shortlists, declines (with a ``DeclineReason``) and solves, naming one open
proposal, which becomes chosen while every other open one is closed; closing a need without a
solution closes its open proposals too. Operations flush, never commit.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from listings.models import Listing, ListingKind, ListingStatus, Need
from marketplace.audit import record_audit
from marketplace.errors import DomainError, InvalidStateError, NotAllowedError
from marketplace.feedback import MAX_FEEDBACK_NOTE, DeclineReason
from marketplace.mail import send_mail
from marketplace.needs.models import MAX_MESSAGE, OPEN_STATUSES, NeedProposal, ProposalStatus
from marketplace.transactions import lock
from marketplace.urls import external_url

log = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
LINKABLE_KINDS = (ListingKind.INSTRUMENT, ListingKind.TECHNOLOGY, ListingKind.SPACE,
                  ListingKind.CAMPAIGN)
MAX_LINKED = 10
MAX_PRICE_FEN = 10**14


# ---------------------------------------------------------------------------------------------
# who may propose, with what
def provider_organizations(user, need: Need) -> list:
    """The user's verified organisations that may answer this need (not the need's own)."""
    if not (user and user.is_authenticated):
        return []
    return sorted((m.organization for m in user.memberships
                   if m.organization.is_verified and m.organization_id != need.organization_id),
                  key=lambda o: o.name_zh)


def can_propose(user, need: Need) -> bool:
    return need.is_open and bool(provider_organizations(user, need))


def linkable_listings(session: Session, organizations) -> list[Listing]:
    """The published listings these organisations may link to a proposal."""
    ids = [o.id for o in organizations]
    if not ids:
        return []
    return list(session.scalars(sa.select(Listing).where(
        Listing.organization_id.in_(ids), Listing.kind.in_(LINKABLE_KINDS),
        Listing.status == ListingStatus.PUBLISHED).order_by(Listing.organization_id, Listing.id)))


def is_past_deadline(need: Need, now: datetime) -> bool:
    return need.deadline is not None and need.deadline < now.astimezone(SHANGHAI).date()


def open_proposal_of(session: Session, need: Need, organization_id: int) -> NeedProposal | None:
    return session.scalars(sa.select(NeedProposal).where(
        NeedProposal.need_id == need.id, NeedProposal.provider_org_id == organization_id,
        NeedProposal.status.in_(OPEN_STATUSES))).first()


# ---------------------------------------------------------------------------------------------
# the provider
def submit_proposal(session: Session, need: Need, user, *, organization_id: int,
                    listing_ids, message: str, price_fen: int | None,
                    now: datetime) -> NeedProposal:
    """Answer a need with a proposal linking the provider's own listings. A second submission
    while the organisation's first proposal is open returns that one unchanged."""
    organization = next((o for o in provider_organizations(user, need)
                         if o.id == organization_id), None)
    if organization is None:
        if need.organization.is_member(user):
            raise NotAllowedError(_("You cannot answer your own organisation's need."))
        raise NotAllowedError(_("Only members of a verified organisation can answer needs."))
    message = (message or "").strip()
    if not message:
        raise DomainError(_("Say how you would solve the need."), "message")
    if len(message) > MAX_MESSAGE:
        raise DomainError(_("The message is too long."), "message")
    if price_fen is not None and not (isinstance(price_fen, int) and 0 <= price_fen
                                      <= MAX_PRICE_FEN):
        raise DomainError(_("Enter a price of zero or more."), "price_fen")
    wanted = list(dict.fromkeys(int(i) for i in listing_ids or ()))
    if not wanted:
        raise DomainError(_("Link at least one of your published listings."), "listing_ids")
    if len(wanted) > MAX_LINKED:
        raise DomainError(_("Link at most %(n)d listings.", n=MAX_LINKED), "listing_ids")
    listings = list(session.scalars(sa.select(Listing).where(
        Listing.id.in_(wanted), Listing.organization_id == organization.id,
        Listing.kind.in_(LINKABLE_KINDS), Listing.status == ListingStatus.PUBLISHED)))
    if len(listings) != len(wanted):
        raise DomainError(_("Link only published listings of the organisation you answer for."),
                          "listing_ids")
    locked = lock(session, Need, need.id)  # serialises submissions on this need
    if locked is None or not locked.is_open:
        raise InvalidStateError(_("This need is no longer open to proposals."))
    if is_past_deadline(locked, now):
        raise InvalidStateError(_("The deadline for proposals on this need has passed."))
    existing = open_proposal_of(session, locked, organization.id)
    if existing is not None:
        return existing
    proposal = NeedProposal(need=locked, provider_org_id=organization.id, author_id=user.id,
                            message=message, price_fen=price_fen,
                            status=ProposalStatus.SUBMITTED, created_at=now,
                            listings=sorted(listings, key=lambda listing: listing.id))
    session.add(proposal)
    session.flush()
    record_audit(user, "need.proposal_submitted", proposal,
                 after={"need_id": need.id, "organization_id": organization.id,
                        "listing_ids": [listing.id for listing in proposal.listings],
                        "price_fen": price_fen})
    _notify(locked.organization, locked,
            _l("New proposal on your need: %(title)s", title=locked.title_for("zh")),
            _l("%(org)s has answered your need.", org=organization.name_zh))
    return proposal


def withdraw_proposal(session: Session, proposal: NeedProposal, user, now: datetime) -> None:
    """The provider takes its open proposal back."""
    if not proposal.is_provider(user):
        raise NotAllowedError(_("Only the provider can withdraw its proposal."))
    proposal = _locked(session, proposal)
    if proposal.status == ProposalStatus.WITHDRAWN:
        return
    proposal.withdraw(now)
    session.flush()
    record_audit(user, "need.proposal_withdrawn", proposal)


# ---------------------------------------------------------------------------------------------
# the need's owner
def shortlist_proposal(session: Session, proposal: NeedProposal, user, now: datetime) -> None:
    """Mark an open proposal as one of the promising ones."""
    _check_owner(proposal, user)
    proposal = _locked(session, proposal)
    _check_need_open(proposal.need)
    if proposal.status == ProposalStatus.SHORTLISTED:
        return
    proposal.shortlist()
    session.flush()
    record_audit(user, "need.proposal_shortlisted", proposal)
    _notify(proposal.provider, proposal.need,
            _l("Your proposal was shortlisted: %(title)s", title=proposal.need.title_for("zh")),
            _l("The enterprise has shortlisted your proposal."))


def decline_proposal(session: Session, proposal: NeedProposal, user, *, reason,
                     note: str | None, now: datetime) -> None:
    """Decline an open proposal, saying why (the provider sees the feedback)."""
    _check_owner(proposal, user)
    try:
        reason = DeclineReason(reason)
    except ValueError:
        raise DomainError(_("Choose one of the offered options."), "reason") from None
    note = (note or "").strip()
    if len(note) > MAX_FEEDBACK_NOTE:
        raise DomainError(_("The note is too long."), "note")
    proposal = _locked(session, proposal)
    if proposal.status == ProposalStatus.DECLINED:
        return
    proposal.decline(reason, note, now)
    session.flush()
    record_audit(user, "need.proposal_declined", proposal,
                 after={"reason": reason.value, "note": note})
    _notify(proposal.provider, proposal.need,
            _l("Your proposal was declined: %(title)s", title=proposal.need.title_for("zh")),
            _l("Reason: %(reason)s", reason=reason.label))


def solve_need(session: Session, need: Need, user, *, proposal_id: int,
               now: datetime) -> NeedProposal:
    """Close the need as solved by one open proposal; the other open proposals are closed."""
    if not need.can_edit(user):
        raise NotAllowedError(_("Only the need's owner can close it."))
    locked = lock(session, Need, need.id)
    proposal = session.get(NeedProposal, proposal_id) if proposal_id else None
    if proposal is None or proposal.need_id != need.id:
        raise DomainError(_("Choose one of the proposals on this need."), "proposal_id")
    if locked.is_solved:
        if proposal.status == ProposalStatus.CHOSEN:
            return proposal  # the same request again
        raise InvalidStateError(_("This need is already solved."))
    _check_need_open(locked)
    proposal = _locked(session, proposal)
    if not proposal.is_open:
        raise InvalidStateError(_("Only an open proposal can be chosen."))
    proposal.choose(now)
    _close_others(session, locked, now, keep=proposal.id)
    locked.solve(now)
    locked.updated_at = now
    session.flush()
    record_audit(user, "need.solved", locked, after={"proposal_id": proposal.id})
    _notify(proposal.provider, locked,
            _l("Your proposal was chosen: %(title)s", title=locked.title_for("zh")),
            _l("The enterprise has solved its need with your proposal."))
    return proposal


def close_open_proposals(session: Session, need: Need, now: datetime) -> int:
    """The need was closed without a solution: its open proposals are closed (publishing calls
    this when a need is archived). Returns how many."""
    return _close_others(session, need, now, keep=None)


# ---------------------------------------------------------------------------------------------
def _close_others(session: Session, need: Need, now: datetime, keep: int | None) -> int:
    others = session.scalars(sa.select(NeedProposal).where(
        NeedProposal.need_id == need.id, NeedProposal.status.in_(OPEN_STATUSES))
        .with_for_update(of=NeedProposal.__table__)
        .execution_options(populate_existing=True)).all()
    closed = 0
    for other in others:
        if other.id != keep:
            other.close(now)
            closed += 1
            _notify(other.provider, need,
                    _l("A need you answered was closed: %(title)s", title=need.title_for("zh")),
                    _l("The enterprise has closed the need; your proposal is closed with it."))
    session.flush()
    return closed


def _locked(session: Session, proposal: NeedProposal) -> NeedProposal:
    locked = lock(session, NeedProposal, proposal.id)
    if locked is None:
        raise InvalidStateError(_("This proposal is no longer open."))
    return locked


def _check_owner(proposal: NeedProposal, user) -> None:
    if not proposal.can_manage(user):
        raise NotAllowedError(_("Only the need's owner can answer proposals."))


def _check_need_open(need: Need) -> None:
    if not need.is_open:
        raise InvalidStateError(_("This need is no longer open to proposals."))


def _notify(organization, need: Need, subject, body) -> None:
    """Mail every active member of ``organization`` in their language."""
    if organization is None:
        return
    link = external_url("catalogue.show", listing_id=need.id)
    for membership in organization.memberships:
        user = membership.user
        if user is not None and user.is_active:
            with force_locale(user.locale or "zh_CN"):
                send_mail(user.email, str(subject)[:200], f"{body}\n\n{link}")
