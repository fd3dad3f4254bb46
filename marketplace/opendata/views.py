"""Views of marketplace.opendata: the public page (/open-data) and the JSON/CSV API
(/api/v1/open/...). No login; nothing here writes.

API answers are cacheable for five minutes: ``public`` when the request carries no cookie, else
``private`` (a signed-in browser's response carries its refreshed session cookie, which a shared
cache must never store and replay to others).
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from listings.models import ListingKind
from marketplace.extensions import db, limiter, utcnow
from marketplace.opendata.datasets import (
    DATASETS,
    MIN_PARTIES,
    BadFilterError,
    Source,
    filters_json,
    parse_filters,
    to_csv,
)
from marketplace.reference import areas

bp = Blueprint("opendata", __name__, url_prefix="/open-data", static_folder="static",
               static_url_path="/static")
api_bp = Blueprint("opendata_api", __name__, url_prefix="/api/v1/open")
bp.record_once(lambda state: state.app.register_blueprint(api_bp))

MAX_AGE = 300
DATASET_NAMES = "any(" + ",".join(DATASETS) + ")"
FORMATS = ("json", "csv")


def _listing_url(listing_id: int) -> str:
    return url_for("catalogue.show", listing_id=listing_id, _external=True)


def _rows(name: str, source: Source) -> list[dict]:
    """A dataset's rows, shared by all workers for CACHE_DEFAULT_TIMEOUT seconds (the same for
    every visitor: keyed by dataset, filters and the host its links point at)."""
    from marketplace.jobs.cache import remember

    params = {"filters": filters_json(source.filters), "host": request.host_url}
    return remember(f"opendata:{name}", params,
                    lambda: DATASETS[name].rows(source, _listing_url))


def _cacheable(response: Response) -> Response:
    response.cache_control.max_age = MAX_AGE
    if request.cookies:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    return response


@bp.route("/")
@limiter.limit("60 per minute")
def index():
    """The open-data page: every dataset as a table (charts for two), filtered."""
    try:
        filters = parse_filters(request.args)
    except BadFilterError as error:
        return render_template("opendata/index.html", error=error, args=request.args,
                               districts=areas(), datasets=DATASETS, tables=None), 400
    source = Source(db.session, filters, utcnow())
    tables = {name: _rows(name, source) for name in DATASETS}
    query = {key: value for key, value in filters_json(filters).items() if value}
    return render_template("opendata/index.html", error=None, args=request.args,
                           districts=areas(), datasets=DATASETS, tables=tables, query=query,
                           voucher_period=source.voucher_period, min_parties=MIN_PARTIES,
                           listing_table=_pivot(tables["listings"]), language=_language(),
                           kind_labels={kind.value: kind.label for kind in ListingKind},
                           charts=_charts(tables))


def _language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def _pivot(rows: list[dict]) -> dict:
    """Listings per district (rows) and kind (columns), for the page's table."""
    kinds = list(dict.fromkeys(row["kind"] for row in rows))
    by_district: dict = {}
    for row in rows:
        line = by_district.setdefault(row["district"], {"row": row, "counts": {}})
        line["counts"][row["kind"]] = row["listings"]
    return {"kinds": kinds, "lines": list(by_district.values()),
            "totals": {kind: sum(r["listings"] for r in rows if r["kind"] == kind)
                       for kind in kinds}}


def _charts(tables: dict) -> dict:
    """The data behind the page's two charts (read by static/opendata/charts.js)."""
    months: dict[str, int] = {}
    for row in tables["vouchers"]:
        if not row["suppressed"]:
            months[row["month"]] = months.get(row["month"], 0) + row["spent_fen"]
    top = sorted(tables["instruments"], key=lambda r: (-r["hours_open"], r["listing_id"]))[:10]
    title = "title_en" if _language() == "en" else "title_zh"
    return {
        "vouchers": {"labels": list(months), "series": [
            {"label": _("Vouchers spent (yuan, published cells)"),
             "data": [round(fen / 100, 2) for fen in months.values()]}]},
        "instruments": {"horizontal": True,
                        "labels": [(r[title] or r["title_zh"])[:30] for r in top],
                        "series": [{"label": label, "data": [r[key] for r in top]}
                                   for key, label in (("hours_open", _("Hours open")),
                                                      ("hours_booked", _("Hours booked")),
                                                      ("hours_used", _("Hours used")))]},
    }


@api_bp.route("")
@limiter.limit("120 per minute")
def catalogue():
    """The datasets of the open-data API, with their columns and addresses."""
    items = []
    for dataset in DATASETS.values():
        with force_locale("zh_CN"):
            title_zh = str(dataset.title)
        with force_locale("en"):
            title_en = str(dataset.title)
        items.append({
            "name": dataset.name, "title_zh": title_zh, "title_en": title_en,
            "description": dataset.description,
            "json": url_for("opendata_api.dataset", name=dataset.name, _external=True),
            "csv": url_for("opendata_api.dataset_csv", name=dataset.name, _external=True),
            "columns": [{"name": c.name, "type": c.type, "nullable": c.nullable,
                         "description": c.description} for c in dataset.columns]})
    return _cacheable(jsonify(datasets=items, filters={
        "start": "YYYY-MM-DD, first Beijing day (inclusive)",
        "end": "YYYY-MM-DD, last Beijing day (inclusive)",
        "district": "a code from /api/v1/districts (a development zone counts as its district)",
        "format": "json (default) or csv"}, min_parties=MIN_PARTIES))


@api_bp.route(f"/<{DATASET_NAMES}:name>")
@limiter.limit("120 per minute")
def dataset(name: str):
    """One dataset as JSON, or as CSV with ``?format=csv``."""
    fmt = (request.args.get("format") or "json").strip().lower()
    if fmt not in FORMATS:
        raise BadFilterError(_("'format' must be json or csv."), "format")
    return _answer(name, csv=fmt == "csv")


@api_bp.route(f"/<{DATASET_NAMES}:name>.csv")
@limiter.limit("120 per minute")
def dataset_csv(name: str):
    """One dataset as CSV (UTF-8 with a byte-order mark)."""
    return _answer(name, csv=True)


def _answer(name: str, *, csv: bool) -> Response:
    dataset = DATASETS[name]
    filters = parse_filters(request.args)
    now = utcnow()
    source = Source(db.session, filters, now)
    rows = _rows(name, source)
    if csv:
        response = Response(to_csv(dataset, rows), content_type="text/csv; charset=utf-8")
        response.headers["Content-Disposition"] = f"attachment; filename=opendata-{name}.csv"
        return _cacheable(response)
    body = {"dataset": name, "filters": filters_json(filters), "generated_at": now.isoformat(),
            "columns": dataset.column_names, "count": len(rows), "rows": rows}
    if name == "vouchers":
        period = source.voucher_period
        body["months"] = filters_json(period) if period else None
    return _cacheable(jsonify(body))
