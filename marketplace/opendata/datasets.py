"""The published datasets: which figures of ``marketplace.statistics.indicators`` go out, and how.

Invariants (what makes the data safe to publish):
* Figures are never computed here: every number is read from the indicators module (the same
  functions the officers' dashboard uses); this module only selects, suppresses and shapes them.
* Every dataset publishes an explicit list of columns (a whitelist): a field added to an
  indicator later is not published until it is named here. No column names a person (no user
  names, e-mail addresses, phone numbers or addresses); organisations appear only as providers
  of published instruments, whose names are on the public listing pages anyway.
* Instruments are published only while their listing is publicly visible (``can_view`` by an
  anonymous visitor), so drafts, archived and taken-down listings never appear.
* Voucher money is published per calendar month and district only, for months that have ended
  (Beijing time), with ``start``/``end`` widened to whole months: a cell can then neither grow
  while one watches nor be split by choosing days, so no differencing of two answers isolates
  one enterprise. A cell paid by fewer than ``MIN_PARTIES`` enterprises is suppressed: its
  figures are null and ``suppressed`` is true. No month or district totals are published, so
  a suppressed cell cannot be recovered by subtraction either.
* Licence value is null when fewer than ``MIN_PARTIES`` licences were concluded (a single
  agreement's fee is a confidential term of that agreement).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l

from marketplace.errors import DomainError
from marketplace.reference import get_area
from marketplace.statistics import indicators
from marketplace.statistics.indicators import Filters

MIN_PARTIES = 3  # fewer parties behind a money figure: the figure is suppressed
FIRST_YEAR, LAST_YEAR = 2000, 2099
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class BadFilterError(DomainError):
    code = "bad_filter"


# ---------------------------------------------------------------------------------------------
# filters
def _parse_day(args, name: str) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        if not _DATE.match(raw):
            raise ValueError
        day = date.fromisoformat(raw)
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValueError
    except ValueError:
        raise BadFilterError(_l("'%(name)s' must be a date written YYYY-MM-DD between %(first)s "
                                "and %(last)s.", name=name, first=f"{FIRST_YEAR}-01-01",
                                last=f"{LAST_YEAR}-12-31"), name) from None
    return day


def parse_filters(args) -> Filters:
    """``start``, ``end`` (Beijing days, inclusive) and ``district`` (a district, county or
    development-zone code; a zone counts as its district) from a query string."""
    start, end = _parse_day(args, "start"), _parse_day(args, "end")
    if start and end and start > end:
        raise BadFilterError(_l("'start' must not be after 'end'."), "start")
    district = (args.get("district") or "").strip() or None
    if district is not None and (len(district) > 12 or get_area(district) is None):
        raise BadFilterError(_l("'district' must be one of the codes listed at "
                                "/api/v1/districts."), "district")
    return Filters(start=start, end=end, district=district)


def filters_json(filters: Filters) -> dict:
    return {"start": filters.start.isoformat() if filters.start else None,
            "end": filters.end.isoformat() if filters.end else None,
            "district": filters.district}


def voucher_filters(filters: Filters, now: datetime) -> Filters | None:
    """Whole calendar months that have ended: start → the 1st of its month, end → the last day
    of its month, and never later than the last day of the previous month (Beijing). None when
    no month of the period has ended yet."""
    last_closed = indicators.local_day(now).replace(day=1) - timedelta(days=1)
    start = filters.start.replace(day=1) if filters.start else None
    end = min(_month_end(filters.end), last_closed) if filters.end else last_closed
    if start and start > end:
        return None
    return Filters(start=start, end=end, district=filters.district)


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# columns and datasets
@dataclass(frozen=True)
class Column:
    name: str
    type: str  # JSON schema type: string, integer, number, boolean
    description: str  # English, for the OpenAPI document
    nullable: bool = False


@dataclass(frozen=True)
class Dataset:
    name: str
    title: object  # lazy text
    description: str  # English, for the OpenAPI document
    columns: tuple[Column, ...]
    rows: Callable  # (Source, listing_url: id -> str) -> list[dict]

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


def _district_columns() -> tuple[Column, ...]:
    return (Column("district", "string", "District or county code (development zones are "
                   "counted in their district); null when unknown.", nullable=True),
            Column("district_name_zh", "string", "District name in Chinese.", nullable=True),
            Column("district_name_en", "string", "District name in English.", nullable=True))


def _district_values(code: str | None) -> dict:
    area = get_area(code)
    return {"district": code or None, "district_name_zh": area.name_zh if area else None,
            "district_name_en": area.name_en if area else None}


OPENNESS = (
    Column("hours_open", "number", "Hours the instrument's calendar was open in the period "
           "(since it was first published)."),
    Column("hours_booked", "number", "Hours booked (approved, used or missed bookings) "
           "starting in the period."),
    Column("hours_used", "number", "Hours of recorded use."),
    Column("external_share_bp", "integer", "Share of the used bookings made by other "
           "organisations than the provider, in basis points (10000 = 100 %)."),
    Column("median_wait_hours", "number", "Median hours from the booking request to the start "
           "of use, over the used bookings; null when none.", nullable=True),
    Column("bookings", "integer", "Bookings starting in the period, in any state."),
    Column("used_bookings", "integer", "Bookings completed or settled."),
    Column("external_bookings", "integer", "Used bookings by other organisations."),
    Column("cancellations", "integer", "Cancelled bookings."),
    Column("no_shows", "integer", "Bookings the booker did not turn up for."),
)


def _openness_values(row) -> dict:
    return {column.name: getattr(row, column.name) for column in OPENNESS}


def public_instruments(session, filters: Filters, now: datetime) -> list:
    """The indicator rows of the instruments an anonymous visitor can see now."""
    import sqlalchemy as sa
    from flask_login import AnonymousUserMixin

    from listings.models import Instrument

    rows = indicators.instrument_openness(session, filters, now)
    if not rows:
        return []
    anonymous = AnonymousUserMixin()
    ids = [row.listing_id for row in rows]
    visible = set()
    for start in range(0, len(ids), 900):
        visible |= {i.id for i in session.scalars(
            sa.select(Instrument).where(Instrument.id.in_(ids[start:start + 900])))
            if i.can_view(anonymous)}
    return [row for row in rows if row.listing_id in visible]


class Source:
    """The indicators for one request's filters, each computed at most once."""

    def __init__(self, session, filters: Filters, now: datetime):
        self.session, self.filters, self.now = session, filters, now

    @cached_property
    def instruments(self) -> list:
        return public_instruments(self.session, self.filters, self.now)

    @cached_property
    def summary(self):
        return indicators.marketplace_summary(self.session, self.filters, self.now)

    @cached_property
    def voucher_period(self) -> Filters | None:
        return voucher_filters(self.filters, self.now)


