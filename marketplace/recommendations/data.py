"""Database rows → ``matching.records``: the items (open listings of the four kinds), the parties
(verified organisations that can be customers), the implicit feedback, and the side data
(synonyms from the search module, district neighbours from ``data/changzhi_neighbours.csv``).

Every loader is a handful of set-based queries (no query per row), so ``flask matching train``
copes with tens of thousands of listings; the service uses the same functions for the listings and
organisations that changed since the artifact was trained.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload, with_polymorphic

from listings.models import Campaign, Listing, ListingKind, ListingStatus, Need
from listings.search import analyze, normalize, synonym_groups
from marketplace.organizations.models import (
    Membership,
    Organization,
    OrganizationKind,
    VerificationStatus,
)
from marketplace.reference import DATA_DIR, get_area
from matching.records import ITEM_KINDS, Interaction, Item, Party

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEIGHBOURS_FILE = DATA_DIR / "changzhi_neighbours.csv"
# the organisations that can be on the customer side (book, license, rent, back a campaign)
CUSTOMER_KINDS = (OrganizationKind.ENTERPRISE, OrganizationKind.MAKER,
                  OrganizationKind.UNIVERSITY)
BATCH = 500
MAX_TEXT_CHARS = 4000  # enough to describe a listing; keeps TF-IDF rows bounded


@dataclass
class Dataset:
    parties: list[Party]
    items: list[Item]
    interactions: list[Interaction]
    synonyms: tuple[tuple[tuple[str, ...], ...], ...] = ()
    neighbours: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {"parties": len(self.parties), "items": len(self.items),
                "interactions": len(self.interactions)}


def load_dataset(session: Session, now: datetime) -> Dataset:
    """Everything ``Recommender.fit`` needs, from the database as it is now."""
    items = list(load_items(session, now=now))
    parties = list(load_parties(session))
    item_ids = {item.id for item in items}
    party_ids = {party.id for party in parties}
    interactions = [i for i in load_interactions(session)
                    if i.item_id in item_ids and i.party_id in party_ids]
    return Dataset(parties, items, interactions, synonym_tokens(), neighbours())


# ---------------------------------------------------------------------------------------------
# items
def district_of(code: str | None) -> str:
    """The district or county of a code (a development zone counts as its parent district)."""
    area = get_area(code)
    if area is not None and area.is_zone and area.parent_code:
        return area.parent_code
    return code or ""


def open_condition(now: datetime, listing=Listing):
    """SQL: the listing may be recommended now (``Listing.is_searchable``: published, a space
    with area left to let; a campaign also live and before its deadline). Table aliases keep the
    subqueries uncorrelated from a polymorphic select that already joins these tables."""
    from marketplace.campaigns.models import CampaignRun, CampaignState
    from listings.models import Space

    spaces = Space.__table__.alias("open_spaces")
    campaigns = Campaign.__table__.alias("open_campaigns")
    runs = CampaignRun.__table__.alias("open_runs")
    full = sa.exists().where(spaces.c.id == listing.id, spaces.c.area_free_m2 <= 0)
    live = sa.exists().where(runs.c.campaign_id == listing.id,
                             runs.c.state == CampaignState.LIVE.value)
    not_past = sa.exists().where(campaigns.c.id == listing.id, campaigns.c.deadline > now)
    return sa.and_(listing.kind.in_(ITEM_KINDS), listing.status == ListingStatus.PUBLISHED,
                   sa.not_(full),
                   sa.or_(listing.kind != ListingKind.CAMPAIGN, sa.and_(live, not_past)))


def open_listing_ids(session: Session, ids: Iterable[int], now: datetime) -> set[int]:
    """Which of ``ids`` are open now (re-checked at request time: the artifact may be older)."""
    ids = list(ids)
    found: set[int] = set()
    for start in range(0, len(ids), BATCH):
        found.update(session.scalars(sa.select(Listing.id).where(
            Listing.id.in_(ids[start:start + BATCH]), open_condition(now))))
    return found


def load_items(session: Session, *, now: datetime, ids: Iterable[int] | None = None,
               changed_since: datetime | None = None) -> Iterator[Item]:
    """Open listings as Items (optionally only ``ids``, or those changed since a moment)."""
    poly = with_polymorphic(Listing, "*")
    query = (sa.select(poly).where(open_condition(now, poly))
             .options(selectinload(poly.Campaign.expertise_needs),
                      selectinload(poly.Campaign.resource_needs),
                      selectinload(poly.Campaign.reward_tiers))
             )
    if changed_since is not None:
        query = query.where(sa.or_(poly.updated_at > changed_since,
                                   poly.published_at > changed_since))
    technology_vouchers = technology_fees_take_vouchers(session)
    if ids is not None:
        ids = list(ids)
        for start in range(0, len(ids), BATCH):
            for listing in session.scalars(query.where(poly.id.in_(ids[start:start + BATCH]))):
                yield item_for(listing, technology_vouchers)
        return
    last = 0
    while True:
        chunk = session.scalars(query.where(poly.id > last).order_by(poly.id).limit(BATCH)).all()
        if not chunk:
            return
        for listing in chunk:
            yield item_for(listing, technology_vouchers)
        last = chunk[-1].id


def technology_fees_take_vouchers(session: Session) -> bool:
    """Licence fees may be paid by voucher where an open programme admits technology transfer
    (marketplace/licensing/fees.py)."""
    from marketplace.vouchers.models import ProgrammeStatus, VoucherProgramme

    return any(p.admits_technology_transfer for p in session.scalars(
        sa.select(VoucherProgramme).where(VoucherProgramme.status == ProgrammeStatus.OPEN)))


def listing_text(listing: Listing) -> str:
    parts = [listing.title_zh, listing.title_en, listing.summary_zh, listing.summary_en,
             listing.description, (listing.tags or "").replace(",", " ")]
    parts += list(listing.search_texts().values())
    return " ".join(p for p in parts if p)[:MAX_TEXT_CHARS]


def item_for(listing: Listing, technology_vouchers: bool = False) -> Item:
    text = listing_text(listing)
    if listing.kind == ListingKind.INSTRUMENT:
        accepts = bool(listing.accepts_vouchers)
    elif listing.kind == ListingKind.TECHNOLOGY:
        accepts = technology_vouchers
    else:
        accepts = False
    return Item(id=listing.id, kind=str(listing.kind), owner_id=listing.organization_id,
                district=district_of(listing.district_code), category=listing.category,
                words=tuple(analyze(text)), text=normalize(text), price_fen=listing.price_fen,
                accepts_vouchers=accepts, published_at=listing.published_at)


# ---------------------------------------------------------------------------------------------
# parties
def party_condition(org=Organization):
    return sa.and_(org.status == VerificationStatus.VERIFIED, org.kind.in_(CUSTOMER_KINDS))


def load_parties(session: Session, *, ids: Iterable[int] | None = None,
                 changed_since: datetime | None = None) -> Iterator[Party]:
    """Verified customer organisations as Parties: their profile and open needs' text."""
    query = sa.select(Organization).where(party_condition())
    if ids is not None:
        query = query.where(Organization.id.in_(list(ids)))
    if changed_since is not None:
        changed_needs = sa.select(Need.organization_id).where(
            sa.or_(Need.updated_at > changed_since, Need.published_at > changed_since))
        query = query.where(sa.or_(Organization.updated_at > changed_since,
                                   Organization.id.in_(changed_needs)))
    last = 0
    while True:
        chunk = session.scalars(query.where(Organization.id > last)
                                .order_by(Organization.id).limit(BATCH)).all()
        if not chunk:
            return
        needs = open_need_texts(session, [org.id for org in chunk])
        for org in chunk:
            yield party_for(org, needs.get(org.id, ()))
        last = chunk[-1].id


