"""The public catalogue: search page, listing pages, photos, suggestions and the listings API."""

from __future__ import annotations

from dataclasses import asdict

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    jsonify,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import selectinload, with_polymorphic

from listings import search, search_backend
from listings.models import (
    INSTRUMENT_CATEGORY_LABELS,
    Listing,
    ListingKind,
    ListingPhoto,
    ListingStatus,
    PatentType,
    SpaceType,
    visible_kinds,
)
from marketplace.errors import DomainError, NotAllowedError
from marketplace.extensions import db, limiter
from marketplace.money import MoneyFormatError, parse_yuan
from marketplace.pagecache import cached_for_visitors
from marketplace.publishing.forms import ActionForm
from marketplace.publishing.operations import photo_dir
from marketplace.recommendations.views import record_listing_view
from marketplace.reference import area_choices, area_name, get_area

bp = Blueprint("catalogue", __name__)

SORTS = ("relevance", "newest", "price")


def _language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "zh"


def category_label(value: str | None) -> str:
    if not value:
        return ""
    for enum_cls in (PatentType, SpaceType):
        try:
            return str(enum_cls(value).label)
        except ValueError:
            pass
    try:
        from listings.models import InstrumentCategory

        return str(INSTRUMENT_CATEGORY_LABELS[InstrumentCategory(value)])
    except ValueError:
        pass
    from listings.models import LegalStatus

    if value == LegalStatus.NOT_PATENTED.value:
        return str(LegalStatus.NOT_PATENTED.label)
    if value == "campaign":
        return str(ListingKind.CAMPAIGN.label)
    if value == "need":
        return str(ListingKind.NEED.label)
    return value


class BadFilterError(DomainError):
    code = "bad_filter"


class NeedsHiddenError(NotAllowedError):
    code = "needs_hidden"


MAX_AREA_M2 = 10**9  # the index stores areas in 32 bits: a larger filter was a 500 (schemathesis)


def _int_arg(name: str, *, yuan: bool = False, strict: bool = False,
             maximum: int = 10**15) -> int | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = parse_yuan(raw) if yuan else int(raw)
        if value < 0 or value > maximum:
            raise ValueError
        return value
    except (MoneyFormatError, ValueError):
        if strict:
            raise BadFilterError(f"'{name}' must be a whole number from 0 to {maximum}",
                                 name) from None
        return None


def search_request_from_args(*, api: bool) -> search.SearchRequest:
    """Read the query string; the HTML page ignores bad filters, the API refuses them (400)."""
    kind = request.args.get("kind") or None
    kinds = tuple(k.value for k in visible_kinds(current_user))
    if kind not in kinds:
        if kind and api:
            if kind in {k.value for k in ListingKind}:
                raise NeedsHiddenError(
                    "enterprise needs are shown to members of verified organisations only",
                    "kind")
            raise BadFilterError("unknown 'kind'", "kind")
        kind = None
    district = request.args.get("district") or None
    if district and get_area(district) is None:
        if api:
            raise BadFilterError("unknown 'district'", "district")
        district = None
    sort = request.args.get("sort") or "relevance"
    if sort not in SORTS:
        if api:
            raise BadFilterError("'sort' must be relevance, newest or price", "sort")
        sort = "relevance"
    voucher = request.args.get("voucher")
    page = _int_arg("page", strict=api) or 1
    per_page = _int_arg("per_page", strict=api) or 20
    if api and not 1 <= per_page <= 100:
        raise BadFilterError("'per_page' must be between 1 and 100", "per_page")
    price_suffix = "" if api else "_yuan"
    return search.SearchRequest(
        text=(request.args.get("q") or "")[:2000],
        kind=kind, kinds=None if len(kinds) == len(ListingKind) else kinds, district=district,
        category=(request.args.get("category") or None),
        price_min=_int_arg("price_min" + price_suffix, yuan=not api, strict=api),
        price_max=_int_arg("price_max" + price_suffix, yuan=not api, strict=api),
        area_min=_int_arg("area_min", strict=api, maximum=MAX_AREA_M2),
        area_max=_int_arg("area_max", strict=api, maximum=MAX_AREA_M2),
        voucher=True if voucher in ("1", "true", "on") else None,
        sort=sort, page=min(page, 1000), per_page=min(per_page, 100),
    )


