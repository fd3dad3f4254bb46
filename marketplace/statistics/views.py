"""The officers' statistics dashboard: vouchers, instrument openness, the marketplace.

Three pages share one filter (Beijing days, inclusive, and a district or county; GET, so a view
is a link to share) and every table exports as CSV (UTF-8 with a BOM) and XLSX. Bad filter
values re-show the page with the form's errors (400) and refuse an export (400), never a 500.
Reading only: no audit entries (nothing changes).
"""

from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _

from marketplace.extensions import db, utcnow
from marketplace.office.views import officer_required
from marketplace.statistics import tables as stats_tables
from marketplace.statistics.indicators import Filters, district_of

bp = Blueprint("statistics", __name__, url_prefix="/office/statistics")

MAX_DAYS = 366 * 10


def _language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def parse_filters(args) -> tuple[Filters, dict[str, str]]:
    """``start``, ``end`` (YYYY-MM-DD) and ``district`` from a query string; errors by field."""
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for name in ("start", "end"):
        raw = (args.get(name) or "").strip()
        days[name] = None
        if not raw:
            continue
        try:
            if len(raw) != 10:
                raise ValueError(raw)
            days[name] = date.fromisoformat(raw)
        except ValueError:
            errors[name] = _("Enter a date as YYYY-MM-DD.")
    if days["start"] and days["end"]:
        if days["start"] > days["end"]:
            errors["end"] = _("The end date must not be before the start date.")
        elif (days["end"] - days["start"]).days > MAX_DAYS:
            errors["end"] = _("Choose a period of at most ten years.")
    raw = (args.get("district") or "").strip()
    district = None
    if raw:
        district = district_of(raw) if len(raw) <= 12 else None
        if district is None:
            errors["district"] = _("Choose a district or county from the list.")
    if errors:
        return Filters(), errors
    return Filters(days["start"], days["end"], district), errors


def _district_choices() -> list[tuple[str, str]]:
    from marketplace.reference import areas

    return [(a.code, a.name) for a in areas() if not a.is_zone]


def _query(filters: Filters) -> dict[str, str]:
    values = {}
    if filters.start:
        values["start"] = filters.start.isoformat()
    if filters.end:
        values["end"] = filters.end.isoformat()
    if filters.district:
        values["district"] = filters.district
    return values


def section_data(section: str, filters: Filters, language: str):
    """A section's figures, computed at most once per STATISTICS_CACHE_SECONDS (60) for the
    same filters and language, in the shared cache (Redis when configured): the same for every
    officer, and a dashboard reload should not recompute the marketplace."""
    from marketplace.jobs.cache import remember

    def compute():
        data = stats_tables.SECTIONS[section](db.session, filters, utcnow(), language)
        # the tables' rows as HTML too, so that a cached section is not re-rendered cell by cell
        data["bodies"] = {t.name: stats_tables.body_html(t) for t in data["tables"]}
        return data

    seconds = int(current_app.config.get("STATISTICS_CACHE_SECONDS") or 0)
    if seconds <= 0:
        return compute()
    return remember("statistics", {"section": section, "language": language,
                                   "filters": _query(filters)}, compute, timeout=seconds)


def _page(section: str, template: str, charts):
    filters, errors = parse_filters(request.args)
    language = _language()
    data = {"tables": []} if errors else section_data(section, filters, language)
    chart_data = charts(data) if not errors else {}
    return render_template(
        template, section=section, data=data, filters=filters, errors=errors,
        args=request.args, query=_query(filters), districts=_district_choices(),
        chart_json=json.dumps(chart_data, ensure_ascii=False),
        language=language,
        table_body=lambda t: data.get("bodies", {}).get(t.name) or stats_tables.body_html(t)),\
        400 if errors else 200


# ---------------------------------------------------------------------------------------------
# charts: plain data; static/js/statistics.js draws them with the vendored Chart.js
def _voucher_charts(data) -> dict:
    overview = data["overview"]
    months = [m for m, _f in overview.months]
    series = [("granted_fen", _("Granted")), ("spent_fen", _("Spent")),
              ("expired_fen", _("Expired")), ("reimbursed_fen", _("Reimbursed"))]
    charts = {"months": {"type": "bar", "labels": months, "unit": _("yuan"), "datasets": [
        {"label": label, "data": [getattr(f, name) / 100 for _m, f in overview.months]}
        for name, label in series]}}
    burn = {"type": "line", "unit": _("yuan"), "labels": [], "datasets": []}
    days = sorted({day for b in data["burn"] for day, _v in b.points})
    burn["labels"] = days
    for b in data["burn"]:
        points = dict(b.points)
        value, values = b.budget_fen, []
        for day in days:
            value = points.get(day, value)
            values.append(value / 100)
        burn["datasets"].append({"label": b.programme_en if _language() == "en" and b.programme_en
                                 else b.programme_zh, "data": values})
    charts["burn"] = burn
    return charts


def _instrument_charts(data) -> dict:
    top = sorted(data["providers"], key=lambda p: -p.hours_used)[:15]
    en = _language() == "en"
    return {"providers": {"type": "bar", "unit": _("hours"),
                          "labels": [(p.provider_name_en or p.provider_name) if en
                                     else p.provider_name for p in top],
                          "datasets": [
                              {"label": _("Hours open"), "data": [p.hours_open for p in top]},
                              {"label": _("Hours booked"), "data": [p.hours_booked for p in top]},
                              {"label": _("Hours used"), "data": [p.hours_used for p in top]}]}}


def _marketplace_charts(data) -> dict:
    table = data["tables"][0]
    kinds = data["kinds"]
    return {"listings": {"type": "bar", "stacked": True, "unit": "",
                         "labels": [row[0] for row in table.rows],
                         "datasets": [{"label": str(kind.label),
                                       "data": [row[1 + i] for row in table.rows]}
                                      for i, kind in enumerate(kinds)]}}


@bp.route("/")
@officer_required
def index():
    """Voucher programme: budget, granted, held, spent, expired, reimbursed; burn-down; caps."""
    return _page("vouchers", "statistics/vouchers.html", _voucher_charts)


@bp.route("/instruments")
@officer_required
def instruments():
    """Openness of shared instruments, per instrument and per provider."""
    return _page("instruments", "statistics/instruments.html", _instrument_charts)


@bp.route("/marketplace")
@officer_required
def marketplace():
    """Listings, enquiries, licences, leases, campaigns and recommendations."""
    return _page("marketplace", "statistics/marketplace.html", _marketplace_charts)


@bp.route("/export/<name>.<fmt>")
@officer_required
def export(name: str, fmt: str):
    """One table as CSV or XLSX, with the page's filters."""
    if fmt not in ("csv", "xlsx") or name not in stats_tables.TABLE_SECTIONS:
        abort(404)
    filters, errors = parse_filters(request.args)
    if errors:
        return "\n".join(f"{field}: {message}" for field, message in errors.items()), 400, {
            "Content-Type": "text/plain; charset=utf-8"}
    table = stats_tables.find_table(name, db.session, filters, utcnow(), _language())
    stamp = utcnow().astimezone(stats_tables.indicators.SHANGHAI).strftime("%Y%m%d")
    filename = f"{name}-{stamp}.{fmt}"
    if fmt == "csv":
        body, mimetype = stats_tables.to_csv(table), "text/csv; charset=utf-8"
    else:
        body = stats_tables.to_xlsx(table)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return body, 200, {"Content-Type": mimetype,
                       "Content-Disposition": f'attachment; filename="{filename}"',
                       "Cache-Control": "private, no-store"}
