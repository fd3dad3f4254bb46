"""Campaign operations: the life cycle, the close at the deadline, expertise offers, resource
pledges, updates, questions, and the free instrument hours a successful campaign brings.

Invariants:
* a campaign is published (catalogue, search) only when live or closed; it goes live only after
  an officer approved it, for 1–60 days (deadline = the end of the Beijing day ``duration``
  days after going live); its goals change only while it is a draft;
* ``close_due`` closes each live campaign past its deadline exactly once: the campaign's run row
  is locked and re-read, so a second caller (another thread, worker or cron) sees it closed and
  skips it; the registered close handlers run in the same transaction as the close;
* success: a campaign with a money goal succeeds iff the money raised (the registered
  money-raised hook) reaches the goal; a campaign without one succeeds iff accepted expertise
  hours reach the sum of its expertise needs and every resource need has an accepted pledge;
* offers and pledges are made and decided only while the campaign is live; accepted pledges of
  instrument hours become ``PledgedHours`` grants for the maker's organisation on success;
* a grant's ``minutes_used`` changes only under its row lock, with the booking that uses it.
Operations never commit; the view, CLI command or job commits once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from listings.models import Campaign, Instrument, Listing, ListingKind, ListingStatus
from marketplace.audit import record_audit
from marketplace.campaigns.models import (
    MAX_DAYS,
    MIN_DAYS,
    VISIBLE,
    CampaignQuestion,
    CampaignRun,
    CampaignState,
    CampaignUpdate,
    ContributionState,
    ExpertiseOffer,
    PledgedHours,
    PledgedHoursUse,
    ResourceKind,
    ResourcePledge,
)
from marketplace.errors import DomainError, InvalidStateError, NotAllowedError, NotFoundError
from marketplace.mail import send_mail
from marketplace.transactions import begin_write, lock
from marketplace.urls import external_url

log = logging.getLogger(__name__)
SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")

# ---------------------------------------------------------------------------------------------
# hooks (the pledges slice registers its functions at import time)
CloseHandler = Callable[[Session, Campaign, bool, datetime], None]
_close_handlers: list[CloseHandler] = []
_money_raised: list[Callable[[Session, Campaign], int]] = []
_backers: list[Callable[[Session, Campaign], list]] = []


def register_close_handler(fn: CloseHandler) -> None:
    """fn(session, campaign, succeeded, now) runs in the transaction that closes the campaign."""
    if fn not in _close_handlers:
        _close_handlers.append(fn)


def register_money_raised(fn: Callable[[Session, Campaign], int]) -> None:
    """fn(session, campaign) -> fen raised so far (the last registration wins)."""
    _money_raised[:] = [fn]


def register_backers(fn: Callable[[Session, Campaign], list]) -> None:
    """fn(session, campaign) -> the users with paid pledges (the last registration wins)."""
    _backers[:] = [fn]


def money_raised_fen(session: Session, campaign: Campaign) -> int:
    run = campaign.run
    if run is not None and run.is_closed and run.money_raised_fen is not None:
        return run.money_raised_fen
    return int(_money_raised[0](session, campaign)) if _money_raised else 0


def list_backers(session: Session, campaign: Campaign) -> list:
    """Users with paid pledges (hook) and users whose offers or pledges were accepted."""
    users = list(_backers[0](session, campaign)) if _backers else []
    for model in (ExpertiseOffer, ResourcePledge):
        users += [c.user for c in session.scalars(sa.select(model).where(
            model.campaign_id == campaign.id, model.state == ContributionState.ACCEPTED))]
    seen, result = set(), []
    for user in users:
        if user is not None and user.id not in seen and user.is_active:
            seen.add(user.id)
            result.append(user)
    return result


# ---------------------------------------------------------------------------------------------
# reading
def get_run(session: Session, campaign: Campaign) -> CampaignRun:
    """The campaign's run, made (as a draft) on first use."""
    if campaign.run is None:
        run = CampaignRun(campaign=campaign, state=CampaignState.DRAFT)
        session.add(run)
        session.flush()
    return campaign.run


def state_of(campaign: Campaign) -> CampaignState:
    return campaign.run.state if campaign.run is not None else CampaignState.DRAFT


def is_visible(campaign: Campaign) -> bool:
    return state_of(campaign) in VISIBLE