def run_search(search_request: search.SearchRequest, *, campaign_parts: bool = False):
    """Search the index and reload the hits from the database, in rank order."""
    result = search_backend().search(search_request)
    listings = load_listings(result.ids, campaign_parts=campaign_parts)
    return result, listings


def load_listings(ids: list[int], *, campaign_parts: bool = False) -> list[Listing]:
    """The published listings among ``ids``, in that order, with their photos; with
    ``campaign_parts`` also the campaigns' needs and reward tiers (the API shows them: one
    statement each for the page instead of three per campaign)."""
    if not ids:
        return []
    poly = with_polymorphic(Listing, "*")
    options = [selectinload(poly.photos)]
    if campaign_parts:
        options += [selectinload(poly.Campaign.expertise_needs),
                    selectinload(poly.Campaign.resource_needs),
                    selectinload(poly.Campaign.reward_tiers)]
    rows = db.session.scalars(sa.select(poly).where(poly.id.in_(ids),
                                                    poly.status == ListingStatus.PUBLISHED)
                              .options(*options)).all()
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def _highlighted(listing: Listing, terms, language: str) -> dict[str, Markup]:
    # search.highlight_text escapes the text and only adds <mark>; used in element content only.
    return {
        "title": Markup(search.highlight_text(listing.title_for(language), terms, whole=True)),
        "summary": Markup(search.highlight_text(listing.summary_for(language)
                                                or listing.description[:300], terms)),
    }


@bp.route("/search")
@limiter.limit("120 per minute")
@cached_for_visitors
def index():
    """Search and browse published listings, with filters and facet counts."""
    search_request = search_request_from_args(api=False)
    result, listings = run_search(search_request)
    language = _language()
    highlights = {listing.id: _highlighted(listing, result.terms, language) for listing in listings}
    return render_template(
        "catalogue/index.html", result=result, listings=listings, highlights=highlights,
        request_args=search_request, language=language, kinds=list(visible_kinds(current_user)),
        district_choices=area_choices(), category_label=category_label, area_name=area_name,
        kind_label=lambda value: ListingKind(value).label,
        sorts=SORTS, args=request.args)


@bp.route("/listings/<int:listing_id>")
@cached_for_visitors
def show(listing_id: int):
    """A listing's page: published ones for everyone, drafts for members and officers."""
    # one statement for the listing and its kind's columns, one for its photos (was: the base
    # row, then the kind's row and the photos lazily while rendering)
    poly = with_polymorphic(Listing, "*")
    listing = db.session.scalars(sa.select(poly).where(poly.id == listing_id)
                                 .options(selectinload(poly.photos))).first()
    if listing is None or not listing.can_view(current_user):
        abort(404)
    record_listing_view(listing, current_user)  # a signal for the recommender; never fails
    # the publish/archive/delete buttons are for members only; a form made for a visitor would
    # put a token of their own in the page and keep it out of the visitors' page cache
    action_form = ActionForm() if current_user.is_authenticated else None
    return render_template(f"catalogue/show_{listing.kind.value}.html", listing=listing,
                           language=_language(), action_form=action_form,
                           category_label=category_label)


@bp.route("/listings/<int:listing_id>/photos/<int:photo_id>")
def photo(listing_id: int, photo_id: int):
    """An uploaded photo, served with its sniffed type and nosniff."""
    listing = db.get_or_404(Listing, listing_id)
    item = db.get_or_404(ListingPhoto, photo_id)
    if item.listing_id != listing.id or not listing.can_view(current_user):
        abort(404)
    response = send_from_directory(photo_dir(), item.storage_name, mimetype=item.content_type,
                                   max_age=3600)
    response.headers["Content-Disposition"] = "inline"
    return response


