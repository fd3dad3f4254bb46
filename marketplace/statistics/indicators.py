"""The programme office's indicators, computed from the records (no cache, no Flask).

Public API (also used by ``marketplace.opendata``): ``Filters``, ``instrument_openness``,
``provider_openness``, ``vouchers_by_month_and_district``, ``marketplace_summary``; and for the
dashboard ``voucher_overview``, ``quota_burn_down``, ``nearest_annual_cap``,
``recommendation_funnel``.

Conventions:
* ``Filters`` are Beijing calendar days, inclusive; a development zone rolls up to its district.
  Flows (granted, spent, bookings, campaigns launched …) count what happened in the period;
  open voucher holds (``held``) are those opened in the period and still open at ``now``.
* Voucher money is read from the ledger entries, never from the bookings' cached columns: a
  two-leg transfer is classified by the kinds of account it debits and credits (budget → voucher
  = granted, voucher → budget = expired, voucher → receivable = spent, receivable → reimbursed =
  reimbursed); a reversal counts against the category of the transfer it reverses.
* The district of voucher money is the enterprise's (the voucher holder's); of a reimbursement,
  the provider's. The district of a listing figure is the listing's.
"""

from __future__ import annotations

import re
import statistics as pystats
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

SHANGHAI = ZoneInfo("Asia/Shanghai")

VOUCHER_CATEGORIES = ("granted", "held", "spent", "expired", "reimbursed")


# ---------------------------------------------------------------------------------------------
# filters
@dataclass(frozen=True)
class Filters:  # Beijing calendar days, inclusive; None = unbounded
    start: date | None = None
    end: date | None = None
    district: str | None = None  # a district/county code; development zones roll up to it

    def __post_init__(self):
        if self.start and self.end and self.start > self.end:
            raise ValueError("start after end")
        if self.district is not None:
            code = district_of(self.district)
            if code is None:
                raise ValueError(f"unknown district {self.district!r}")
            object.__setattr__(self, "district", code)

    @property
    def start_utc(self) -> datetime | None:
        return local_midnight(self.start) if self.start else None

    @property
    def end_utc(self) -> datetime | None:  # exclusive
        return local_midnight(self.end + timedelta(days=1)) if self.end else None

    def contains(self, moment: datetime | None) -> bool:
        if moment is None:
            return False
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        if self.start_utc and moment < self.start_utc:
            return False
        return not (self.end_utc and moment >= self.end_utc)

    def in_district(self, code: str | None) -> bool:
        return self.district is None or district_of(code) == self.district

    def days(self, now: datetime, first: date | None = None) -> tuple[date, date]:
        """The period as days, bounded by ``first`` and today when open-ended."""
        today = now.astimezone(SHANGHAI).date()
        start = self.start or first or today - timedelta(days=364)
        end = min(self.end or today, today)
        return start, end

    def where(self, column):
        """SQL conditions keeping ``column`` (a UTC datetime) inside the period."""
        conditions = []
        if self.start_utc is not None:
            conditions.append(column >= self.start_utc)
        if self.end_utc is not None:
            conditions.append(column < self.end_utc)
        return conditions


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), SHANGHAI).astimezone(UTC)


def local_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).date()


def month_of(moment: datetime) -> str:
    return local_day(moment).strftime("%Y-%m")


def district_of(code: str | None) -> str | None:
    """The district/county a code belongs to (a development zone → its parent), None if unknown."""
    from marketplace.reference import get_area

    area = get_area(code)
    if area is None:
        return None
    return area.parent_code if area.is_zone else area.code


def district_codes() -> list[str]:
    from marketplace.reference import areas

    return [a.code for a in areas() if not a.is_zone]