def expertise_hours_accepted(session: Session, campaign: Campaign) -> int:
    return int(session.scalar(sa.select(sa.func.coalesce(sa.func.sum(ExpertiseOffer.hours), 0))
                              .where(ExpertiseOffer.campaign_id == campaign.id,
                                     ExpertiseOffer.state == ContributionState.ACCEPTED)))


def resource_needs_met(session: Session, campaign: Campaign) -> int:
    """How many of the campaign's resource needs have at least one accepted pledge."""
    return int(session.scalar(
        sa.select(sa.func.count(sa.distinct(ResourcePledge.need_id)))
        .where(ResourcePledge.campaign_id == campaign.id, ResourcePledge.need_id.is_not(None),
               ResourcePledge.state == ContributionState.ACCEPTED)))


def progress(session: Session, campaign: Campaign) -> dict:
    """The three bars: (have, goal) for money (fen), expertise (hours), resources (needs)."""
    return {
        "money": (money_raised_fen(session, campaign), campaign.money_goal_fen),
        "expertise": (expertise_hours_accepted(session, campaign), campaign.expertise_hours),
        "resources": (resource_needs_met(session, campaign), len(campaign.resource_needs)),
    }


def is_success(session: Session, campaign: Campaign, raised_fen: int) -> bool:
    """The success rule (see the module docstring)."""
    if campaign.money_goal_fen > 0:
        return raised_fen >= campaign.money_goal_fen
    return (expertise_hours_accepted(session, campaign) >= campaign.expertise_hours
            and resource_needs_met(session, campaign) >= len(campaign.resource_needs))


def deadline_for(went_live_at: datetime, duration_days: int) -> datetime:
    """The end of the Beijing day ``duration_days`` after going live (the next midnight)."""
    last_day = (went_live_at.astimezone(SHANGHAI) + timedelta(days=duration_days)).date()
    return datetime.combine(last_day + timedelta(days=1), time(0), SHANGHAI).astimezone(UTC)


def require_live(session: Session, campaign: Campaign, now: datetime) -> CampaignRun:
    """Lock the campaign's run and check it takes contributions now (pledges use this too, so
    nothing is pledged to a campaign that a concurrent close has just closed)."""
    run = _lock_run(session, campaign)
    if run.state != CampaignState.LIVE or now >= campaign.deadline:
        raise InvalidStateError(_("This campaign is not taking contributions now."))
    return run


def _lock_run(session: Session, campaign: Campaign) -> CampaignRun:
    run = get_run(session, campaign)
    locked = lock(session, CampaignRun, run.id)
    if locked is None:
        raise NotFoundError(_("No such campaign."))
    return locked


# ---------------------------------------------------------------------------------------------
# the life cycle
def submit_campaign(session: Session, campaign: Campaign, user, duration_days: int,
                    now: datetime) -> CampaignRun:
    """The maker sends a draft for review, choosing how many days it will run."""
    if not campaign.can_edit(user):
        raise NotAllowedError(_("Only members of the campaign's organisation can submit it."))
    if not campaign.can_publish(user):
        raise NotAllowedError(_("Only a verified organisation of a fitting kind can run a "
                                "campaign."))
    if not isinstance(duration_days, int) or not MIN_DAYS <= duration_days <= MAX_DAYS:
        raise DomainError(_("A campaign runs for %(min)d to %(max)d days.", min=MIN_DAYS,
                            max=MAX_DAYS), "duration_days")
    if campaign.money_goal_fen <= 0 and not (campaign.expertise_needs
                                             or campaign.resource_needs):
        raise DomainError(_("Set at least one goal: money, expertise or resources."))
    run = _lock_run(session, campaign)
    before = run.snapshot()
    run.submit(user, duration_days, now)
    record_audit(user, "campaign.submit", run, before=before, after=run.snapshot())
    return run


def approve_campaign(session: Session, campaign: Campaign, officer, now: datetime) -> CampaignRun:
    """A programme officer approves a submitted campaign; the maker then takes it live."""
    if not (officer and officer.is_officer):
        raise NotAllowedError(_("Only a programme officer can approve campaigns."))
    run = _lock_run(session, campaign)
    before = run.snapshot()
    run.approve(officer, now)
    record_audit(officer, "campaign.approve", run, before=before, after=run.snapshot())
    _notify_makers(campaign, _l("Campaign approved: %(title)s", title=campaign.title_for("zh")),
                   _l("You can now take the campaign live from its page."))
    return run


