"""Recommendations for the UI: listings for an enterprise or one of its needs, enterprises for a
listing, each with reasons worded in the current locale from the model's evidence.

One ``Recommender`` per process lives in ``_holder``: the newest artifact in MODEL_DIR (looked
for again at most every MATCHING_RELOAD_SECONDS, so ``flask matching train`` is picked up without
a restart), or, when there is none or it is incompatible, a content-only recommender fitted from
the database (logged as a warning). Listings and organisations changed since the model was
fitted are folded in at request time, so a new listing is recommendable at once. Hard rules are
applied here, on the database as it is now: only open listings; never one's own; never a related
party's instruments or technologies (voucher rule); never what the organisation marked not
relevant. A recommendation without evidence is not shown.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy.orm import with_polymorphic

from listings.models import Listing, ListingKind, Need, SolutionKind
from listings.search import written_forms
from marketplace.extensions import db, utcnow
from marketplace.organizations.models import Organization, OrganizationKind, VerificationStatus
from marketplace.recommendations import data
from matching.records import ITEM_KINDS, Context

log = logging.getLogger(__name__)

# a need's solution kinds → the item kinds that can provide them (expertise: none of them)
SOLUTION_ITEM_KINDS = {
    SolutionKind.INSTRUMENT_TIME: "instrument",
    SolutionKind.TECHNOLOGY: "technology",
    SolutionKind.SPACE: "space",
}
VOUCHER_KINDS = frozenset({"instrument", "technology"})  # where the related-party rule applies
OVERFETCH = 3  # ask the model for more than shown: some are dropped by the rules or lack evidence
FALLBACK_REFIT_SHARE = 0.2  # refit the fallback when this share of its items was folded in


@dataclass
class Reason:
    """One explanation line, already worded in the current locale."""

    code: str
    text: str


@dataclass
class Recommendation:
    listing: Listing
    score: float
    reasons: list[Reason] = field(default_factory=list)  # never empty


@dataclass
class EnterpriseMatch:
    organization: Organization
    score: float
    reasons: list[Reason] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# the loaded model
class _Holder:
    """The process's recommender and what has been folded into it since it was fitted."""

    def __init__(self):
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        self.recommender = None
        self.path: Path | None = None
        self.mode = "content"
        self.trained_at: datetime | None = None
        self.message: str | None = None  # why there is no artifact in use
        self.checked_at = float("-inf")
        self.refused: set[tuple[str, float]] = set()  # (path, mtime) of incompatible artifacts
        self.fitted_items = 0
        self.folded_items: dict[int, datetime] = {}
        self.folded_parties: dict[int, tuple] = {}
        self.folded_fingerprint = None  # the database state last folded in
        self.fingerprint = None  # the database state of the current request
        self.candidates_key = None
        self.candidates: list[tuple[int, str, int]] = []


_holder = _Holder()


def reset() -> None:
    """Forget the loaded model (tests; the next request loads or fits again)."""
    with _holder.lock:
        _holder.reset()


def _model_dir() -> Path:
    return Path(current_app.config["MODEL_DIR"])


def _reload_seconds() -> float:
    return float(current_app.config.get("MATCHING_RELOAD_SECONDS", 5))


def _recommender():
    """The current recommender, with recent changes folded in (call with the lock held)."""
    now_mono = time.monotonic()
    if _holder.recommender is None or now_mono - _holder.checked_at >= _reload_seconds():
        _holder.checked_at = now_mono
        _look_for_artifact()
    if _holder.recommender is None or (
            _holder.mode == "content"
            and len(_holder.folded_items) > max(20, FALLBACK_REFIT_SHARE * _holder.fitted_items)):
        _fit_fallback()
    _holder.fingerprint = _fingerprint()
    if _holder.recommender is not None and _holder.fingerprint != _holder.folded_fingerprint:
        _fold_in_changes()
        _holder.folded_fingerprint = _holder.fingerprint
    return _holder.recommender


def _fingerprint() -> tuple:
    """One cheap query that changes whenever a listing, a campaign's state or an organisation
    changes (or rows are added or removed): until it does, nothing needs folding in and the open
    candidates are those of the last request."""
    from marketplace.campaigns.models import CampaignRun

    listings, orgs, runs = Listing.__table__, Organization.__table__, CampaignRun.__table__
    row = db.session.execute(sa.select(
        sa.select(sa.func.count()).select_from(listings).scalar_subquery(),
        sa.select(sa.func.max(listings.c.updated_at)).scalar_subquery(),
        sa.select(sa.func.max(runs.c.updated_at)).scalar_subquery(),
        sa.select(sa.func.count()).select_from(orgs).scalar_subquery(),
        sa.select(sa.func.max(orgs.c.updated_at)).scalar_subquery())).one()
    return tuple(row)