# ---------------------------------------------------------------------------------------------
# voucher money from the ledger
_CODES = (
    ("budget", re.compile(r"^programme:(?P<programme>\d+):layer:(?P<layer>\d+):budget$")),
    ("voucher", re.compile(r"^enterprise:(?P<org>\d+):quota:(?P<quota>\d+):layer:(?P<layer>\d+)"
                           r":voucher$")),
    ("receivable", re.compile(r"^provider:(?P<org>\d+):programme:(?P<programme>\d+)"
                              r":layer:(?P<layer>\d+):receivable$")),
    ("reimbursed", re.compile(r"^programme:(?P<programme>\d+):layer:(?P<layer>\d+):reimbursed$")),
)
_FLOWS = {("budget", "voucher"): "granted", ("voucher", "budget"): "expired",
          ("voucher", "receivable"): "spent", ("receivable", "reimbursed"): "reimbursed"}


@dataclass(frozen=True)
class _Account:
    kind: str
    layer_id: int
    org_id: int | None  # the enterprise (voucher) or provider (receivable)


def _parse(code: str) -> _Account | None:
    for kind, pattern in _CODES:
        m = pattern.match(code)
        if m:
            groups = m.groupdict()
            return _Account(kind, int(groups["layer"]),
                            int(groups["org"]) if groups.get("org") else None)
    return None


@dataclass(frozen=True)
class VoucherMovement:
    """One classified voucher transfer (one layer)."""

    transfer_id: int
    category: str  # granted, held, spent, expired, reimbursed
    amount_fen: int  # negative for a reversal
    at: datetime
    programme_id: int
    layer_id: int
    enterprise_id: int | None
    provider_id: int | None
    district: str | None  # the enterprise's district; for reimbursed the provider's


def voucher_movements(session, filters: Filters, now: datetime) -> list[VoucherMovement]:
    """Every voucher transfer of the period, classified from its ledger entries."""
    from marketplace.ledger.models import (Asset, HoldStatus, LedgerAccount, LedgerEntry,
                                           LedgerTransfer, TransferKind)
    from marketplace.organizations.models import Organization
    from marketplace.vouchers.models import FundingLayer

    accounts = {}
    for account_id, code in session.execute(
            sa.select(LedgerAccount.id, LedgerAccount.code)
            .where(LedgerAccount.asset == Asset.VOUCHER)):
        parsed = _parse(code)
        if parsed is not None:
            accounts[account_id] = parsed
    if not accounts:
        return []
    layer_programme = {lid: pid for lid, pid in session.execute(
        sa.select(FundingLayer.id, FundingLayer.programme_id))}
    org_district = {oid: district_of(code) for oid, code in session.execute(
        sa.select(Organization.id, Organization.district_code))}

    transfer = LedgerTransfer
    query = (sa.select(LedgerEntry.transfer_id, LedgerEntry.account_id, LedgerEntry.amount,
                       transfer.kind, transfer.status, transfer.created_at, transfer.reverses_id)
             .join(transfer, transfer.id == LedgerEntry.transfer_id)
             .where(transfer.asset == Asset.VOUCHER, *filters.where(transfer.created_at),
                    # a resolved hold counts through its post (spent) or not at all (void)
                    sa.or_(transfer.kind != TransferKind.PENDING,
                           transfer.status == HoldStatus.PENDING))
             .order_by(LedgerEntry.transfer_id, LedgerEntry.id))
    legs: dict[int, list] = defaultdict(list)
    meta: dict[int, tuple] = {}
    for transfer_id, account_id, amount, kind, status, created_at, reverses_id in \
            session.execute(query):
        account = accounts.get(account_id)
        if account is None:
            continue
        legs[transfer_id].append((account, amount))
        meta[transfer_id] = (kind, status, created_at, reverses_id)

    result = []
    for transfer_id, entries in legs.items():
        kind, status, created_at, reverses_id = meta[transfer_id]
        if kind == TransferKind.PENDING and status != HoldStatus.PENDING:
            continue  # resolved: its post (if any) counts as spent
        debits = [a for a, amount in entries if amount < 0]
        credits = [(a, amount) for a, amount in entries if amount > 0]
        if len(debits) != 1 or len(credits) != 1:
            continue
        debit, (credit, amount) = debits[0], credits[0]
        sign = 1
        category = _FLOWS.get((debit.kind, credit.kind))
        if kind == TransferKind.REVERSAL:
            category, sign = _FLOWS.get((credit.kind, debit.kind)), -1
        if kind == TransferKind.PENDING:
            category = "held" if category == "spent" else None
        if category is None:
            continue
        enterprise = next((a.org_id for a in (debit, credit) if a.kind == "voucher"), None)
        provider = next((a.org_id for a in (debit, credit) if a.kind == "receivable"), None)
        district = org_district.get(provider if category == "reimbursed" else enterprise)
        if filters.district is not None and district != filters.district:
            continue
        layer_id = debit.layer_id
        result.append(VoucherMovement(transfer_id, category, sign * amount, created_at,
                                      layer_programme.get(layer_id, 0), layer_id, enterprise,
                                      provider, district))
    return result