def send_back_campaign(session: Session, campaign: Campaign, officer, reasons: str,
                       now: datetime) -> CampaignRun:
    """A programme officer returns a submitted campaign to draft, saying why."""
    if not (officer and officer.is_officer):
        raise NotAllowedError(_("Only a programme officer can review campaigns."))
    reasons = (reasons or "").strip()
    if not reasons:
        raise DomainError(_("Tell the maker what to change."), "reasons")
    run = _lock_run(session, campaign)
    before = run.snapshot()
    run.send_back(officer, reasons, now)
    record_audit(officer, "campaign.send_back", run, before=before, after=run.snapshot(),
                 note=reasons)
    _notify_makers(campaign, _l("Campaign sent back: %(title)s", title=campaign.title_for("zh")),
                   _l("Reasons: %(reasons)s", reasons=reasons))
    return run


def launch_campaign(session: Session, campaign: Campaign, user, now: datetime) -> CampaignRun:
    """The maker takes an approved campaign live: it is published, and its deadline is set."""
    if not campaign.can_edit(user):
        raise NotAllowedError(_("Only members of the campaign's organisation can launch it."))
    from marketplace.moderation.operations import check_not_taken_down

    check_not_taken_down(session, campaign)  # step 7: a take-down stands until restored
    run = _lock_run(session, campaign)
    before = run.snapshot()
    run.go_live(now)
    campaign.deadline = deadline_for(now, run.duration_days)
    campaign.publish(now)
    campaign.updated_at = now
    record_audit(user, "campaign.launch", run, before=before,
                 after={**run.snapshot(), "deadline": campaign.deadline.isoformat()})
    return run


def check_campaign_edit(campaign: Campaign, values: dict) -> dict:
    """Called by the listing edit: the goals and the deadline of a campaign that left the draft
    state stay as they are (texts may change). Returns the values to apply."""
    if state_of(campaign) == CampaignState.DRAFT:
        return values
    values = dict(values)
    values.pop("deadline_date", None)
    current = {
        "money_goal_fen": campaign.money_goal_fen,
        "expertise_needs": [(n.skill, n.hours) for n in campaign.expertise_needs],
        "resource_needs": [(r.item, r.quantity, r.linked_listing_id)
                           for r in campaign.resource_needs],
        "reward_tiers": [(t.title, t.min_pledge_fen, t.description or "")
                         for t in campaign.reward_tiers],
    }
    for key, now_value in current.items():
        if key in values and _normal(values[key]) != _normal(now_value):
            raise InvalidStateError(_("The goals of a campaign cannot change once it has been "
                                      "submitted."), "money_goal_fen")
        values.pop(key, None)
    return values


def _normal(value):
    if isinstance(value, list):
        return sorted(tuple(_normal(v) for v in row) for row in value)
    if isinstance(value, str):
        return value.strip()
    return value


def check_campaign_publish(campaign: Campaign) -> None:
    """Called by the listing publish: a campaign is published only by going live."""
    if not is_visible(campaign):
        raise InvalidStateError(_("A campaign is published when it goes live after review. "
                                  "Submit it for review from its campaign page."))


def check_campaign_archive(campaign: Campaign) -> None:
    if state_of(campaign) == CampaignState.LIVE:
        raise InvalidStateError(_("A live campaign stays visible until it closes."))


def check_campaign_delete(campaign: Campaign) -> None:
    if is_visible(campaign):
        raise InvalidStateError(_("A campaign that has been live keeps its records; archive it "
                                  "instead."))


# ---------------------------------------------------------------------------------------------
# the close
def close_due(session: Session, now: datetime) -> list[CampaignRun]:
    """Close every live campaign whose deadline has passed (idempotent); returns the runs this
    call closed."""
    begin_write(session)
    ids = list(session.scalars(
        sa.select(CampaignRun.id).join(Campaign, Campaign.id == CampaignRun.campaign_id)
        .where(CampaignRun.state == CampaignState.LIVE, Campaign.deadline <= now)
        .order_by(CampaignRun.id)))
    closed = []
    for run_id in ids:
        run = lock(session, CampaignRun, run_id)
        if run is None or run.state != CampaignState.LIVE:
            continue  # someone else closed it meanwhile
        closed.append(_close(session, run, now))
    return closed


