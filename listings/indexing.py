"""Keeps the search index in step with the database (microblog's SearchableMixin pattern).

Session hooks note every listing touched by a flush; just before commit the documents are built
from the database state. Where they go depends on ``SEARCH_BACKEND`` (``listings.backend``):

- ``postgres``: written to ``search_documents`` right there, in the same transaction, so they are
  committed (or rolled back) with the listing and every app server sees them at once;
- ``whoosh``: written to the index after the commit; when the job queue is on
  (``marketplace.jobs.queue_enabled()``), a job ``reindex_listings(*ids)`` is dispatched instead,
  which reloads the listings from the database and rewrites or removes their documents.

A rolled-back transaction indexes nothing. The database is the source of truth:
``rebuild_index`` recreates the chosen backend's index from it, ``check_index`` compares them.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session, selectinload, with_polymorphic

from listings import backend as backend_module
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
from marketplace.extensions import db

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
    backend = backend_module.current()
    if not backend.writes_in_transaction and _queue_enabled():
        _dispatch_reindex(sorted(touched))  # queued once this transaction commits
        return
    documents, removed = documents_for(session, touched)
    if backend.writes_in_transaction:
        # PostgreSQL: the rows change in this transaction, visible to all once it commits
        backend.write(session, documents, removed)
        return
    session.info[_PENDING] = (backend, documents, removed)


def documents_for(session: Session, ids) -> tuple[list[search.Document], list[int]]:
    """The documents of the searchable listings among ``ids`` and the ids of the others."""
    loaded = {listing.id: listing for listing in _load(session, ids)}
    documents, removed = [], []
    for listing_id in ids:
        listing = loaded.get(listing_id)
        if listing is not None and listing.is_searchable:
            documents.append(document_for(listing))
        else:
            removed.append(listing_id)
    return documents, removed


def _dispatch_reindex(ids: list[int]) -> None:
    """Queue the job that rewrites these listings' documents. Dispatched inside the open
    transaction, the queue enqueues it after the commit (nothing on rollback), and the job
    reloads the listings as committed."""
    from marketplace import jobs

    try:
        jobs.dispatch(REINDEX_JOB, *ids, key="search-index:" + hashlib.sha1(
            ",".join(map(str, ids)).encode()).hexdigest()[:16])
    except Exception:  # the database is the truth; `flask listings check-index` will show it
        log.exception("could not queue the search index update of listings %s", ids)


def _queue_enabled() -> bool:
    from marketplace import jobs

    return jobs.queue_enabled()


@event.listens_for(Session, "after_commit")
def _write_documents(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    backend, documents, removed = pending
    try:
        backend.write(session, documents, removed)
    except Exception:  # the database is the truth; `flask listings check-index` will show it
        log.exception("search index update failed for listings %s",
                      sorted([d.id for d in documents] + removed))


REINDEX_JOB = "listings.indexing:reindex_listings"


def reindex_listings(*ids) -> int:
    """Job: (re)write the index documents of listings ``ids`` from the database as it is now,
    removing those no longer searchable. Idempotent; returns the number of documents written.
    Accepts ids or lists of ids."""
    flat = sorted({int(i) for item in ids for i in (item if isinstance(item, list | tuple | set)
                                                     else (item,))})
    if not flat:
        return 0
    session = db.session
    backend = backend_module.current()
    documents, removed = documents_for(session, flat)
    backend.write(session, documents, removed)
    if backend.writes_in_transaction:
        session.commit()
    else:
        session.rollback()  # only read: end the read transaction
    return len(documents)


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


def rebuild_index(session: Session, directory: str | None = None, *, procs: int = 1) -> int:
    """Recreate the index of the chosen backend from every searchable listing; returns the number
    indexed. ``directory``: the Whoosh index (default ``SEARCH_INDEX_DIR``). The PostgreSQL
    backend replaces every row in one transaction and commits it."""
    documents = (document_for(listing) for listing in _load(session) if listing.is_searchable)
    backend = backend_module.current()
    if backend.writes_in_transaction:
        count = backend.rebuild(session, documents)
        session.commit()
        return count
    return search.rebuild(directory or index_dir(), documents, procs=procs)


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


def check_index(session: Session, directory: str | None = None) -> IndexReport:
    """Compare the chosen backend's index with the database."""
    rows = session.execute(sa.select(Listing.id, Listing.updated_at)
                           .where(searchable_condition())).all()
    database = {row.id: int(row.updated_at.timestamp() * 1_000_000) for row in rows}
    backend = backend_module.current()
    if backend.writes_in_transaction:
        indexed = backend.indexed_versions(session)
    else:
        indexed = search.indexed_versions(directory or index_dir())
    return IndexReport(
        published=len(database), indexed=len(indexed),
        missing=sorted(set(database) - set(indexed)),
        stale=sorted(i for i in set(database) & set(indexed) if indexed[i] != database[i]),
        extra=sorted(set(indexed) - set(database)),
    )


def health() -> str | None:
    """None when the chosen search backend can be read, else a short reason (for ``/readyz``)."""
    try:
        return backend_module.current().health(db.session)
    except Exception as exc:  # a bad SEARCH_BACKEND, no database...: not ready
        return f"search backend unavailable: {exc.__class__.__name__}"