@dataclass(frozen=True)
class VoucherMonthDistrict:
    month: str  # "2026-11", Beijing
    district: str | None
    spent_fen: int  # posted to providers
    bookings_paid: int  # bookings (and licence fees) whose vouchers were posted


def vouchers_by_month_and_district(session, filters: Filters, now: datetime) \
        -> list[VoucherMonthDistrict]:
    movements = [m for m in voucher_movements(session, filters, now) if m.category == "spent"]
    keys = _payment_keys(session, [m.transfer_id for m in movements])
    sums: dict[tuple, int] = defaultdict(int)
    paid: dict[tuple, set] = defaultdict(set)
    for m in movements:
        key = (month_of(m.at), m.district)
        sums[key] += m.amount_fen
        if m.amount_fen > 0:
            paid[key].add(keys.get(m.transfer_id, m.transfer_id))
    return [VoucherMonthDistrict(month, district, sums[(month, district)],
                                 len(paid[(month, district)]))
            for month, district in sorted(sums, key=lambda k: (k[0], k[1] or ""))]


def _payment_keys(session, transfer_ids: list[int]) -> dict[int, str]:
    """Transfer id → what it paid ("booking:12", "licence_fee:3"), from the idempotency key."""
    from marketplace.ledger.models import LedgerTransfer

    result = {}
    for chunk in _chunks(transfer_ids, 900):
        for tid, key in session.execute(sa.select(LedgerTransfer.id, LedgerTransfer.idempotency_key)
                                        .where(LedgerTransfer.id.in_(chunk))):
            parts = key.split(":")
            result[tid] = ":".join(parts[:2])
    return result


def _chunks(items, size):
    for i in range(0, len(items), size):
        yield items[i:i + size]


@dataclass
class VoucherFigures:
    budget_fen: int = 0
    granted_fen: int = 0
    held_fen: int = 0
    spent_fen: int = 0
    expired_fen: int = 0
    reimbursed_fen: int = 0

    def add(self, category: str, amount: int) -> None:
        setattr(self, f"{category}_fen", getattr(self, f"{category}_fen") + amount)


@dataclass(frozen=True)
class LayerRow:
    programme_id: int
    programme_zh: str
    programme_en: str | None
    layer_id: int
    layer_zh: str
    layer_en: str | None
    figures: VoucherFigures


@dataclass(frozen=True)
class VoucherOverview:
    totals: VoucherFigures
    layers: list[LayerRow]
    months: list[tuple[str, VoucherFigures]]
    districts: list[tuple[str | None, VoucherFigures]]