# ---------------------------------------------------------------------------------------------
# JSON API
def listing_json(listing: Listing, language: str = "zh") -> dict:
    data = {
        "id": listing.id, "kind": listing.kind.value, "status": listing.status.value,
        "title_zh": listing.title_zh, "title_en": listing.title_en,
        "summary_zh": listing.summary_zh, "summary_en": listing.summary_en,
        "tags": listing.tag_list, "district_code": listing.district_code,
        "district_name": area_name(listing.district_code),
        "organization": {"id": listing.organization_id, "name_zh": listing.organization.name_zh},
        "category": listing.category, "price_fen": listing.price_fen,
        "published_at": listing.published_at.isoformat() if listing.published_at else None,
        "url": url_for("catalogue.show", listing_id=listing.id, _external=True),
    }
    if listing.kind == ListingKind.INSTRUMENT:
        data["instrument"] = {
            "manufacturer": listing.manufacturer, "model": listing.model_name,
            "rate_internal_fen": listing.rate_internal_fen,
            "rate_external_fen": listing.rate_external_fen,
            "min_booking_minutes": listing.min_booking_minutes,
            "max_booking_minutes": listing.max_booking_minutes,
            "opening_hours": listing.opening_hours, "closed_dates": listing.closed_dates,
            "requires_training": listing.requires_training,
            "requires_approval": listing.requires_approval,
            "accepts_vouchers": listing.accepts_vouchers}
    elif listing.kind == ListingKind.TECHNOLOGY:
        data["technology"] = {
            "patent_number": listing.patent_number,
            "patent_type": listing.patent_type.value if listing.patent_type else None,
            "ipc_class": listing.ipc_class, "legal_status": listing.legal_status.value,
            "licensing_modes": listing.licensing_modes, "asking_price_fen": listing.asking_price_fen,
            "trl": listing.trl}
    elif listing.kind == ListingKind.SPACE:
        data["space"] = {
            "space_type": listing.space_type.value, "area_m2": listing.area_m2,
            "area_free_m2": listing.area_free_m2, "floor_height_m": listing.floor_height_m,
            "floor_load_kn_m2": listing.floor_load_kn_m2, "power_kva": listing.power_kva,
            "rent_fen_per_m2_month": listing.rent_fen_per_m2_month,
            "available_from": listing.available_from.isoformat() if listing.available_from else None,
            "min_lease_months": listing.min_lease_months, "park_name": listing.park_name}
    elif listing.kind == ListingKind.CAMPAIGN:
        data["campaign"] = {
            "money_goal_fen": listing.money_goal_fen, "deadline": listing.deadline.isoformat(),
            "expertise_needs": [{"skill": n.skill, "hours": n.hours}
                                for n in listing.expertise_needs],
            "resource_needs": [{"item": n.item, "quantity": n.quantity,
                                "linked_listing_id": n.linked_listing_id}
                               for n in listing.resource_needs],
            "reward_tiers": [{"title": t.title, "min_pledge_fen": t.min_pledge_fen,
                              "description": t.description} for t in listing.reward_tiers]}
    elif listing.kind == ListingKind.NEED:
        data["need"] = {
            "solution_kinds": listing.solution_kinds, "budget_fen": listing.budget_fen,
            "deadline": listing.deadline.isoformat() if listing.deadline else None,
            "solved_at": listing.solved_at.isoformat() if listing.solved_at else None}
    return data


@bp.route("/api/v1/listings")
@limiter.limit("120 per minute")
def api_search():
    """Search published listings: results, facet counts and paging."""
    search_request = search_request_from_args(api=True)
    result, listings = run_search(search_request, campaign_parts=True)
    language = _language()
    items = []
    for listing in listings:
        item = listing_json(listing, language)
        item["highlight"] = {k: str(v) for k, v in
                             _highlighted(listing, result.terms, language).items()}
        items.append(item)
    return jsonify(
        results=items, total=result.total, page=result.page, pages=result.pages,
        per_page=search_request.per_page, facets=result.facets,
        suggestion=result.suggestion, relaxed=result.relaxed,
        query={k: v for k, v in asdict(search_request).items() if k not in ("facets", "kinds")},
    )


@bp.route("/api/v1/listings/<int:listing_id>")
def api_show(listing_id: int):
    """One published listing."""
    listing = db.session.get(Listing, listing_id)
    if listing is None or not listing.can_view(current_user):
        abort(404)
    return jsonify(listing=listing_json(listing, _language()))


@bp.route("/api/v1/suggest")
@limiter.limit("300 per minute")
def api_suggest():
    """Suggestions as you type: titles and synonym terms (Chinese, English, pinyin initials)."""
    prefix = (request.args.get("q") or "")[:40]
    kinds = tuple(k.value for k in visible_kinds(current_user))
    suggestions = search_backend().suggest(
        prefix, kinds=None if len(kinds) == len(ListingKind) else kinds)
    for item in suggestions:
        if item.get("type") == "listing":
            item["url"] = url_for("catalogue.show", listing_id=int(item["id"]))
    return jsonify(suggestions=suggestions)


@bp.route("/api/v1/openapi.json")
def openapi():
    """The OpenAPI document of the JSON API."""
    from marketplace.api.openapi import build_openapi

    return jsonify(build_openapi())
