"""The search backend chosen by ``SEARCH_BACKEND`` (``whoosh`` or ``postgres``), behind one API.

Views, the CLI and the session hooks call ``listings.search_backend()`` (this module's
``current()``) and never name a backend: ``search(request)``, ``suggest(prefix, ...)``,
``write(session, documents, removed)``, ``rebuild(session, documents)``,
``indexed_versions(session)``, ``health(session)``. Highlighting does not depend on the backend
(``search.highlight_text``: the analyzer's terms).
"""

from __future__ import annotations

from flask import current_app

from listings import pg_search, search
from marketplace.extensions import db

BACKENDS = ("whoosh", "postgres")


class WhooshBackend:
    """An index on disk (``SEARCH_INDEX_DIR``), written after the commit."""

    name = "whoosh"
    writes_in_transaction = False

    def __init__(self, index_dir: str):
        self.index_dir = index_dir

    def search(self, request: search.SearchRequest) -> search.SearchResult:
        return search.search(self.index_dir, request)

    def suggest(self, prefix: str, limit: int = 8, kinds=None) -> list[dict[str, str]]:
        return search.suggest(self.index_dir, prefix, limit, kinds=kinds)

    def write(self, session, documents, removed=()) -> None:
        search.update_documents(self.index_dir, documents, removed)

    def rebuild(self, session, documents, *, procs: int = 1) -> int:
        return search.rebuild(self.index_dir, documents, procs=procs)

    def indexed_versions(self, session) -> dict[int, int]:
        return search.indexed_versions(self.index_dir)

    def health(self, session) -> str | None:
        try:
            search.get_index(self.index_dir)
        except Exception as exc:  # any failure to open the index makes the node not ready
            return f"search index unavailable: {exc.__class__.__name__}"
        return None

    def describe(self) -> str:
        return self.index_dir


class PostgresBackend:
    """The ``search_documents`` table, written in the listing's own transaction."""

    name = "postgres"
    writes_in_transaction = True

    def search(self, request: search.SearchRequest) -> search.SearchResult:
        return pg_search.search_documents(db.session, request)

    def suggest(self, prefix: str, limit: int = 8, kinds=None) -> list[dict[str, str]]:
        return pg_search.suggest(db.session, prefix, limit, kinds=kinds)

    def write(self, session, documents, removed=()) -> None:
        pg_search.write_documents(session, documents, removed)

    def rebuild(self, session, documents, *, procs: int = 1) -> int:
        return pg_search.rebuild(session, documents)

    def indexed_versions(self, session) -> dict[int, int]:
        return pg_search.indexed_versions(session)

    def health(self, session) -> str | None:
        return pg_search.health(session)

    def describe(self) -> str:
        return "the search_documents table"


def backend_name(app=None) -> str:
    name = ((app or current_app).config.get("SEARCH_BACKEND") or "whoosh").strip().lower()
    if name not in BACKENDS:
        raise ValueError(f"SEARCH_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}")
    return name


def current(app=None):
    """The backend the application's configuration chooses."""
    app = app or current_app
    if backend_name(app) == "postgres":
        return PostgresBackend()
    return WhooshBackend(app.config["SEARCH_INDEX_DIR"])
