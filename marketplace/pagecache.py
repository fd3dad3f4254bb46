"""The visitors' page cache: search and listing pages as a visitor who is not signed in sees them.

Those pages are most of a city's traffic and the same for every visitor in a language, so each
app process keeps the rendered HTML for ``PAGE_CACHE_SECONDS`` (a micro-cache; 0 turns it off):

- **Key**: the view, the language, the path with its query string, and the catalogue's generation
  (the newest id and a count of the committed ``catalogue_changes`` rows that database triggers
  write for every change of a listing, its kind's row, campaign parts, photos or an
  organisation; one indexed query a request; see ``catalogue_generation``). A committed edit therefore changes the key on every
  app server at once: the next visitor's page is rendered afresh, on any node.
- **Within the time limit only**: what the catalogue tables do not hold (a booking in an
  instrument's week grid, a new review, a campaign's pledges) and a Whoosh index written after
  the commit (the job queue) reach visitors within ``PAGE_CACHE_SECONDS``. Signed-in users and
  every non-GET request never use the cache.
- **Per visitor**: the CSRF token of the page's forms (the language switch) is rendered as a
  marker and replaced by the visitor's own token on the way out; a page whose rendering asked for
  a token any other way (a form's hidden field), a visitor with flashed messages waiting, and any
  answer but a 200 are not cached.

**Where**: with ``REDIS_URL`` (the scale-out shape) the pages go to the shared cache (Flask-Caching
on Redis, marketplace.jobs.cache), so each page is rendered once per time limit for every worker
of every app server, and each process keeps what it read from there for the rest of that time
(``SharedPages``); a Redis that does not answer makes every request a miss, never an error.
Without it each process keeps its own (Flask-Caching's SimpleCache, ``PAGE_CACHE_ENTRIES``
entries). Either way correctness never depends on another worker: the generation comes from the
database.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from datetime import timedelta
from functools import wraps

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, request, session
from flask_babel import get_locale
from flask_caching.backends import SimpleCache
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from listings.models import CatalogueChange
from marketplace.extensions import db

HEADER = "X-Page-Cache"  # hit / miss / bypass, for operators and tests
log = logging.getLogger(__name__)


class SharedPages:
    """The page store on the shared cache (Redis), with each process's own copy in front.

    A page found in Redis is kept in the process too, for what is left of its time (Redis holds
    when it was rendered), so a page is read from Redis once per process and served from memory
    after that: one network round trip saved on nearly every hit. Short keys; fails open."""

    def __init__(self, cache, seconds: int, entries: int = 2000):
        self.cache, self.seconds = cache, seconds
        self.local = SimpleCache(threshold=entries, default_timeout=seconds)

    @staticmethod
    def _key(key: str) -> str:
        return "page:" + hashlib.sha256(key.encode()).hexdigest()[:40]

    def get(self, key: str):
        body = self.local.get(key)
        if body is not None:
            return body
        try:
            found = self.cache.get(self._key(key))
        except Exception as exc:  # noqa: BLE001 - Redis away: render the page
            log.warning("page cache unavailable (%s): rendering", exc.__class__.__name__)
            return None
        if not found:
            return None
        rendered_at, body = found
        left = self.seconds - (time.time() - rendered_at)
        if left >= 1:
            self.local.set(key, body, timeout=int(left))
        return body

    def set(self, key: str, body: str) -> None:
        self.local.set(key, body)
        try:
            self.cache.set(self._key(key), (time.time(), body), timeout=self.seconds)
        except Exception as exc:  # noqa: BLE001
            log.warning("page cache unavailable (%s): page not kept", exc.__class__.__name__)


def init_page_cache(app: Flask) -> None:
    """Called by create_app after the shared cache (marketplace.jobs.init_app) is set up; again
    (the store only) when a test changes the cache settings."""
    from marketplace.extensions import cache

    configured = float(app.config.get("PAGE_CACHE_SECONDS") or 0)
    seconds = max(1, int(round(configured)))
    if configured <= 0:
        store = None
    elif app.config.get("REDIS_URL") and app.config.get("CACHE_TYPE") in (
            "RedisCache", "flask_caching.backends.RedisCache"):
        store = SharedPages(cache, seconds, int(app.config.get("PAGE_CACHE_ENTRIES") or 2000))
    else:
        store = SimpleCache(threshold=int(app.config.get("PAGE_CACHE_ENTRIES") or 2000),
                            default_timeout=seconds)
    app.extensions["page_cache"] = store
    if "page_cache_marker" in app.extensions:
        return
    # unguessable, so that no listing text can spell it
    app.extensions["page_cache_marker"] = "czx-csrf-" + secrets.token_hex(16)

    def csrf_token() -> str:
        """The templates' ``csrf_token()``: the marker while a cached page is rendered."""
        if g.get("page_cache_rendering"):
            return current_app.extensions["page_cache_marker"]
        return generate_csrf()

    # Flask-WTF offers generate_csrf both as a global and from a context processor: replace both
    # (this processor runs after Flask-WTF's, so its value wins)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})