def voucher_overview(session, filters: Filters, now: datetime,
                     movements: list[VoucherMovement] | None = None) -> VoucherOverview:
    """Budget, granted, held, spent, expired, reimbursed: in total, per layer, month, district."""
    from marketplace.vouchers.models import FundingLayer, VoucherProgramme

    if movements is None:
        movements = voucher_movements(session, filters, now)
    layers = session.execute(
        sa.select(FundingLayer, VoucherProgramme)
        .join(VoucherProgramme, VoucherProgramme.id == FundingLayer.programme_id)
        .order_by(VoucherProgramme.id, FundingLayer.position, FundingLayer.id)).all()
    per_layer = {layer.id: VoucherFigures(budget_fen=layer.budget_fen) for layer, _ in layers}
    totals = VoucherFigures(budget_fen=sum(layer.budget_fen for layer, _ in layers))
    months: dict[str, VoucherFigures] = defaultdict(VoucherFigures)
    districts: dict[str | None, VoucherFigures] = defaultdict(VoucherFigures)
    for m in movements:
        totals.add(m.category, m.amount_fen)
        per_layer.setdefault(m.layer_id, VoucherFigures()).add(m.category, m.amount_fen)
        months[month_of(m.at)].add(m.category, m.amount_fen)
        districts[m.district].add(m.category, m.amount_fen)
    rows = [LayerRow(p.id, p.name_zh, p.name_en, layer.id, layer.name_zh, layer.name_en,
                     per_layer[layer.id]) for layer, p in layers]
    return VoucherOverview(totals, rows, sorted(months.items()),
                           sorted(districts.items(), key=lambda kv: kv[0] or "~"))


# ---------------------------------------------------------------------------------------------
# quota burn-down and annual caps
@dataclass(frozen=True)
class BurnDown:
    programme_id: int
    programme_zh: str
    programme_en: str | None
    budget_fen: int
    remaining_fen: int  # budget less vouchers issued and not returned, now
    points: list[tuple[str, int]]  # (Beijing day, remaining at its end), one per day with grants
    rate_fen_per_day: float  # net issue rate over the last 90 days
    exhausted_on: date | None  # projected; None when nothing is being issued


def quota_burn_down(session, now: datetime, window_days: int = 90,
                    movements: list[VoucherMovement] | None = None) -> list[BurnDown]:
    """Per programme: the remaining budget after each day's grants and returns (all time, all
    districts: a budget is the programme's), the issue rate and the projected exhaustion."""
    from marketplace.vouchers.models import VoucherProgramme

    if movements is None:
        movements = voucher_movements(session, Filters(), now)
    today = local_day(now)
    result = []
    for programme in session.scalars(sa.select(VoucherProgramme).order_by(VoucherProgramme.id)):
        budget = programme.budget_fen
        daily: dict[date, int] = defaultdict(int)
        for m in movements:
            if m.programme_id != programme.id:
                continue
            if m.category == "granted":
                daily[local_day(m.at)] += m.amount_fen
            elif m.category == "expired":
                daily[local_day(m.at)] -= m.amount_fen
        remaining, points = budget, []
        for day in sorted(daily):
            remaining -= daily[day]
            points.append((day.isoformat(), remaining))
        since = today - timedelta(days=window_days - 1)
        issued = sum(v for d, v in daily.items() if d >= since)
        rate = issued / window_days
        exhausted = None
        if rate > 0 and remaining > 0:
            exhausted = today + timedelta(days=int(remaining / rate))
        elif remaining <= 0 and points:
            exhausted = date.fromisoformat(points[-1][0])
        result.append(BurnDown(programme.id, programme.name_zh, programme.name_en, budget,
                               remaining, points, rate, exhausted))
    return result


@dataclass(frozen=True)
class CapRow:
    programme_id: int
    programme_zh: str
    programme_en: str | None
    organization_id: int
    organization_zh: str
    organization_en: str | None
    district: str | None
    granted_fen: int
    cap_fen: int

    @property
    def used_bp(self) -> int:
        return self.granted_fen * 10_000 // self.cap_fen if self.cap_fen else 0

    @property
    def left_fen(self) -> int:
        return max(self.cap_fen - self.granted_fen, 0)