def open_need_texts(session: Session, org_ids: list[int]) -> dict[int, list[str]]:
    rows = session.scalars(sa.select(Need).where(
        Need.organization_id.in_(org_ids), Need.status == ListingStatus.PUBLISHED,
        Need.solved_at.is_(None)).order_by(Need.id))
    result: dict[int, list[str]] = {}
    for need in rows:
        result.setdefault(need.organization_id, []).append(listing_text(need))
    return result


def party_for(org: Organization, need_texts: Iterable[str] = ()) -> Party:
    parts = [org.description, org.needs, *need_texts, org.name_zh, org.name_en]
    text = " ".join(p for p in parts if p)[:MAX_TEXT_CHARS]
    return Party(id=org.id, industry=org.industry, district=district_of(org.district_code),
                 words=tuple(analyze(text)), text=normalize(text))


def party_for_need(need: Need) -> Party:
    """One need as the query: its text, with its organisation's industry and district."""
    org = need.organization
    text = listing_text(need)
    return Party(id=org.id, industry=org.industry,
                 district=district_of(need.district_code or org.district_code),
                 words=tuple(analyze(text)), text=normalize(text))


# ---------------------------------------------------------------------------------------------
# interactions
def _beijing_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), SHANGHAI).astimezone(UTC)


def load_interactions(session: Session) -> list[Interaction]:
    """Implicit feedback from every table that records interest, oldest first."""
    from marketplace.bookings.models import Booking, BookingStatus
    from marketplace.campaigns.models import ExpertiseOffer, ResourcePledge
    from marketplace.campaigns.pledge_models import Pledge, PledgeStatus
    from marketplace.conversations.models import Conversation
    from marketplace.licensing.models import LicenceAgreement, LicenceEnquiry
    from marketplace.recommendations.models import ListingView, NotRelevant
    from marketplace.spaces.models import Lease, Viewing

    result: list[Interaction] = []

    def add(kind: str, query) -> None:
        for party_id, item_id, at in session.execute(query):
            if party_id is not None and item_id is not None and at is not None:
                result.append(Interaction(party_id, item_id, kind, _aware(at)))

    for org_id, listing_id, day in session.execute(sa.select(
            ListingView.organization_id, ListingView.listing_id, ListingView.viewed_on)):
        result.append(Interaction(org_id, listing_id, "view", _beijing_noon(day)))
    # a conversation the other organisation started (not a provider's invitation)
    by_listing_org = sa.exists().where(Membership.user_id == Conversation.started_by_id,
                                       Membership.organization_id == Conversation.listing_org_id)
    add("enquiry", sa.select(Conversation.other_org_id, Conversation.listing_id,
                             Conversation.created_at)
        .where(Conversation.listing_id.is_not(None), sa.not_(by_listing_org)))
    add("enquiry", sa.select(LicenceEnquiry.organization_id, LicenceEnquiry.technology_id,
                             LicenceEnquiry.created_at))
    add("enquiry", sa.select(Viewing.tenant_org_id, Viewing.space_id, Viewing.created_at))
    # a booking cancelled before the provider decided says little
    add("booking", sa.select(Booking.organization_id, Booking.instrument_id, Booking.created_at)
        .where(sa.not_(sa.and_(Booking.status == BookingStatus.CANCELLED,
                               Booking.decided_at.is_(None)))))
    add("pledge", sa.select(Pledge.organization_id, Pledge.campaign_id, Pledge.created_at)
        .where(Pledge.status != PledgeStatus.CANCELLED))
    add("pledge", sa.select(ExpertiseOffer.organization_id, ExpertiseOffer.campaign_id,
                            ExpertiseOffer.created_at))
    add("pledge", sa.select(ResourcePledge.organization_id, ResourcePledge.campaign_id,
                            ResourcePledge.created_at))
    add("licence", sa.select(LicenceAgreement.licensee_org_id, LicenceAgreement.technology_id,
                             LicenceAgreement.concluded_at))
    add("lease", sa.select(Lease.tenant_org_id, Lease.space_id, Lease.concluded_at))
    add("not_relevant", sa.select(NotRelevant.organization_id, NotRelevant.listing_id,
                                  NotRelevant.created_at))
    result.sort(key=lambda i: (i.at, i.party_id, i.item_id))
    return result


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# side data
@cache
def synonym_tokens() -> tuple[tuple[tuple[str, ...], ...], ...]:
    """The search synonym groups, each term as the tuple of its index terms."""
    groups = []
    for group in synonym_groups():
        terms = tuple(dict.fromkeys(tuple(analyze(term)) for term in group))
        terms = tuple(t for t in terms if t)
        if len(terms) >= 2:
            groups.append(terms)
    return tuple(groups)


@cache
def neighbours() -> dict[str, frozenset[str]]:
    """District → the districts it borders (symmetric)."""
    pairs: dict[str, set[str]] = {}
    with open(NEIGHBOURS_FILE, encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        for row in rows:
            a, b = row["code_a"].strip(), row["code_b"].strip()
            pairs.setdefault(a, set()).add(b)
            pairs.setdefault(b, set()).add(a)
    return {code: frozenset(codes) for code, codes in pairs.items()}


def is_neighbour(a: str, b: str) -> bool:
    return b in neighbours().get(a, frozenset())


def beijing_day(now: datetime) -> date:
    return now.astimezone(SHANGHAI).date()


def iso_week(now: datetime) -> str:
    year, week, _ = now.astimezone(SHANGHAI).isocalendar()
    return f"{year}-W{week:02d}"


__all__ = ["Dataset", "load_dataset", "load_items", "load_parties", "load_interactions",
           "open_listing_ids", "party_for", "party_for_need", "item_for", "district_of",
           "synonym_tokens", "neighbours", "beijing_day", "iso_week"]
