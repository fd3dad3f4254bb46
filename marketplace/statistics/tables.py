"""The dashboard's tables: one definition each, used by the pages and by both export formats.

A table is a title, column headers (in the request's language) and rows of plain values: ints,
floats, strings, ``Money`` (fen, shown and exported in yuan) and ``Share`` (basis points, shown
and exported in per cent).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from markupsafe import Markup, escape

from marketplace.statistics import indicators
from marketplace.statistics.indicators import Filters


class Money(int):
    """An amount in fen."""

    @property
    def yuan(self) -> float:
        return int(self) / 100


class Share(int):
    """A share in basis points."""

    @property
    def percent(self) -> float:
        return int(self) / 100


@dataclass
class Table:
    name: str
    title: str
    headers: list[str]
    rows: list[list]


def _name(zh: str, en: str | None, language: str) -> str:
    return (en or zh) if language == "en" else zh


def _district(code: str | None) -> str:
    from marketplace.reference import area_name

    return area_name(code) if code else _("Unknown district")


def _figures(f) -> list:
    return [Money(f.granted_fen), Money(f.held_fen), Money(f.spent_fen), Money(f.expired_fen),
            Money(f.reimbursed_fen)]


def _figure_headers() -> list[str]:
    return [_("Granted (yuan)"), _("Held (yuan)"), _("Spent (yuan)"), _("Expired (yuan)"),
            _("Reimbursed (yuan)")]


# ---------------------------------------------------------------------------------------------
# vouchers
def voucher_tables(session, filters: Filters, now: datetime, language: str) -> dict[str, Table]:
    everything = indicators.voucher_movements(session, Filters(), now)
    movements = [m for m in everything if filters.contains(m.at)
                 and (filters.district is None or m.district == filters.district)]
    overview = indicators.voucher_overview(session, filters, now, movements)
    layers = Table("voucher_layers", _("Vouchers per funding layer"),
                   [_("Programme"), _("Funding layer"), _("Budget (yuan)"), *_figure_headers()],
                   [[_name(r.programme_zh, r.programme_en, language),
                     _name(r.layer_zh, r.layer_en, language), Money(r.figures.budget_fen),
                     *_figures(r.figures)] for r in overview.layers])
    layers.rows.append([_("Total"), "", Money(overview.totals.budget_fen),
                        *_figures(overview.totals)])
    months = Table("voucher_months", _("Vouchers per month"),
                   [_("Month"), *_figure_headers()],
                   [[month, *_figures(f)] for month, f in overview.months])
    districts = Table("voucher_districts", _("Vouchers per district"),
                      [_("District"), *_figure_headers()],
                      [[_district(code), *_figures(f)] for code, f in overview.districts])
    burn = indicators.quota_burn_down(session, now, movements=everything)
    burn_table = Table("burn_down", _("Quota burn-down"),
                       [_("Programme"), _("Budget (yuan)"), _("Remaining (yuan)"),
                        _("Issued per day, last 90 days (yuan)"), _("Projected exhaustion")],
                       [[_name(b.programme_zh, b.programme_en, language), Money(b.budget_fen),
                         Money(b.remaining_fen), round(b.rate_fen_per_day / 100, 2),
                         b.exhausted_on.isoformat() if b.exhausted_on else _("Not in sight")]
                        for b in burn])
    caps = indicators.nearest_annual_cap(session, filters, now)
    cap_table = Table("annual_caps", _("Enterprises nearest their annual cap"),
                      [_("Enterprise"), _("District"), _("Programme"),
                       _("Granted this year (yuan)"), _("Annual cap (yuan)"), _("Used (%)")],
                      [[_name(c.organization_zh, c.organization_en, language),
                        _district(c.district), _name(c.programme_zh, c.programme_en, language),
                        Money(c.granted_fen), Money(c.cap_fen), Share(c.used_bp)] for c in caps])
    return {"overview": overview, "burn": burn, "tables": [layers, months, districts, burn_table,
                                                            cap_table]}


# ---------------------------------------------------------------------------------------------
# instruments
def _wait(value):
    return "" if value is None else value


def instrument_tables(session, filters: Filters, now: datetime, language: str) -> dict:
    rows = indicators.instrument_openness(session, filters, now)
    providers = indicators.provider_openness(rows)
    common = [_("Hours open"), _("Hours booked"), _("Hours used"), _("External users (%)"),
              _("Median wait, request to use (hours)"), _("Bookings"), _("Cancellations"),
              _("No-shows")]
    instruments = Table(
        "instruments", _("Openness per instrument"),
        [_("Instrument"), _("Provider"), _("District"), *common],
        [[_name(r.title_zh, r.title_en, language),
          _name(r.provider_name, r.provider_name_en, language), _district(r.district),
          r.hours_open, r.hours_booked, r.hours_used, Share(r.external_share_bp),
          _wait(r.median_wait_hours), r.bookings, r.cancellations, r.no_shows] for r in rows])
    provider_table = Table(
        "providers", _("Openness per provider"),
        [_("Provider"), _("District"), _("Instruments"), *common],
        [[_name(p.provider_name, p.provider_name_en, language), _district(p.district),
          p.instruments, p.hours_open, p.hours_booked, p.hours_used, Share(p.external_share_bp),
          _wait(p.median_wait_hours), p.bookings, p.cancellations, p.no_shows]
         for p in providers])
    return {"rows": rows, "providers": providers, "tables": [instruments, provider_table]}


# ---------------------------------------------------------------------------------------------
# marketplace
def marketplace_tables(session, filters: Filters, now: datetime, language: str) -> dict:
    from listings.models import ListingKind

    summary = indicators.marketplace_summary(session, filters, now)
    funnel = indicators.recommendation_funnel(session, filters, now)
    kinds = list(ListingKind)
    codes = sorted({code for per in summary.listings.values() for code in per})
    listings = Table("listings", _("Published listings by kind and district"),
                     [_("District"), *[str(k.label) for k in kinds], _("Total")],
                     [[_district(code), *[summary.listings.get(k.value, {}).get(code, 0)
                                          for k in kinds],
                       sum(summary.listings.get(k.value, {}).get(code, 0) for k in kinds)]
                      for code in codes])
    figures = Table("marketplace", _("Marketplace activity"), [_("Indicator"), _("Value")], [
        [_("Enquiries"), summary.enquiries],
        [_("Licences concluded"), summary.licences_concluded],
        [_("Licence value, upfront fees (yuan)"), Money(summary.licence_value_fen)],
        [_("Spaces leased"), summary.spaces_leased],
        [_("Area leased (m²)"), summary.area_leased_m2],
        [_("Campaigns launched"), summary.campaigns_launched],
        [_("Campaigns succeeded"), summary.campaigns_succeeded],
        [_("Campaigns failed"), summary.campaigns_failed],
        [_("Money raised (yuan)"), Money(summary.money_raised_fen)],
        [_("Expertise pledged (hours)"), summary.expertise_hours],
        [_("Resources pledged"), summary.resources_pledged],
    ])
    recommendations = Table("recommendations", _("Recommendations"), [_("Indicator"), _("Value")], [
        [_("Impressions"), funnel.impressions],
        [_("Clicks"), funnel.clicks],
        [_("Click-through (%)"), Share(funnel.click_through_bp)],
        [_("Clicked listings"), funnel.clicked_pairs],
        [_("Converted (booked, enquired, pledged, viewed)"), funnel.conversions],
        [_("Conversion (%)"), Share(funnel.conversion_bp)],
    ])
    return {"summary": summary, "funnel": funnel, "kinds": kinds,
            "tables": [listings, figures, recommendations]}


SECTIONS = {"vouchers": voucher_tables, "instruments": instrument_tables,
            "marketplace": marketplace_tables}
TABLE_SECTIONS = {"voucher_layers": "vouchers", "voucher_months": "vouchers",
                  "voucher_districts": "vouchers", "burn_down": "vouchers",
                  "annual_caps": "vouchers", "instruments": "instruments",
                  "providers": "instruments", "listings": "marketplace",
                  "marketplace": "marketplace", "recommendations": "marketplace"}


def find_table(name: str, session, filters: Filters, now: datetime, language: str) -> Table | None:
    section = TABLE_SECTIONS.get(name)
    if section is None:
        return None
    data = SECTIONS[section](session, filters, now, language)
    return next(t for t in data["tables"] if t.name == name)


# ---------------------------------------------------------------------------------------------
# exports
def _plain(value):
    if isinstance(value, Money):
        return value.yuan
    if isinstance(value, Share):
        return value.percent
    return value


def _csv_cell(value) -> str:
    if isinstance(value, Money):
        return f"{int(value) / 100:.2f}"
    if isinstance(value, Share):
        return f"{int(value) / 100:.2f}"
    text = "" if value is None else str(value)
    # no formulas in a spreadsheet opened from this file (CSV injection)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _is_number(text):
        text = "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_csv(table: Table) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel shows the Chinese headers correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([str(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: Table) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False})
    sheet = book.add_worksheet(table.name[:31])
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    headers = [str(h) for h in table.headers]
    widths = [len(h) * 2 + 2 for h in headers]
    for col, header in enumerate(headers):
        sheet.write_string(0, col, header, bold)
    for r, row in enumerate(table.rows, start=1):
        for col, value in enumerate(row):
            plain = _plain(value)
            if isinstance(value, Money):
                sheet.write_number(r, col, plain, money)
            elif isinstance(plain, bool) or plain is None or plain == "":
                sheet.write_blank(r, col, None)
            elif isinstance(plain, int | float):
                sheet.write_number(r, col, plain)
            else:
                sheet.write_string(r, col, str(plain))
                widths[col] = max(widths[col], min(len(str(plain)) * 2, 60))
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()


def display(value) -> str:
    """A cell as shown on the page."""
    from marketplace.money import format_fen

    if isinstance(value, Money):
        return format_fen(int(value), symbol=False)
    if isinstance(value, Share):
        return f"{int(value) / 100:.1f}%"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def body_html(table: Table) -> Markup:
    """The table's rows as ``<tr>`` elements, cells escaped and numbers right-aligned: built here
    rather than cell by cell in Jinja, where the calls per cell were most of the instruments
    page's time (hundreds of cells)."""
    cells = {True: '<td class="text-end">%s</td>', False: "<td>%s</td>"}
    return Markup("".join(
        "<tr>" + "".join(cells[is_number(v)] % escape(display(v)) for v in row) + "</tr>"
        for row in table.rows))