def nearest_annual_cap(session, filters: Filters, now: datetime, limit: int = 20) -> list[CapRow]:
    """The enterprises whose grants this Beijing year come closest to a programme's annual cap
    (the same sum the cap check in ``vouchers.operations.grant_quota`` uses)."""
    from marketplace.organizations.models import Organization
    from marketplace.vouchers.models import Quota, VoucherProgramme

    year = local_day(now).year
    rows = session.execute(
        sa.select(VoucherProgramme, Organization, sa.func.sum(Quota.amount_fen))
        .join(Quota, Quota.programme_id == VoucherProgramme.id)
        .join(Organization, Organization.id == Quota.organization_id)
        .where(Quota.grant_year == year, VoucherProgramme.annual_cap_per_enterprise_fen.is_not(None))
        .group_by(VoucherProgramme.id, Organization.id)).all()
    result = [CapRow(p.id, p.name_zh, p.name_en, o.id, o.name_zh, o.name_en,
                     district_of(o.district_code), int(total), p.annual_cap_per_enterprise_fen)
              for p, o, total in rows if filters.in_district(o.district_code)]
    result.sort(key=lambda r: (-r.used_bp, r.left_fen, r.organization_id))
    return result[:limit]


# ---------------------------------------------------------------------------------------------
# instruments
@dataclass(frozen=True)
class InstrumentOpenness:
    listing_id: int
    title_zh: str
    title_en: str | None
    provider_id: int
    provider_name: str
    district: str | None
    hours_open: float
    hours_booked: float
    hours_used: float
    external_share_bp: int  # of the used bookings, those by other organisations
    median_wait_hours: float | None  # request → start of use, used bookings
    cancellations: int
    no_shows: int
    bookings: int
    used_bookings: int = 0
    external_bookings: int = 0
    wait_hours: tuple[float, ...] = field(default=(), repr=False, compare=False)
    provider_name_en: str | None = None


@dataclass(frozen=True)
class ProviderOpenness:
    provider_id: int
    provider_name: str
    district: str | None
    instruments: int
    hours_open: float
    hours_booked: float
    hours_used: float
    external_share_bp: int
    median_wait_hours: float | None
    cancellations: int
    no_shows: int
    bookings: int
    used_bookings: int = 0
    external_bookings: int = 0
    provider_name_en: str | None = None


def _open_hours(instrument, start: date, end: date) -> float:
    """Hours the instrument's calendar was open on the days start..end."""
    hours = instrument.opening_hours or {}
    closed = set(instrument.closed_dates or [])
    per_weekday = {}
    for weekday in range(7):
        total = 0
        for span in hours.get(str(weekday), []) or []:
            try:
                a, b = span
                ah, am = (int(x) for x in a.split(":"))
                bh, bm = (int(x) for x in b.split(":"))
            except (TypeError, ValueError):
                continue
            total += max((bh * 60 + bm) - (ah * 60 + am), 0)
        per_weekday[weekday] = total
    if end < start:
        return 0.0
    days = (end - start).days + 1
    minutes = 0
    full_weeks, rest = divmod(days, 7)
    minutes += full_weeks * sum(per_weekday.values())
    for i in range(rest):
        minutes += per_weekday[(start + timedelta(days=full_weeks * 7 + i)).weekday()]
    for text in closed:
        try:
            day = date.fromisoformat(text)
        except (TypeError, ValueError):
            continue
        if start <= day <= end:
            minutes -= per_weekday[day.weekday()]
    return round(max(minutes, 0) / 60, 2)