def _instrument_rows(source: Source, listing_url) -> list[dict]:
    return [{"listing_id": row.listing_id, "title_zh": row.title_zh, "title_en": row.title_en,
             "provider_id": row.provider_id, "provider_name_zh": row.provider_name,
             "provider_name_en": row.provider_name_en, **_district_values(row.district),
             **_openness_values(row), "url": listing_url(row.listing_id)}
            for row in source.instruments]


def _provider_rows(source: Source, listing_url) -> list[dict]:
    rows = indicators.provider_openness(source.instruments)
    return [{"provider_id": row.provider_id, "provider_name_zh": row.provider_name,
             "provider_name_en": row.provider_name_en, **_district_values(row.district),
             "instruments": row.instruments, **_openness_values(row)} for row in rows]


def _voucher_rows(source: Source, listing_url) -> list[dict]:
    period = source.voucher_period
    if period is None:
        return []
    parties = _paying_enterprises(source.session, period, source.now)
    result = []
    for row in indicators.vouchers_by_month_and_district(source.session, period, source.now):
        suppressed = len(parties.get((row.month, row.district), ())) < MIN_PARTIES
        result.append({"month": row.month, **_district_values(row.district),
                       "spent_fen": None if suppressed else row.spent_fen,
                       "bookings_paid": None if suppressed else row.bookings_paid,
                       "suppressed": suppressed})
    return result


def _paying_enterprises(session, period: Filters, now: datetime) -> dict[tuple, set[int]]:
    """(month, district) → the enterprises whose vouchers paid in that cell, from the same
    classified ledger movements the cell's figures are summed from (only counted here)."""
    parties: dict[tuple, set[int]] = {}
    for movement in indicators.voucher_movements(session, period, now):
        if movement.category == "spent" and movement.amount_fen > 0:
            key = (indicators.month_of(movement.at), movement.district)
            parties.setdefault(key, set()).add(movement.enterprise_id)
    return parties


def _listing_rows(source: Source, listing_url) -> list[dict]:
    from listings.models import PUBLIC_KINDS

    summary = source.summary
    result = []
    for kind in PUBLIC_KINDS:  # enterprise needs are shown to verified organisations only
        for district, count in sorted(summary.listings.get(kind.value, {}).items()):
            result.append({"kind": kind.value, **_district_values(district or None),
                           "listings": count})
    return result


