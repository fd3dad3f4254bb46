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

Each process has its own store (Flask-Caching's SimpleCache, ``PAGE_CACHE_ENTRIES`` entries):
nothing another worker needs is kept in it, since the generation comes from the database.
"""

from __future__ import annotations

import secrets
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


def init_page_cache(app: Flask) -> None:
    seconds = float(app.config.get("PAGE_CACHE_SECONDS") or 0)
    app.extensions["page_cache"] = (
        SimpleCache(threshold=int(app.config.get("PAGE_CACHE_ENTRIES") or 2000),
                    default_timeout=max(1, int(round(seconds))))
        if seconds > 0 else None)
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


def catalogue_generation() -> tuple[int, int]:
    """The committed catalogue's generation: the newest committed ``catalogue_changes`` id and how
    many committed rows lie in the ``WINDOW`` ids below it. The count catches a transaction that
    took its id before a later one and commits after it (the newest id stays, the count grows);
    the window keeps the look-up a short index range however long the log gets."""
    last, count = db.session.execute(sa.text(
        "SELECT newest, (SELECT count(*) FROM catalogue_changes WHERE id > newest - :window) "
        "FROM (SELECT coalesce(max(id), 0) AS newest FROM catalogue_changes) AS latest"),
        {"window": WINDOW}).one()
    return int(last), int(count)


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
                        "%d.%d" % catalogue_generation()))
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