def _look_for_artifact() -> None:
    from matching import store

    directory = _model_dir()
    path = store.latest(directory) if directory.is_dir() else None
    if path is None:
        if _holder.mode == "hybrid":  # the artifact was removed
            _holder.recommender = None
        if _holder.message is None or _holder.path is not None:
            _holder.message = _no_artifact_message(directory)
        _holder.path = None
        _holder.mode = "content"
        return
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return
    if _holder.mode == "hybrid" and _holder.path == path:
        return
    if (str(path), mtime) in _holder.refused:
        return
    try:
        recommender = store.load(path)
    except store.IncompatibleArtifact as error:
        _holder.refused.add((str(path), mtime))
        _holder.message = str(error)
        log.warning("recommender artifact %s refused: %s; falling back to content similarity "
                    "fitted from the database", path, error)
        if _holder.mode == "hybrid":
            _holder.recommender = None
            _holder.mode = "content"
        return
    _holder.recommender = recommender
    _holder.path = path
    _holder.mode = "hybrid"
    _holder.message = None
    _holder.trained_at = _parse_time(recommender.metadata.get("trained_at"))
    _holder.fitted_items = int(recommender.metadata.get("counts", {}).get("items", 0))
    _holder.folded_items = {}
    _holder.folded_parties = {}
    _holder.folded_fingerprint = None
    log.info("recommender artifact %s loaded (trained %s)", path, _holder.trained_at)


def _no_artifact_message(directory: Path) -> str:
    message = (f"no recommender artifact in {directory}: falling back to content similarity "
               "fitted from the database (run `flask matching train`)")
    log.warning(message)
    return message


def _fit_fallback() -> None:
    from matching.model import Recommender

    now = utcnow()
    dataset = data.load_dataset(db.session, now)
    if not dataset.items or not dataset.parties:  # nothing to fit yet: nothing to recommend
        _holder.recommender = None
        return
    # content only: the ranker and the factors come from `flask matching train`
    _holder.recommender = Recommender.fit(dataset.parties, dataset.items, [], now=now,
                                          synonyms=dataset.synonyms,
                                          neighbours=dataset.neighbours)
    _holder.mode = "content"
    _holder.path = None
    _holder.trained_at = now
    _holder.fitted_items = len(dataset.items)
    _holder.folded_items = {}
    _holder.folded_parties = {}
    _holder.folded_fingerprint = None
    log.info("content-only recommender fitted from the database (%d listings, %d organisations)",
             len(dataset.items), len(dataset.parties))


def _fold_in_changes() -> None:
    """Listings and organisations changed since the model was fitted replace their records."""
    base = _holder.trained_at
    if base is None or _holder.recommender is None:
        return
    now = utcnow()
    rows = db.session.execute(sa.select(Listing.id, Listing.updated_at).where(
        data.open_condition(now),
        sa.or_(Listing.updated_at > base, Listing.published_at > base))).all()
    stale = [row.id for row in rows if _holder.folded_items.get(row.id) != row.updated_at]
    if stale:
        items = list(data.load_items(db.session, now=now, ids=stale))
        _holder.recommender.add_items(items)
        versions = {row.id: row.updated_at for row in rows}
        for item in items:
            _holder.folded_items[item.id] = versions[item.id]
    changed: dict[int, list] = {}
    for org_id, at in db.session.execute(sa.select(Organization.id, Organization.updated_at)
                                         .where(data.party_condition(),
                                                Organization.updated_at > base)):
        changed.setdefault(org_id, []).append(at)
    for org_id, at in db.session.execute(sa.select(Need.organization_id, Need.updated_at)
                                         .where(Need.updated_at > base)):
        changed.setdefault(org_id, []).append(at)
    versions = {org_id: tuple(sorted(ats)) for org_id, ats in changed.items()}
    stale = [org_id for org_id, v in versions.items() if _holder.folded_parties.get(org_id) != v]
    if stale:
        parties = list(data.load_parties(db.session, ids=stale))
        _holder.recommender.add_parties(parties)
        for party in parties:
            _holder.folded_parties[party.id] = versions[party.id]