SUMMARY_FIELDS = (
    Column("enquiries", "integer", "Conversations about a listing and licence enquiries "
           "started in the period."),
    Column("campaigns_launched", "integer", "Crowdfunding campaigns that went live."),
    Column("campaigns_succeeded", "integer", "Campaigns that closed having reached their goals."),
    Column("campaigns_failed", "integer", "Campaigns that closed without reaching them."),
    Column("money_raised_fen", "integer", "Pledges paid to campaigns, in fen (CNY)."),
    Column("expertise_hours", "integer", "Hours of expertise offered and accepted."),
    Column("resources_pledged", "integer", "Resource pledges accepted."),
    Column("licences_concluded", "integer", "Technology licence agreements concluded."),
    Column("licence_value_fen", "integer", "Upfront fees of those agreements, in fen; null when "
           f"fewer than {MIN_PARTIES} were concluded.", nullable=True),
    Column("spaces_leased", "integer", "Leases of factory space concluded."),
    Column("area_leased_m2", "integer", "Area leased, in square metres."),
)


def _summary_rows(source: Source, listing_url) -> list[dict]:
    summary = source.summary
    row = {column.name: getattr(summary, column.name) for column in SUMMARY_FIELDS}
    if summary.licences_concluded < MIN_PARTIES:
        row["licence_value_fen"] = None
    return [row]


DATASETS: dict[str, Dataset] = {dataset.name: dataset for dataset in (
    Dataset("instruments", _l("Instruments and their openness"),
            "Per published instrument: the openness indicators used to evaluate the sharing of "
            "large research instruments (bookings by their start time in the period).",
            (Column("listing_id", "integer", "The instrument's listing id."),
             Column("title_zh", "string", "Title in Chinese."),
             Column("title_en", "string", "Title in English.", nullable=True),
             Column("provider_id", "integer", "The providing organisation's id."),
             Column("provider_name_zh", "string", "The providing organisation (Chinese name)."),
             Column("provider_name_en", "string", "Its English name.", nullable=True),
             *_district_columns(), *OPENNESS,
             Column("url", "string", "The listing's page.")),
            _instrument_rows),
    Dataset("providers", _l("Providers of instruments"),
            "The instruments' openness figures summed per providing organisation (the median "
            "wait over all its used bookings).",
            (Column("provider_id", "integer", "The providing organisation's id."),
             Column("provider_name_zh", "string", "Chinese name."),
             Column("provider_name_en", "string", "English name.", nullable=True),
             *_district_columns(),
             Column("instruments", "integer", "Published instruments."), *OPENNESS),
            _provider_rows),
    Dataset("vouchers", _l("Innovation vouchers spent per month and district"),
            "Voucher money posted to providers, per Beijing calendar month and the paying "
            "enterprise's district. Only months that have ended are published; start and end "
            "are widened to whole months. A cell paid by fewer than "
            f"{MIN_PARTIES} enterprises is suppressed (null figures, suppressed = true).",
            (Column("month", "string", "Calendar month, YYYY-MM (Beijing)."),
             *_district_columns(),
             Column("spent_fen", "integer", "Voucher money spent, in fen (negative for net "
                    "reversals); null when suppressed.", nullable=True),
             Column("bookings_paid", "integer", "Bookings and licence fees paid with "
                    "vouchers; null when suppressed.", nullable=True),
             Column("suppressed", "boolean", "True when the cell is withheld to protect the "
                    "enterprises in it.")),
            _voucher_rows),
    Dataset("listings", _l("Published listings by kind and district"),
            "Listings published at the end of the period, per kind (instruments, technologies, "
            "spaces, campaigns) and district.",
            (Column("kind", "string", "instrument, technology, space or campaign."),
             *_district_columns(),
             Column("listings", "integer", "Published listings.")),
            _listing_rows),
    Dataset("summary", _l("Campaigns, licences, spaces and enquiries"),
            "One row of marketplace totals for the period.",
            SUMMARY_FIELDS, _summary_rows),
)}


# ---------------------------------------------------------------------------------------------
# CSV
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str | int | float:
    """Null → empty; booleans → true/false; text that a spreadsheet would run as a formula gets
    a leading apostrophe (OWASP CSV injection); numbers are left as they are."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(dataset: Dataset, rows: list[dict]) -> str:
    """UTF-8 text with a byte-order mark (so spreadsheet programs read the Chinese correctly)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(dataset.column_names)
    for row in rows:
        writer.writerow([csv_cell(row[name]) for name in dataset.column_names])
    return out.getvalue()