def _close(session: Session, run: CampaignRun, now: datetime) -> CampaignRun:
    campaign = run.campaign
    raised = int(_money_raised[0](session, campaign)) if _money_raised else 0
    succeeded = is_success(session, campaign, raised)
    before = run.snapshot()
    run.close(succeeded, raised, now)
    session.flush()
    if succeeded:
        _grant_pledged_hours(session, campaign, now)
    for handler in list(_close_handlers):
        handler(session, campaign, succeeded, now)
    record_audit(None, "campaign.close", run, before=before, after=run.snapshot())
    title = campaign.title_for("zh")
    if succeeded:
        _notify_makers(campaign, _l("Campaign succeeded: %(title)s", title=title),
                       _l("Congratulations: the campaign reached its goals."))
    else:
        _notify_makers(campaign, _l("Campaign closed: %(title)s", title=title),
                       _l("The campaign did not reach its goals by the deadline."))
    log.info("campaign %s closed: %s (raised %s fen)", campaign.id, run.state, raised)
    return run


def _grant_pledged_hours(session: Session, campaign: Campaign, now: datetime) -> None:
    pledges = session.scalars(sa.select(ResourcePledge).where(
        ResourcePledge.campaign_id == campaign.id,
        ResourcePledge.state == ContributionState.ACCEPTED,
        ResourcePledge.kind == ResourceKind.INSTRUMENT_HOURS,
        ResourcePledge.listing_id.is_not(None)).order_by(ResourcePledge.id))
    for pledge in pledges:
        existing = session.scalars(sa.select(PledgedHours).where(
            PledgedHours.resource_pledge_id == pledge.id)).first()
        if existing is None:
            session.add(PledgedHours(
                campaign_id=campaign.id, resource_pledge_id=pledge.id,
                instrument_id=pledge.listing_id, organization_id=campaign.organization_id,
                minutes_granted=pledge.hours * 60 * pledge.quantity, created_at=now))
    session.flush()


# ---------------------------------------------------------------------------------------------
# expertise offers and resource pledges
def _giver_organization(user, organization_id):
    if organization_id in (None, "", 0):
        return None
    for membership in user.memberships:
        if membership.organization_id == int(organization_id):
            return membership.organization
    raise NotAllowedError(_("You can only offer for an organisation you belong to."))


def _check_giver(campaign: Campaign, user) -> None:
    if not (user and user.is_authenticated):
        raise NotAllowedError(_("Please sign in first."))
    if campaign.can_edit(user):
        raise DomainError(_("The campaign's own team cannot contribute to it."))


def offer_expertise(session: Session, campaign: Campaign, user, *, skill: str, hours: int,
                    note: str = "", need_id: int | None = None, organization_id=None,
                    now: datetime) -> ExpertiseOffer:
    """Offer hours of a skill to a live campaign."""
    _check_giver(campaign, user)
    organization = _giver_organization(user, organization_id)
    skill = (skill or "").strip()
    if not skill:
        raise DomainError(_("Name the skill you offer."), "skill")
    if not isinstance(hours, int) or not 1 <= hours <= 2000:
        raise DomainError(_("Offer from 1 to 2,000 hours."), "hours")
    if need_id and need_id not in {n.id for n in campaign.expertise_needs}:
        raise DomainError(_("Choose one of the campaign's needs."), "need_id")
    require_live(session, campaign, now)
    offer = ExpertiseOffer(campaign_id=campaign.id, need_id=need_id or None, user_id=user.id,
                           organization_id=organization.id if organization else None,
                           skill=skill[:200], hours=hours, note=(note or "").strip(),
                           created_at=now)
    session.add(offer)
    session.flush()
    record_audit(user, "campaign.offer_expertise", offer,
                 after={"campaign_id": campaign.id, "hours": hours})
    _notify_makers(campaign, _l("New expertise offer: %(title)s", title=campaign.title_for("zh")),
                   _l("%(who)s offers %(hours)d hours of %(skill)s.", who=offer.giver_name,
                     hours=hours, skill=skill))
    return offer