def _parse_time(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def model_status() -> dict:
    """Which model serves: {"mode": "hybrid"|"content", "trained_at", "path", "message"}."""
    with _holder.lock:
        _recommender()
        return {"mode": _holder.mode, "trained_at": _holder.trained_at,
                "path": str(_holder.path) if _holder.path else None,
                "message": _holder.message}


# ---------------------------------------------------------------------------------------------
# the rules, on the database as it is now
def _open_candidates(now: datetime, kinds) -> list[tuple[int, str, int]]:
    """(id, kind, owner) of the open listings (call with the lock held, after _recommender).

    Cached while the database fingerprint and the minute stay the same (at 50,000 listings the
    query costs a few hundred milliseconds); what a cached list gets wrong — a space let in full,
    a campaign past its deadline within the minute — is caught by the re-check of the rows
    shown."""
    key = (_holder.fingerprint, now.replace(second=0, microsecond=0))
    if key != _holder.candidates_key or _holder.fingerprint is None:
        table = Listing.__table__
        _holder.candidates = [tuple(row) for row in db.session.execute(
            sa.select(table.c.id, sa.type_coerce(table.c.kind, sa.String),
                      table.c.organization_id).where(data.open_condition(now)))]
        _holder.candidates_key = key
    if not kinds:
        return _holder.candidates
    wanted = set(kinds)
    return [row for row in _holder.candidates if row[1] in wanted]


def related_organization_ids(organization: Organization) -> set[int]:
    """Organisations related to this one under the voucher rule (vouchers.are_related): declared
    relations either way, a shared member, or the same actual controller."""
    from marketplace.organizations.models import (
        Membership,
        OrganizationRelation,
        normalize_controller,
    )

    result: set[int] = set()
    for a, b in db.session.execute(sa.select(OrganizationRelation.organization_id,
                                             OrganizationRelation.related_organization_id)
                                   .where(sa.or_(
                                       OrganizationRelation.organization_id == organization.id,
                                       OrganizationRelation.related_organization_id
                                       == organization.id))):
        result.update((a, b))
    mine = sa.select(Membership.user_id).where(Membership.organization_id == organization.id)
    result.update(db.session.scalars(sa.select(Membership.organization_id)
                                     .where(Membership.user_id.in_(mine))))
    controller = normalize_controller(organization.actual_controller)
    if controller:
        for org_id, name in db.session.execute(sa.select(Organization.id,
                                                         Organization.actual_controller)
                                               .where(Organization.actual_controller.is_not(None))):
            if normalize_controller(name) == controller:
                result.add(org_id)
    result.discard(organization.id)
    return result


def _not_relevant_ids(organization: Organization) -> set[int]:
    from marketplace.recommendations.models import NotRelevant

    return set(db.session.scalars(sa.select(NotRelevant.listing_id)
                                  .where(NotRelevant.organization_id == organization.id)))


def remaining_quota_fen(organization: Organization, now: datetime) -> int | None:
    """The voucher quota the organisation can still spend (None: it holds none)."""
    from marketplace.vouchers import operations as vouchers

    programmes = vouchers.list_usable_programmes(organization, now)
    if not programmes:
        return None
    return sum(vouchers.voucher_balance(organization, p, now)["available_fen"]
               for p in programmes)


def _recommend(organization: Organization, party, *, kinds, limit: int, audience: str):
    now = utcnow()
    related = related_organization_ids(organization)
    rejected = _not_relevant_ids(organization)
    if limit <= 0:
        return []
    context = Context(remaining_quota_fen=remaining_quota_fen(organization, now),
                      excluded_item_ids=frozenset(rejected),
                      excluded_owner_ids=frozenset({organization.id}))
    with _holder.lock:
        recommender = _recommender()
        if recommender is None:
            return []
        candidates = {
            listing_id for listing_id, kind, owner_id in _open_candidates(now, kinds)
            if owner_id != organization.id and listing_id not in rejected
            and not (kind in VOUCHER_KINDS and owner_id in related)}
        if not candidates:
            return []
        mode = "hybrid" if _holder.mode == "hybrid" else "content"
        scored = recommender.recommend(party, context=context, k=limit * OVERFETCH,
                                       kinds=list(kinds) if kinds else None, mode=mode,
                                       candidates=candidates)
    scored = [s for s in scored if s.id in candidates]
    listings = _load_listings([s.id for s in scored])
    still_open = data.open_listing_ids(db.session, listings.keys(), now)
    result = []
    for s in scored:
        listing = listings.get(s.id)
        if listing is None or s.id not in still_open:
            continue
        reasons = reasons_for(s.evidence, audience=audience,
                              texts=(data.listing_text(listing), party.text))
        if reasons:
            result.append(Recommendation(listing=listing, score=float(s.score), reasons=reasons))
        if len(result) >= limit:
            break
    return result


def _load_listings(ids) -> dict[int, Listing]:
    if not ids:
        return {}
    poly = with_polymorphic(Listing, "*")
    return {listing.id: listing
            for listing in db.session.scalars(sa.select(poly).where(poly.id.in_(list(ids))))}


# ---------------------------------------------------------------------------------------------
# the public API
def recommend_for_organization(organization, *, kinds=None, limit=10) -> list[Recommendation]:
    """Open listings the organisation may want, best first, each with its reasons."""
    kinds = _item_kinds(kinds)
    needs = data.open_need_texts(db.session, [organization.id]).get(organization.id, [])
    party = data.party_for(organization, needs)
    return _recommend(organization, party, kinds=kinds, limit=limit, audience="profile")


def recommend_for_need(need, *, limit=10) -> list[Recommendation]:
    """Instruments, technologies, spaces and campaigns that could solve one need."""
    kinds = tuple(dict.fromkeys(SOLUTION_ITEM_KINDS[k] for k in need.solutions
                                if k in SOLUTION_ITEM_KINDS)) or None
    party = data.party_for_need(need)
    return _recommend(need.organization, party, kinds=kinds, limit=limit, audience="need")


def enterprises_for_listing(listing, *, limit=10) -> list[EnterpriseMatch]:
    """Verified enterprises that opted in to being found, most likely to want the listing first;
    never the listing's owner."""
    if limit <= 0:
        return []
    candidates = set(db.session.scalars(sa.select(Organization.id).where(
        Organization.status == VerificationStatus.VERIFIED,
        Organization.kind == OrganizationKind.ENTERPRISE,
        Organization.discoverable.is_(True),
        Organization.id != listing.organization_id)))
    if not candidates:
        return []
    item = data.item_for(listing, data.technology_fees_take_vouchers(db.session))
    with _holder.lock:
        recommender = _recommender()
        if recommender is None:
            return []
        scored = recommender.parties_for_item(item, k=limit * OVERFETCH, candidates=candidates)
    scored = [s for s in scored if s.id in candidates]
    organizations = {org.id: org for org in db.session.scalars(
        sa.select(Organization).where(Organization.id.in_([s.id for s in scored])))}
    needs = data.open_need_texts(db.session, list(organizations))
    listing_text = data.listing_text(listing)
    result = []
    for s in scored:
        organization = organizations.get(s.id)
        if organization is None:
            continue
        party = data.party_for(organization, needs.get(organization.id, ()))
        reasons = reasons_for(s.evidence, audience="enterprise",
                              texts=(listing_text, party.text))
        if reasons:
            result.append(EnterpriseMatch(organization=organization, score=float(s.score),
                                          reasons=reasons))
        if len(result) >= limit:
            break
    return result


def _item_kinds(kinds):
    if not kinds:
        return None
    if isinstance(kinds, str):
        kinds = [kinds]
    chosen = tuple(str(k) for k in kinds if str(k) in ITEM_KINDS)
    return chosen or None


# ---------------------------------------------------------------------------------------------
# wording the evidence
def _is_english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def _quoted(terms) -> str:
    if _is_english():
        return ", ".join(f"“{t}”" for t in terms)
    return "".join(f"“{t}”" for t in terms)


def category_label(value: str | None) -> str:
    from listings.models import InstrumentCategory, LegalStatus, PatentType, SpaceType

    for enum in (InstrumentCategory, SpaceType, PatentType, LegalStatus):
        try:
            return str(enum(value).label)
        except ValueError:
            continue
    if value == "campaign":
        return str(ListingKind.CAMPAIGN.label)
    return value or ""


def industry_name(section: str | None) -> str:
    """The section's name without its letter, as it reads in a sentence (制造业, Manufacturing)."""
    from marketplace.reference import INDUSTRY_SECTIONS

    label = INDUSTRY_SECTIONS.get(section or "")
    return str(label) if label is not None else (section or "")


# Words that are in nearly every profile and listing here and so explain nothing.
_UNINFORMATIVE = frozenset({"长治", "长治市", "山西", "山西省", "changzhi", "shanxi", "公司",
                            "有限公司", "有限责任公司", "co", "ltd"})


def _find(term: str, text: str) -> int:
    """Where ``term`` stands in ``text`` (case-insensitive; a Latin term as a whole word)."""
    if term.isascii():
        found = re.search(rf"(?<![a-z0-9]){re.escape(term.lower())}(?![a-z0-9])", text.lower())
        return found.start() if found else -1
    return text.lower().find(term.lower())


def _as_written(term: str, texts: Sequence[str], forms: dict[str, str]) -> str | None:
    """The term as one of the two texts writes it, or None when neither does (a stemmed
    "microscop" becomes "microscope"; a term found in neither text is not shown)."""
    for text in texts:
        at = _find(term, text)
        if at >= 0:
            return text[at:at + len(term)]
    parts = term.lower().split(" ")
    if all(part in forms for part in parts):
        written = " ".join(forms[part] for part in parts)
        for text in texts:
            at = _find(written, text)
            if at >= 0:
                return text[at:at + len(written)]
    return None


def _worth_showing(word: str) -> bool:
    if word.lower() in _UNINFORMATIVE or word.isdigit():
        return False
    if word.isascii():  # "mm", "co" are noise; "CT", "LED" written in capitals are terms
        return len(word) >= 3 or word.isupper()
    return len(word) >= 2


def _display_terms(terms, texts: Sequence[str] = (), limit: int = 5) -> list[str]:
    """The matched terms worth showing, as the texts write them: no single Chinese characters,
    no noise words, none contained in a longer term already shown (“轻量化” covers “轻量”)."""
    texts = [unicodedata.normalize("NFKC", t) for t in texts if t]
    forms: dict[str, str] = {}
    for text in texts:
        for term, word in written_forms(text).items():
            forms.setdefault(term, word.lower())
    words = []
    for term in terms:
        term = str(term).strip()
        written = _as_written(term, texts, forms) if texts else term
        if written and _worth_showing(written):
            words.append(written)
    shown: list[str] = []
    for word in sorted(dict.fromkeys(words), key=len, reverse=True):
        if not any(word.lower() in longer.lower() for longer in shown):
            shown.append(word)
    order = {w: i for i, w in enumerate(dict.fromkeys(words))}
    return sorted(shown, key=order.__getitem__)[:limit]


def reasons_for(evidence, *, audience: str = "profile", texts: Sequence[str] = ()) -> list[Reason]:
    """Word each piece of evidence; evidence without the data to prove it gives no reason.
    ``texts``: the two sides' texts, which matched terms are shown as written in."""
    reasons = []
    for e in evidence:
        text = _word(e.code, e.data or {}, audience, texts)
        if text:
            reasons.append(Reason(code=e.code, text=text))
    return reasons


def _word(code: str, values: dict, audience: str, texts: Sequence[str] = ()) -> str | None:
    from marketplace.money import format_fen
    from marketplace.reference import area_name

    if code == "terms":
        terms = _display_terms(values.get("terms") or [], texts)
        if not terms:
            return None
        if audience == "need":
            return _("Matches your need: %(terms)s", terms=_quoted(terms))
        if audience == "enterprise":
            return _("Its profile and needs match: %(terms)s", terms=_quoted(terms))
        return _("Matches your profile: %(terms)s", terms=_quoted(terms))
    if code == "district":
        district = values.get("district")
        if not district:
            return None
        name = area_name(district)
        if values.get("relation") == "same":
            return _("Also in %(district)s", district=name)
        if values.get("relation") == "neighbour":
            return _("In a neighbouring district: %(district)s", district=name)
        return None
    if code == "peers":
        count = int(values.get("count") or 0)
        if count <= 0:
            return None
        industry = values.get("industry")
        if industry:
            return ngettext("%(num)d enterprise in %(industry)s booked or licensed it",
                            "%(num)d enterprises in %(industry)s booked or licensed it",
                            count, industry=industry_name(industry))
        return ngettext("%(num)d enterprise in the same industry booked or licensed it",
                        "%(num)d enterprises in the same industry booked or licensed it", count)
    if code == "similar_parties":
        count = int(values.get("count") or 0)
        if count <= 0:
            return None
        if audience == "enterprise":
            return ngettext("%(num)d similar enterprise used listings like this",
                            "%(num)d similar enterprises used listings like this", count)
        return ngettext("%(num)d enterprise like yours showed interest in it",
                        "%(num)d enterprises like yours showed interest in it", count)
    if code == "category_affinity":
        industry, category = values.get("industry"), values.get("category")
        if not (industry and category):
            return None
        return _("Enterprises in %(industry)s often use %(category)s",
                 industry=industry_name(industry), category=category_label(category))
    if code == "voucher_fit":
        price, remaining = values.get("price_fen"), values.get("remaining_fen")
        if price is None or remaining is None or price > remaining:
            return None
        return _("The price is within your remaining innovation voucher quota (%(remaining)s)",
                 remaining=format_fen(int(remaining)))
    if code == "accepts_vouchers":
        # a fact about the listing, not about why this enterprise would want it
        return None if audience == "enterprise" else _("Innovation vouchers accepted")
    return None