def instrument_openness(session, filters: Filters, now: datetime) -> list[InstrumentOpenness]:
    """Per published (or once published) instrument: the openness indicators of the period
    (bookings by their start time)."""
    from listings.models import Instrument, ListingStatus
    from marketplace.bookings.models import Booking, BookingStatus
    from marketplace.organizations.models import Organization

    instruments = [i for i in session.scalars(
        sa.select(Instrument).where(Instrument.published_at.is_not(None))
        .where(Instrument.status != ListingStatus.DRAFT)
        .order_by(Instrument.id)) if filters.in_district(i.district_code)]
    if not instruments:
        return []
    ids = [i.id for i in instruments]
    providers = {o.id: o for o in session.scalars(
        sa.select(Organization).where(Organization.id.in_({i.organization_id for i in instruments})))}
    stats = {i: defaultdict(float) for i in ids}
    waits: dict[int, list[float]] = defaultdict(list)
    owner = {i.id: i.organization_id for i in instruments}
    query = (sa.select(Booking.instrument_id, Booking.organization_id, Booking.status,
                       Booking.starts_at, Booking.ends_at, Booking.created_at,
                       Booking.actual_minutes)
             .where(*filters.where(Booking.starts_at)))
    if len(ids) < 900:
        query = query.where(Booking.instrument_id.in_(ids))
    used_states = (BookingStatus.COMPLETED, BookingStatus.SETTLED)
    booked_states = (BookingStatus.APPROVED, BookingStatus.COMPLETED, BookingStatus.SETTLED,
                     BookingStatus.NO_SHOW)
    for instrument_id, org_id, status, starts, ends, created, actual in session.execute(query):
        s = stats.get(instrument_id)
        if s is None:
            continue
        s["bookings"] += 1
        if status in booked_states:
            s["booked"] += (ends - starts).total_seconds() / 3600
        if status == BookingStatus.CANCELLED:
            s["cancellations"] += 1
        elif status == BookingStatus.NO_SHOW:
            s["no_shows"] += 1
        elif status in used_states:
            s["used"] += (actual or 0) / 60
            s["used_bookings"] += 1
            if org_id != owner[instrument_id]:
                s["external"] += 1
            waits[instrument_id].append(max((starts - created).total_seconds() / 3600, 0.0))
    result = []
    for instrument in instruments:
        s = stats[instrument.id]
        first = local_day(instrument.published_at)
        start, end = filters.days(now, first)
        start = max(start, first)
        provider = providers.get(instrument.organization_id)
        used = int(s["used_bookings"])
        sample = tuple(waits[instrument.id])
        result.append(InstrumentOpenness(
            listing_id=instrument.id, title_zh=instrument.title_zh or "",
            title_en=instrument.title_en, provider_id=instrument.organization_id,
            provider_name=provider.name_zh if provider else "",
            district=district_of(instrument.district_code),
            hours_open=_open_hours(instrument, start, end), hours_booked=round(s["booked"], 2),
            hours_used=round(s["used"], 2),
            external_share_bp=int(s["external"]) * 10_000 // used if used else 0,
            median_wait_hours=round(pystats.median(sample), 1) if sample else None,
            cancellations=int(s["cancellations"]), no_shows=int(s["no_shows"]),
            bookings=int(s["bookings"]), used_bookings=used, external_bookings=int(s["external"]),
            wait_hours=sample, provider_name_en=provider.name_en if provider else None))
    return result


def provider_openness(rows: list[InstrumentOpenness]) -> list[ProviderOpenness]:
    """The instruments' figures summed per provider (median over all the provider's waits)."""
    groups: dict[int, list[InstrumentOpenness]] = defaultdict(list)
    for row in rows:
        groups[row.provider_id].append(row)
    result = []
    for provider_id, items in groups.items():
        used = sum(r.used_bookings for r in items)
        external = sum(r.external_bookings for r in items)
        sample = [w for r in items for w in r.wait_hours]
        result.append(ProviderOpenness(
            provider_id=provider_id, provider_name=items[0].provider_name,
            district=items[0].district, instruments=len(items),
            hours_open=round(sum(r.hours_open for r in items), 2),
            hours_booked=round(sum(r.hours_booked for r in items), 2),
            hours_used=round(sum(r.hours_used for r in items), 2),
            external_share_bp=external * 10_000 // used if used else 0,
            median_wait_hours=round(pystats.median(sample), 1) if sample else None,
            cancellations=sum(r.cancellations for r in items),
            no_shows=sum(r.no_shows for r in items), bookings=sum(r.bookings for r in items),
            used_bookings=used, external_bookings=external,
            provider_name_en=items[0].provider_name_en))
    result.sort(key=lambda p: (-p.hours_used, p.provider_id))
    return result


# ---------------------------------------------------------------------------------------------
# marketplace
@dataclass(frozen=True)
class MarketplaceSummary:
    listings: dict[str, dict[str, int]]  # kind → district → published listings
    enquiries: int  # conversations about a listing and licence enquiries started in the period
    campaigns_launched: int
    campaigns_succeeded: int
    campaigns_failed: int
    money_raised_fen: int  # pledges paid in the period (paid or released to the maker)
    expertise_hours: int  # accepted expertise offers
    resources_pledged: int  # accepted resource pledges
    licences_concluded: int
    licence_value_fen: int  # upfront fees of the agreements concluded
    spaces_leased: int
    area_leased_m2: int


