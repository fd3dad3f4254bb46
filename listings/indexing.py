"""Keeps the search index in step with the database (microblog's SearchableMixin pattern).

Session hooks note every listing touched by a flush; just before commit the documents are built
from the database state; after the commit they are written to the index (published listings are
added or replaced, all others removed). A rolled-back transaction indexes nothing. The database is
the source of truth: ``rebuild_index`` recreates the index from it, ``check_index`` compares them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, selectinload, with_polymorphic

from listings import search
from listings.models import (
    ExpertiseNeed,
    Listing,
    ListingPhoto,
    ListingStatus,
    ResourceNeed,
    RewardTier,
    Space,
)

log = logging.getLogger(__name__)

_TOUCHED = "search_touched_ids"
_PENDING = "search_pending"


def _district_names(code: str) -> str:
    from marketplace.reference import get_area  # reference data only; no Flask request needed

    names = []
    for candidate in {code, code[:6]}:
        area = get_area(candidate)
        if area:
            names += [area.name_zh, area.name_en]
    return " ".join(names)


def _labels_in_both_languages(listing: Listing) -> str:
    """Kind, category, patent type, licensing modes... in Chinese and English, whatever the
    language of the request that happened to commit the change."""
    from flask_babel import force_locale

    words = []
    for locale in ("zh_CN", "en"):
        with force_locale(locale):
            words += [str(label) for label in listing.labels()]
    return " ".join(dict.fromkeys(words))


def document_for(listing: Listing) -> search.Document:
    """The index document of one listing, from its database state."""
    org = listing.organization
    details = listing.search_texts().get("details", "")
    body = " ".join(filter(None, [
        listing.description, details, _labels_in_both_languages(listing), org.name_zh if org else "", org.name_en if org else "",
        _district_names(listing.district_code), listing.address,
    ]))
    summary = " ".join(filter(None, [listing.summary_zh, listing.summary_en]))
    published = listing.published_at or listing.created_at
    return search.Document(
        id=listing.id, kind=listing.kind.value, district_code=listing.district_code,
        category=listing.category, title_zh=listing.title_zh, title_en=listing.title_en,
        summary=summary, body=body, tags=listing.tag_list, price_fen=listing.price_fen,
        area_m2=getattr(listing, "area_free_m2", None),
        accepts_vouchers=bool(getattr(listing, "accepts_vouchers", False)),
        published_ts=int(published.timestamp()) if published else 0,
        updated_us=version_of(listing),
    )


def version_of(listing: Listing) -> int:
    return int(listing.updated_at.timestamp() * 1_000_000) if listing.updated_at else 0


def index_dir() -> str:
    return current_app.config["SEARCH_INDEX_DIR"]


# ---------------------------------------------------------------------------------------------
# session hooks
def _listing_id_of(obj) -> int | None:
    if isinstance(obj, Listing):
        return obj.id
    if isinstance(obj, (ExpertiseNeed, ResourceNeed, RewardTier)):
        return obj.campaign_id
    if isinstance(obj, ListingPhoto):
        return obj.listing_id
    return None


@event.listens_for(Session, "after_flush")
def _note_touched(session: Session, flush_context) -> None:
    touched = session.info.setdefault(_TOUCHED, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        listing_id = _listing_id_of(obj)
        if listing_id is not None:
            touched.add(listing_id)


@event.listens_for(Session, "before_commit")
def _prepare_documents(session: Session) -> None:
    if not has_app_context():
        return
    session.flush()  # so that changes made since the last flush are noted too
    touched = session.info.pop(_TOUCHED, set())
    if not touched:
        return
    loaded = {listing.id: listing for listing in _load(session, touched)}
    documents, removed = [], []
    for listing_id in touched:
        listing = loaded.get(listing_id)
        if listing is not None and listing.is_searchable:
            documents.append(document_for(listing))
        else:
            removed.append(listing_id)
    session.info[_PENDING] = (index_dir(), documents, removed)


@event.listens_for(Session, "after_commit")
def _write_documents(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    directory, documents, removed = pending
    try:
        search.update_documents(directory, documents, removed)
    except Exception:  # the database is the truth; `flask listings check-index` will show it
        log.exception("search index update failed for listings %s",
                      sorted([d.id for d in documents] + removed))


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_TOUCHED, None)
        session.info.pop(_PENDING, None)


# ---------------------------------------------------------------------------------------------
# rebuilding and checking
def _load(session: Session, ids: Iterable[int] | None = None, batch: int = 500) -> Iterator[Listing]:
    poly = with_polymorphic(Listing, "*")
    query = sa.select(poly).options(
        selectinload(poly.Campaign.expertise_needs), selectinload(poly.Campaign.resource_needs),
        selectinload(poly.Campaign.reward_tiers))
    if ids is not None:
        ids = list(ids)
        for start in range(0, len(ids), batch):
            yield from session.scalars(query.where(poly.id.in_(ids[start:start + batch])))
        return
    last = 0
    while True:
        chunk = session.scalars(query.where(poly.id > last, poly.status == ListingStatus.PUBLISHED)
                                .order_by(poly.id).limit(batch)).all()
        if not chunk:
            return
        yield from chunk
        last = chunk[-1].id
        session.expunge_all()


def rebuild_index(session: Session, directory: str, *, procs: int = 1) -> int:
    """Recreate the index from every searchable listing; returns the number indexed."""
    return search.rebuild(directory, (document_for(listing) for listing in _load(session)
                                      if listing.is_searchable), procs=procs)


def searchable_condition(listing=Listing):
    """SQL for ``Listing.is_searchable``: published, and a space with area left to let."""
    return sa.and_(listing.status == ListingStatus.PUBLISHED, sa.not_(
        sa.exists().where(Space.id == listing.id, Space.area_free_m2 <= 0)))


@dataclass
class IndexReport:
    published: int
    indexed: int
    missing: list[int]  # published in the database, absent from the index
    stale: list[int]  # indexed from an older version of the listing
    extra: list[int]  # in the index but not published (or gone) in the database

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra)


def check_index(session: Session, directory: str) -> IndexReport:
    """Compare the index with the database."""
    rows = session.execute(sa.select(Listing.id, Listing.updated_at)
                           .where(searchable_condition())).all()
    database = {row.id: int(row.updated_at.timestamp() * 1_000_000) for row in rows}
    indexed = search.indexed_versions(directory)
    return IndexReport(
        published=len(database), indexed=len(indexed),
        missing=sorted(set(database) - set(indexed)),
        stale=sorted(i for i in set(database) & set(indexed) if indexed[i] != database[i]),
        extra=sorted(set(indexed) - set(database)),
    )



def health() -> str | None:
    """None when the search index can be read, else a short reason (for ``/readyz``)."""
    try:
        search.get_index(index_dir())
    except Exception as exc:  # any failure to open the index makes the node not ready
        return f"search index unavailable: {exc.__class__.__name__}"
    return None