def pledge_resource(session: Session, campaign: Campaign, user, *, kind, description: str,
                    quantity: int, hours: int | None = None, listing_id: int | None = None,
                    need_id: int | None = None, organization_id=None, note: str = "",
                    now: datetime) -> ResourcePledge:
    """Pledge equipment, space, materials or instrument hours to a live campaign."""
    _check_giver(campaign, user)
    organization = _giver_organization(user, organization_id)
    try:
        kind = ResourceKind(kind)
    except ValueError:
        raise DomainError(_("Choose one of the offered options."), "kind") from None
    description = (description or "").strip()
    if not description:
        raise DomainError(_("Describe what you pledge."), "description")
    if not isinstance(quantity, int) or not 1 <= quantity <= 100_000:
        raise DomainError(_("Enter a quantity from 1 to 100,000."), "quantity")
    if kind == ResourceKind.INSTRUMENT_HOURS:
        if not isinstance(hours, int) or not 1 <= hours <= 2000:
            raise DomainError(_("Pledge from 1 to 2,000 instrument hours."), "hours")
        if not listing_id:
            raise DomainError(_("Choose the instrument whose hours you pledge."), "listing_id")
    else:
        hours = None
    if listing_id:
        listing = session.get(Listing, int(listing_id))
        wanted = ({ListingKind.INSTRUMENT} if kind == ResourceKind.INSTRUMENT_HOURS
                  else {ListingKind.INSTRUMENT, ListingKind.SPACE})
        if (listing is None or listing.kind not in wanted
                or listing.status != ListingStatus.PUBLISHED):
            raise DomainError(_("Choose a published listing of the right kind."), "listing_id")
        if organization is None or listing.organization_id != organization.id:
            raise NotAllowedError(_("You can only pledge a listing your organisation owns."))
    if need_id and need_id not in {n.id for n in campaign.resource_needs}:
        raise DomainError(_("Choose one of the campaign's needs."), "need_id")
    require_live(session, campaign, now)
    pledge = ResourcePledge(campaign_id=campaign.id, need_id=need_id or None, user_id=user.id,
                            organization_id=organization.id if organization else None,
                            kind=kind, description=description[:500], quantity=quantity,
                            hours=hours, listing_id=int(listing_id) if listing_id else None,
                            note=(note or "").strip(), created_at=now)
    session.add(pledge)
    session.flush()
    record_audit(user, "campaign.pledge_resource", pledge,
                 after={"campaign_id": campaign.id, "kind": kind.value, "hours": hours})
    _notify_makers(campaign, _l("New resource pledge: %(title)s", title=campaign.title_for("zh")),
                   _l("%(who)s pledges: %(what)s", who=pledge.giver_name, what=description))
    return pledge


def decide_contribution(session: Session, contribution, user, accept: bool, reason: str,
                        now: datetime):
    """The maker accepts or declines (with a reason) an expertise offer or a resource pledge."""
    campaign = contribution.campaign
    if not campaign.can_edit(user):
        raise NotAllowedError(_("Only the campaign's team can answer offers."))
    reason = (reason or "").strip()
    if not accept and not reason:
        raise DomainError(_("Tell them why you decline."), "reason")
    require_live(session, campaign, now)
    locked = lock(session, type(contribution), contribution.id)
    if accept:
        locked.accept(user, now)
    else:
        locked.decline(user, reason, now)
    record_audit(user, f"campaign.{'accept' if accept else 'decline'}", locked,
                 after={"state": str(locked.state)}, note=reason or None)
    if locked.user is not None and locked.user.is_active:
        subject = (_l("Your offer was accepted: %(title)s", title=campaign.title_for("zh"))
                   if accept else
                   _l("Your offer was declined: %(title)s", title=campaign.title_for("zh")))
        body = reason if not accept else _l("Thank you for supporting the campaign.")
        _mail(locked.user, subject, body, campaign)
    return locked


# ---------------------------------------------------------------------------------------------
# updates and questions
def post_update(session: Session, campaign: Campaign, user, title: str, body: str,
                now: datetime) -> CampaignUpdate:
    """The maker posts news; every backer gets it by e-mail once the post is committed."""
    if not campaign.can_edit(user):
        raise NotAllowedError(_("Only the campaign's team can post updates."))
    if not is_visible(campaign):
        raise InvalidStateError(_("Updates can be posted once the campaign is live."))
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise DomainError(_("Give the update a title."), "title")
    if not body:
        raise DomainError(_("Write the update."), "body")
    update = CampaignUpdate(campaign_id=campaign.id, author_id=user.id, title=title[:200],
                            body=body, created_at=now)
    session.add(update)
    session.flush()
    record_audit(user, "campaign.update", update, after={"campaign_id": campaign.id})
    for backer in list_backers(session, campaign):
        if backer.id != user.id:
            _mail(backer, _l("Update from %(title)s: %(update)s", title=campaign.title_for("zh"),
                            update=update.title), body, campaign)
    return update