def marketplace_summary(session, filters: Filters, now: datetime) -> MarketplaceSummary:
    from listings.models import Listing, ListingStatus
    from marketplace.campaigns.models import (CampaignRun, CampaignState, ContributionState,
                                              ExpertiseOffer, ResourcePledge)
    from marketplace.campaigns.pledge_models import RAISED, Pledge
    from marketplace.conversations.models import Conversation
    from marketplace.licensing.models import LicenceAgreement, LicenceEnquiry
    from marketplace.spaces.models import Lease

    district_of_listing = {lid: district_of(code) for lid, code in session.execute(
        sa.select(Listing.id, Listing.district_code))}

    def keep(listing_id) -> bool:
        return filters.district is None or district_of_listing.get(listing_id) == filters.district

    listings: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for lid, kind, published_at in session.execute(
            sa.select(Listing.id, Listing.kind, Listing.published_at)
            .where(Listing.status == ListingStatus.PUBLISHED)):
        if keep(lid) and (filters.end_utc is None or (published_at and published_at < filters.end_utc)):
            listings[str(kind)][district_of_listing.get(lid) or ""] += 1

    enquiries = sum(1 for (lid,) in session.execute(
        sa.select(Conversation.listing_id).where(Conversation.listing_id.is_not(None),
                                                 *filters.where(Conversation.created_at)))
        if keep(lid))
    enquiries += sum(1 for (lid,) in session.execute(
        sa.select(LicenceEnquiry.technology_id).where(*filters.where(LicenceEnquiry.created_at)))
        if keep(lid))

    launched = succeeded = failed = 0
    for cid, state, live_at, closed_at in session.execute(
            sa.select(CampaignRun.campaign_id, CampaignRun.state, CampaignRun.went_live_at,
                      CampaignRun.closed_at)):
        if not keep(cid):
            continue
        launched += filters.contains(live_at)
        if filters.contains(closed_at):
            succeeded += state == CampaignState.SUCCEEDED
            failed += state == CampaignState.FAILED
    raised = sum(amount for cid, amount in session.execute(
        sa.select(Pledge.campaign_id, Pledge.amount_fen)
        .where(Pledge.status.in_(RAISED), *filters.where(Pledge.paid_at))) if keep(cid))
    expertise = sum(hours for cid, hours in session.execute(
        sa.select(ExpertiseOffer.campaign_id, ExpertiseOffer.hours)
        .where(ExpertiseOffer.state == ContributionState.ACCEPTED,
               *filters.where(ExpertiseOffer.created_at))) if keep(cid))
    resources = sum(1 for (cid,) in session.execute(
        sa.select(ResourcePledge.campaign_id)
        .where(ResourcePledge.state == ContributionState.ACCEPTED,
               *filters.where(ResourcePledge.created_at))) if keep(cid))
    licences = [(tid, fee) for tid, fee in session.execute(
        sa.select(LicenceAgreement.technology_id, LicenceAgreement.upfront_fee_fen)
        .where(*filters.where(LicenceAgreement.concluded_at))) if keep(tid)]
    leases = [(sid, area) for sid, area in session.execute(
        sa.select(Lease.space_id, Lease.area_m2).where(*filters.where(Lease.concluded_at)))
        if keep(sid)]
    return MarketplaceSummary(
        listings={k: dict(v) for k, v in listings.items()}, enquiries=enquiries,
        campaigns_launched=int(launched), campaigns_succeeded=int(succeeded),
        campaigns_failed=int(failed), money_raised_fen=int(raised),
        expertise_hours=int(expertise), resources_pledged=int(resources),
        licences_concluded=len(licences), licence_value_fen=sum(f or 0 for _, f in licences),
        spaces_leased=len(leases), area_leased_m2=sum(a for _, a in leases))