WINDOW = 1000  # ids below the newest that the generation still counts


_GENERATION = sa.text(
    "SELECT newest, (SELECT count(*) FROM catalogue_changes WHERE id > newest - :window) "
    "FROM (SELECT coalesce(max(id), 0) AS newest FROM catalogue_changes) AS latest")


def catalogue_generation(connection=None) -> tuple[int, int]:
    """The committed catalogue's generation: the newest committed ``catalogue_changes`` id and how
    many committed rows lie in the ``WINDOW`` ids below it. The count catches a transaction that
    took its id before a later one and commits after it (the newest id stays, the count grows);
    the window keeps the look-up a short index range however long the log gets.

    Read in the request's session by default; the cache's wrapper reads it on an autocommit
    connection of its own instead (one statement, no BEGIN/ROLLBACK: a hit then never opens the
    session's transaction at all)."""
    if connection is None:
        row = db.session.execute(_GENERATION, {"window": WINDOW}).one()
    else:
        row = connection.execute(_GENERATION, {"window": WINDOW}).one()
    return int(row[0]), int(row[1])


def _fresh_generation() -> tuple[int, int]:
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        return catalogue_generation(connection)


def prune_catalogue_changes(session, now, keep=timedelta(hours=1)) -> int:
    """Delete the log's rows older than ``keep``, but never the newest (its id is the
    generation); run by the periodic jobs. Returns how many went."""
    newest = session.execute(sa.select(sa.func.max(CatalogueChange.id))).scalar()
    if newest is None:
        return 0
    result = session.execute(sa.delete(CatalogueChange).where(
        CatalogueChange.changed_at < now - keep, CatalogueChange.id < newest))
    return result.rowcount or 0


def _store():
    return current_app.extensions.get("page_cache")


def _cacheable_request() -> bool:
    return (request.method == "GET" and not current_user.is_authenticated
            and "_flashes" not in session)


def _with_token(body: str) -> str:
    return body.replace(current_app.extensions["page_cache_marker"], generate_csrf())


def cached_for_visitors(view):
    """Serve ``view``'s page from the visitors' page cache when it may be (module docstring)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        store = _store()
        if store is None or not _cacheable_request():
            response = current_app.make_response(view(*args, **kwargs))
            if store is not None:
                response.headers[HEADER] = "bypass"
            return response
        key = "|".join((request.endpoint or "", str(get_locale()), request.full_path,
                        "%d.%d" % _fresh_generation()))
        body = store.get(key)
        if body is not None:
            response = Response(_with_token(body), mimetype="text/html")
            response.headers[HEADER] = "hit"
            return response
        g.page_cache_rendering = True
        try:
            response = current_app.make_response(view(*args, **kwargs))
        finally:
            g.page_cache_rendering = False
        marker = current_app.extensions["page_cache_marker"]
        if response.status_code != 200 or response.mimetype != "text/html" or response.is_streamed:
            return response
        body = response.get_data(as_text=True)
        # a token asked for directly (a form's hidden field) is this visitor's own: keep it out
        if g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")) is None:
            store.set(key, body)
            response.headers[HEADER] = "miss"
        else:
            response.headers[HEADER] = "bypass"
        if marker in body:
            response.set_data(_with_token(body))
        return response

    return wrapper