def ask_question(session: Session, campaign: Campaign, user, question: str,
                 now: datetime) -> CampaignQuestion:
    """Anyone signed in asks the maker a question about a visible campaign."""
    if not (user and user.is_authenticated):
        raise NotAllowedError(_("Please sign in first."))
    if not is_visible(campaign):
        raise InvalidStateError(_("Questions can be asked once the campaign is live."))
    question = (question or "").strip()
    if not question:
        raise DomainError(_("Write your question."), "question")
    asked = CampaignQuestion(campaign_id=campaign.id, asked_by_id=user.id, question=question,
                             created_at=now)
    session.add(asked)
    session.flush()
    _notify_makers(campaign, _l("New question: %(title)s", title=campaign.title_for("zh")),
                   question)
    return asked


def answer_question(session: Session, question: CampaignQuestion, user, answer: str,
                    now: datetime) -> CampaignQuestion:
    """The maker answers a question (once; a second answer replaces the first)."""
    if not question.campaign.can_edit(user):
        raise NotAllowedError(_("Only the campaign's team can answer questions."))
    answer = (answer or "").strip()
    if not answer:
        raise DomainError(_("Write the answer."), "answer")
    question.answer, question.answered_by_id, question.answered_at = answer, user.id, now
    session.flush()
    if question.asked_by is not None and question.asked_by.is_active:
        _mail(question.asked_by, _l("Your question was answered: %(title)s",
                                   title=question.campaign.title_for("zh")), answer,
              question.campaign)
    return question


# ---------------------------------------------------------------------------------------------
# pledged instrument hours (called by marketplace.bookings.operations under its transaction)
def find_pledged_hours(session: Session, instrument: Instrument, organization,
                       minutes: int, *, for_update: bool = False) -> PledgedHours:
    """The organisation's grant of this instrument that covers ``minutes``; refuses otherwise."""
    grants = list(session.scalars(sa.select(PledgedHours).where(
        PledgedHours.instrument_id == instrument.id,
        PledgedHours.organization_id == organization.id).order_by(PledgedHours.id)))
    if not grants:
        raise DomainError(_("Your organisation has no pledged hours of this instrument (they "
                            "come with a campaign that succeeded)."), "starts_at")
    for grant in grants:
        if for_update:
            grant = lock(session, PledgedHours, grant.id)
        if grant.minutes_left >= minutes:
            return grant
    left = max(g.minutes_left for g in grants)
    raise DomainError(_("Only %(hours)s pledged hours are left; book a shorter slot.",
                        hours=f"{left / 60:g}"), "ends_at")


def use_pledged_hours(session: Session, grant: PledgedHours, booking, minutes: int) -> None:
    """Take the booking's minutes from the (locked) grant."""
    if grant.minutes_left < minutes:
        raise DomainError(_("Only %(hours)s pledged hours are left; book a shorter slot.",
                            hours=f"{grant.minutes_left / 60:g}"), "ends_at")
    grant.minutes_used += minutes
    session.add(PledgedHoursUse(grant_id=grant.id, booking_id=booking.id, minutes=minutes))
    session.flush()


def return_pledged_hours(session: Session, booking, now: datetime) -> int:
    """Give a rejected or cancelled booking's minutes back to its grant (once)."""
    use = session.scalars(sa.select(PledgedHoursUse).where(
        PledgedHoursUse.booking_id == booking.id)).first()
    if use is None or use.returned_at is not None:
        return 0
    grant = lock(session, PledgedHours, use.grant_id)
    grant.minutes_used -= use.minutes
    use.returned_at = now
    session.flush()
    return use.minutes


def list_pledged_hours(session: Session, organization_ids) -> list[PledgedHours]:
    if not organization_ids:
        return []
    return list(session.scalars(sa.select(PledgedHours).where(
        PledgedHours.organization_id.in_(list(organization_ids))).order_by(PledgedHours.id)))


# ---------------------------------------------------------------------------------------------
# mail
def _mail(user, subject, body, campaign: Campaign) -> None:
    """Mail in the recipient's language (subject and body may be lazy strings)."""
    link = external_url("campaigns.show", campaign_id=campaign.id)
    with force_locale(user.locale or "zh_CN"):
        send_mail(user.email, str(subject)[:200], f"{body}\n\n{link}")


def _notify_makers(campaign: Campaign, subject, body) -> None:
    for membership in campaign.organization.memberships:
        user = membership.user
        if user is not None and user.is_active:
            _mail(user, subject, body, campaign)