# ---------------------------------------------------------------------------------------------
# recommendations
@dataclass(frozen=True)
class RecommendationFunnel:
    impressions: int  # listings shown in a panel (per organisation and day)
    clicks: int  # panel links followed (``?via=rec``)
    clicked_pairs: int  # organisation × listing pairs with a click
    conversions: int  # of those, pairs where the organisation then acted on the listing
    panels: dict[str, int]  # impressions per panel

    @property
    def click_through_bp(self) -> int:
        return self.clicks * 10_000 // self.impressions if self.impressions else 0

    @property
    def conversion_bp(self) -> int:
        return self.conversions * 10_000 // self.clicked_pairs if self.clicked_pairs else 0


def recommendation_funnel(session, filters: Filters, now: datetime) -> RecommendationFunnel:
    """Impressions and clicks of the period (by Beijing day); a click converts when the clicking
    organisation afterwards books the instrument, enquires (conversation or licence enquiry),
    pledges to the campaign, or asks to view / is offered a lease of the space."""
    from listings.models import Listing
    from marketplace.bookings.models import Booking
    from marketplace.campaigns.pledge_models import Pledge
    from marketplace.conversations.models import Conversation
    from marketplace.licensing.models import LicenceEnquiry
    from marketplace.spaces.models import LeaseOffer, Viewing
    from marketplace.statistics.models import RecommendationImpression as RI

    conditions = []
    if filters.start:
        conditions.append(RI.shown_on >= filters.start)
    if filters.end:
        conditions.append(RI.shown_on <= filters.end)
    impressions = clicks = 0
    panels: dict[str, int] = defaultdict(int)
    for panel, district, shown, clicked in session.execute(
            sa.select(RI.panel, Listing.district_code, sa.func.sum(RI.impressions),
                      sa.func.sum(RI.clicks))
            .join(Listing, Listing.id == RI.listing_id).where(*conditions)
            .group_by(RI.panel, Listing.district_code)):
        if not filters.in_district(district):
            continue
        impressions += int(shown or 0)
        clicks += int(clicked or 0)
        if shown:
            panels[panel] += int(shown)
    first_click: dict[tuple[int, int], datetime] = {}
    for org_id, listing_id, first_at, district in session.execute(
            sa.select(RI.organization_id, RI.listing_id, RI.first_clicked_at,
                      Listing.district_code)
            .join(Listing, Listing.id == RI.listing_id)
            .where(*conditions, RI.clicks > 0, RI.first_clicked_at.is_not(None))):
        if not filters.in_district(district):
            continue
        key = (org_id, listing_id)
        first_click[key] = min(first_click.get(key, first_at), first_at)
    conversions = 0
    if first_click:
        org_ids = sorted({org for org, _ in first_click})
        acted: dict[tuple[int, int], datetime] = {}
        sources = [
            (Booking.organization_id, Booking.instrument_id, Booking.created_at),
            (Conversation.other_org_id, Conversation.listing_id, Conversation.created_at),
            (LicenceEnquiry.organization_id, LicenceEnquiry.technology_id,
             LicenceEnquiry.created_at),
            (Pledge.organization_id, Pledge.campaign_id, Pledge.created_at),
            (Viewing.tenant_org_id, Viewing.space_id, Viewing.created_at),
            (LeaseOffer.tenant_org_id, LeaseOffer.space_id, LeaseOffer.created_at),
        ]
        for org_col, listing_col, at_col in sources:
            for chunk in _chunks(org_ids, 900):
                for org, listing_id, at in session.execute(
                        sa.select(org_col, listing_col, sa.func.max(at_col))
                        .where(org_col.in_(chunk), listing_col.is_not(None))
                        .group_by(org_col, listing_col)):
                    key = (org, listing_id)
                    if key in first_click and at is not None:
                        acted[key] = max(acted.get(key, at), at)
        conversions = sum(1 for key, at in first_click.items()
                          if key in acted and acted[key] >= at)
    return RecommendationFunnel(impressions, clicks, len(first_click), conversions, dict(panels))
