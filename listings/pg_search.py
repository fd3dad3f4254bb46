"""The PostgreSQL search backend (``SEARCH_BACKEND=postgres``): the index is a table.

Design:
- ``search_documents`` holds one row per searchable listing: the filter and sort values, and
  ``text_tsv``, a ``tsvector`` of the same index terms Whoosh stores (``search.analyze``: jieba
  search mode, NFKC, stop words, stems). Each occurrence is a position weighted by the part it
  comes from: title A, tags B, summary C, body D, ranked with weights 3 : 2 : 1.5 : 1 (the Whoosh
  boosts). The tsvector is written as a literal (quoted lexemes), never parsed by a PostgreSQL text
  search configuration, so PostgreSQL sees exactly the analyzer's terms; GIN indexes it.
- Rows are written by the session hooks (``listings.indexing``) in the listing's own transaction,
  just before it commits: every app server sees a change the moment it is committed, and a rolled
  back transaction leaves nothing behind.
- Queries are the parsed queries of ``search._parse`` (the same words, synonym groups, "all words,
  else any word") turned into ``tsquery`` literals. The score of a listing is the sum over query
  terms of idf × ``ts_rank`` of the term (ts_rank alone knows no idf; the idf is Whoosh's,
  log(N / (df + 1)) + 1, from counts on the GIN index), length-normalised; ties go to the lower id.
- "Did you mean": the English words of titles and summaries (``spell_title``/``spell_summary``),
  trigram-indexed (pg_trgm, ``<%`` word similarity); candidates within edit distance 2 that start
  with the same letter, the closest and most frequent first (as Whoosh's corrector).
- Suggestions: ``title_tsv`` holds the title's terms, its pinyin initials and its whole normalised
  titles; a prefix is a ``tsquery`` prefix match (``'...':*``) on it.
- Odd input never raises: text becomes analyzer terms or nothing, every value is a bound parameter.
"""

from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, Session, mapped_column

from listings import search
from marketplace.extensions import db

TSVECTOR = sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")
# ts_rank's weights are {D, C, B, A}: body 1, summary 1.5, tags 2, title 3 (scaled to A = 1).
RANK_WEIGHTS = "{%.4f,%.4f,%.4f,%.4f}" % tuple(
    b / search.TITLE_BOOST for b in (search.BODY_BOOST, search.SUMMARY_BOOST, search.TAGS_BOOST,
                                      search.TITLE_BOOST))
RANK_NORMALIZATION = 1  # divide by 1 + log(document length): longer bodies count each word less
MAX_LEXEME_BYTES = 2000  # PostgreSQL refuses lexemes of 2 KiB and more
SPELL_SIMILARITY = 0.5  # pg_trgm word similarity threshold of "did you mean" candidates


class SearchDocument(db.Model):
    """One searchable listing as the PostgreSQL backend indexes it (the Whoosh backend leaves
    this table empty)."""

    __tablename__ = "search_documents"
    __table_args__ = (
        sa.Index("ix_search_documents_text_tsv", "text_tsv", postgresql_using="gin"),
        sa.Index("ix_search_documents_title_tsv", "title_tsv", postgresql_using="gin"),
        sa.Index("ix_search_documents_spell_title", "spell_title", postgresql_using="gin",
                 postgresql_ops={"spell_title": "gin_trgm_ops"}),
        sa.Index("ix_search_documents_spell_summary", "spell_summary", postgresql_using="gin",
                 postgresql_ops={"spell_summary": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(
        sa.ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(sa.String(20), index=True)
    district_code: Mapped[str] = mapped_column(sa.String(12), index=True)
    district_prefix: Mapped[str] = mapped_column(sa.String(6), index=True)  # the code's district
    category: Mapped[str] = mapped_column(sa.String(60), default="")
    price_fen: Mapped[int] = mapped_column(sa.BigInteger, index=True)  # search.NO_PRICE: none
    area_m2: Mapped[int | None] = mapped_column(sa.Integer)
    accepts_vouchers: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    published_ts: Mapped[int] = mapped_column(sa.BigInteger, index=True)
    version: Mapped[int] = mapped_column(sa.BigInteger)  # the listing's updated_at, microseconds
    text_tsv: Mapped[str] = mapped_column(TSVECTOR)
    title_tsv: Mapped[str] = mapped_column(TSVECTOR)
    title_zh: Mapped[str] = mapped_column(sa.Text, default="")
    title_en: Mapped[str] = mapped_column(sa.Text, default="")
    spell_title: Mapped[str] = mapped_column(sa.Text, default="")
    spell_summary: Mapped[str] = mapped_column(sa.Text, default="")


TABLE = SearchDocument.__table__


# ---------------------------------------------------------------------------------------------
# documents → rows
@lru_cache(maxsize=100_000)
def _lexeme(term: str) -> str | None:
    """The quoted tsvector/tsquery form of a term (None: PostgreSQL cannot hold it)."""
    term = (term or "").replace("\x00", "")  # PostgreSQL text cannot hold NUL
    if not term or len(term.encode()) >= MAX_LEXEME_BYTES:
        return None
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


_POSITIONS = {weight: [f"{i}{weight}" for i in range(257)] for weight in "ABCD"}


def tsvector_literal(parts) -> str:
    """A tsvector literal of ``parts``, (weight letter, terms) pairs: each occurrence of a term is
    one position of the part's weight. ts_rank counts a lexeme's positions and weighs them, and
    never looks at where they are (no phrase search here), so a lexeme's positions are simply
    1, 2, 3, ... in the order of the parts (at most 256, PostgreSQL's limit)."""
    weights: dict[str, list[tuple[str, int]]] = {}
    for weight, terms in parts:
        for term, count in Counter(terms).items():
            found = weights.get(term)
            if found is None:
                weights[term] = [(weight, count)]
            else:
                found.append((weight, count))
    out = []
    for term, counts in weights.items():
        lexeme = _lexeme(term)
        if lexeme is None:
            continue
        entries, start = [], 1
        for weight, count in counts:
            end = min(start + count, 257)
            entries += _POSITIONS[weight][start:end]
            start = end
        out.append(f"{lexeme}:{','.join(entries)}")
    return " ".join(out)


def row_for(document: search.Document) -> dict:
    titles = " ".join(filter(None, [document.title_zh, document.title_en]))
    text_parts = [("A", search.analyze(titles)), ("B", search.analyze(" ".join(document.tags))),
                  ("C", search.analyze(document.summary)), ("D", search.analyze(document.body))]
    whole_titles = [search.normalize(t).replace(",", " ")[:500]
                    for t in (document.title_zh, document.title_en) if t]
    title_parts = [("A", search.analyze(titles)),
                   ("B", search._initials_terms(document.title_zh or "")),
                   ("C", whole_titles)]
    return {
        "id": document.id, "kind": document.kind, "district_code": document.district_code,
        "district_prefix": document.district_code[:6], "category": document.category or "",
        "price_fen": search.NO_PRICE if document.price_fen is None else document.price_fen,
        "area_m2": document.area_m2, "accepts_vouchers": bool(document.accepts_vouchers),
        "published_ts": int(document.published_ts), "version": int(document.updated_us),
        "text_tsv": tsvector_literal(text_parts), "title_tsv": tsvector_literal(title_parts),
        "title_zh": document.title_zh or "", "title_en": document.title_en or "",
        "spell_title": " ".join(search._spelling_words(titles)),
        "spell_summary": " ".join(search._spelling_words(document.summary)),
    }


@lru_cache(maxsize=1)
def _upsert_statement():
    statement = postgresql.insert(TABLE)
    return statement.on_conflict_do_update(
        index_elements=[TABLE.c.id],
        set_={c.name: statement.excluded[c.name] for c in TABLE.columns if c.name != "id"})


def _upsert(session: Session, rows: list[dict]) -> None:
    """Insert or replace rows (one statement, executed for many rows: compiled once)."""
    if rows:
        session.execute(_upsert_statement(), rows)


def write_documents(session: Session, documents, removed=()) -> None:
    """Add or replace ``documents`` and delete the ``removed`` ids, in the session's transaction."""
    rows = [row_for(d) for d in documents]
    removed = [int(i) for i in removed]
    if removed:
        session.execute(sa.delete(TABLE).where(TABLE.c.id.in_(removed)))
    if rows:
        _upsert(session, rows)


def rebuild(session: Session, documents) -> int:
    """Replace every row by ``documents`` (one transaction: readers see the old rows until the
    caller commits)."""
    session.execute(sa.delete(TABLE))
    count, batch = 0, []
    for document in documents:
        batch.append(row_for(document))
        if len(batch) >= 200:
            _upsert(session, batch)
            count += len(batch)
            batch = []
    if batch:
        _upsert(session, batch)
        count += len(batch)
    return count


def indexed_versions(session: Session) -> dict[int, int]:
    return dict(session.execute(sa.select(TABLE.c.id, TABLE.c.version)).all())


def health(session: Session) -> str | None:
    if session.get_bind().dialect.name != "postgresql":
        return "search backend postgres needs a PostgreSQL database"
    try:
        with session.get_bind().connect() as conn:
            conn.execute(sa.select(TABLE.c.id).limit(1))
            if conn.execute(sa.text(
                    "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).first() is None:
                return "search backend postgres: the pg_trgm extension is missing"
    except Exception as exc:  # any failure to read the table makes the node not ready
        return f"search documents unavailable: {exc.__class__.__name__}"
    return None


# ---------------------------------------------------------------------------------------------
# queries
def _term_query(terms) -> str:
    lexemes = [lx for lx in map(_lexeme, terms) if lx]
    if not lexemes:
        return ""
    return lexemes[0] if len(lexemes) == 1 else "(" + " & ".join(lexemes) + ")"


def _clause_query(clause) -> str:
    if isinstance(clause, str):
        return _term_query((clause,))
    parts = [q for q in map(_term_query, clause) if q]
    return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")" if parts else ""


def tsquery_of(parsed: search._Parsed, relaxed: bool) -> str:
    """The tsquery literal of a parsed query: all clauses, or (relaxed) any alternative."""
    if relaxed:
        parts = [q for q in map(_term_query, parsed.relaxed_alternatives) if q]
        return " | ".join(parts)
    parts = [q for q in map(_clause_query, parsed.clauses) if q]
    return " & ".join(parts)


def _tsquery(literal: str):
    return sa.cast(sa.literal(literal, sa.Text), postgresql.TSQUERY)


_BIG = 2**63 - 1


def _number(value):
    """A filter bound as a BIGINT PostgreSQL accepts (out-of-range bounds match as +/- infinity)."""
    return sa.literal(max(-_BIG, min(int(value), _BIG)), sa.BigInteger)


def _text(value) -> str:
    return str(value).replace("\x00", "")


def _filters(request: search.SearchRequest) -> list:
    c = TABLE.c
    where = []
    if request.kind:
        where.append(c.kind == _text(request.kind))
    if request.kinds is not None:
        kinds = [_text(k) for k in request.kinds]
        where.append(c.kind.in_(kinds) if kinds else sa.false())
    if request.district:
        district = _text(request.district)
        where.append(sa.or_(c.district_code == district, c.district_prefix == district))
    if request.category:
        where.append(c.category == _text(request.category))
    if request.price_min is not None:
        where.append(c.price_fen >= _number(request.price_min))
    if request.price_max is not None:
        where.append(c.price_fen <= _number(request.price_max))
    if request.area_min is not None:
        where.append(c.area_m2 >= _number(request.area_min))
    if request.area_max is not None:
        where.append(c.area_m2 <= _number(request.area_max))
    if request.voucher is not None:
        where.append(c.accepts_vouchers.is_(bool(request.voucher)))
    return where


def _clamp(value, low: int, high: int) -> int:
    try:
        return max(low, min(int(value), high))
    except (TypeError, ValueError, OverflowError):
        return low


def _idf(term: str, documents: int):
    """Whoosh's idf, log(N / (df + 1)) + 1, of a term over the whole table (N ``documents``), as
    SQL: df is an uncorrelated scalar subquery PostgreSQL evaluates once, on the GIN index."""
    df = sa.select(sa.func.count()).where(
        TABLE.c.text_tsv.op("@@")(_tsquery(_lexeme(term)))).scalar_subquery()
    return sa.func.ln(sa.literal(float(max(documents, 1))) / (df + 1)) + 1


def _score(terms: list[str], documents: int):
    """The relevance of a row: the sum over query terms of idf × ts_rank (length-normalised)."""
    weights = sa.literal_column(f"'{RANK_WEIGHTS}'::float4[]")
    parts = [sa.func.ts_rank(weights, TABLE.c.text_tsv, _tsquery(_lexeme(t)), RANK_NORMALIZATION)
             * _idf(t, documents) for t in terms]
    return sum(parts[1:], parts[0]) if parts else sa.literal(0.0)


def _facets(session: Session, where: list, wanted: bool = True
            ) -> tuple[int, dict[str, dict[str, int]], int]:
    """The number of matching rows, (when ``wanted``) their facet counts, and the number of rows
    in the table (for idf), in one statement."""
    c = TABLE.c
    documents = sa.select(sa.func.count()).select_from(TABLE).scalar_subquery()
    if not wanted:
        total, n = session.execute(sa.select(sa.func.count(), documents).select_from(TABLE)
                                   .where(*where)).one()
        return total or 0, {}, n or 0
    rows = session.execute(sa.select(c.kind, c.district_code, c.district_prefix, c.category,
                                     sa.func.count(), documents).where(*where)
                           .group_by(c.kind, c.district_code, c.district_prefix, c.category)).all()
    facets = {name: Counter() for name in search.FACET_FIELDS}
    total, n = 0, 0
    for kind, code, prefix, category, count, n in rows:
        total += count
        facets["kind"][kind] += count
        for value in {code, prefix}:
            facets["districts"][value] += count
        facets["category"][category] += count
    return total, {name: {k: v for k, v in counts.items() if k not in (None, "")}
                   for name, counts in facets.items()}, n


def search_documents(session: Session, request: search.SearchRequest) -> search.SearchResult:
    """Run a search (the same request and result as ``search.search``); never raises for odd
    input."""
    page = _clamp(request.page or 1, 1, 1000)
    per_page = _clamp(request.per_page or 20, 1, 100)
    parsed = search._parse(search.query_text(request.text or ""))
    has_query = bool(parsed.clauses)
    where = _filters(request)
    relaxed = False
    query_literal = tsquery_of(parsed, False) if has_query else ""
    if has_query and not query_literal:
        has_query = False  # only terms PostgreSQL cannot hold: nothing to match
        where.append(sa.false())
    if has_query:
        match = TABLE.c.text_tsv.op("@@")(_tsquery(query_literal))
        total, facets, documents = _facets(session, [*where, match], request.facets)
        if not total and parsed.relaxable:
            relaxed_literal = tsquery_of(parsed, True)
            if relaxed_literal:
                relaxed = True
                match = TABLE.c.text_tsv.op("@@")(_tsquery(relaxed_literal))
                total, facets, documents = _facets(session, [*where, match], request.facets)
        where.append(match)
    else:
        total, facets, documents = _facets(session, where, request.facets)

    if request.sort == "newest" or (not has_query and request.sort == "relevance"):
        order = [TABLE.c.published_ts.desc(), TABLE.c.id]
    elif request.sort == "price":
        order = [TABLE.c.price_fen, TABLE.c.id]
    else:
        terms = sorted(parsed.terms()) if not relaxed else sorted(
            {t for alternative in parsed.relaxed_alternatives for t in alternative})
        terms = [t for t in terms if _lexeme(t)]
        order = [_score(terms, documents).desc(), TABLE.c.id]
    ids = []
    if total:
        ids = list(session.scalars(sa.select(TABLE.c.id).where(*where).order_by(*order)
                                   .limit(per_page).offset((page - 1) * per_page)))
    suggestion = None
    if has_query and total < 3:
        suggestion = did_you_mean(session, request.text or "")
    return search.SearchResult(
        ids=ids, total=total, page=page, pages=max(1, -(-total // per_page)),
        facets=facets if request.facets else {},
        terms=parsed.terms() if has_query else frozenset(), suggestion=suggestion,
        relaxed=relaxed)


# ---------------------------------------------------------------------------------------------
# "did you mean" and suggestions
def _distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, or limit + 1 when above."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2, previous = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if (previous2 is not None and i > 1 and j > 1 and ca == b[j - 2]
                    and a[i - 2] == cb):
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _known(session: Session, word: str) -> bool:
    """Every index term of ``word`` is in some document (not necessarily the same one)."""
    terms = [t for t in search.analyze(word) if _lexeme(t)]
    return bool(terms) and all(session.execute(sa.select(TABLE.c.id).where(
        TABLE.c.text_tsv.op("@@")(_tsquery(_lexeme(t)))).limit(1)).first() for t in terms)


def _corrections(session: Session, column, word: str) -> list[str]:
    session.execute(sa.select(sa.func.set_config("pg_trgm.word_similarity_threshold",
                                                 str(SPELL_SIMILARITY), True)))
    texts = session.scalars(sa.select(column).where(sa.literal(word).op("<%")(column))
                            .limit(500)).all()
    frequency = Counter(w for text in texts for w in set(text.split()))
    scored = []
    for candidate, freq in frequency.items():
        if candidate == word or candidate[:1] != word[:1] or not search._ASCII_WORD.match(candidate):
            continue
        distance = _distance(word, candidate, 2)
        if distance <= 2:
            scored.append((distance, -freq, candidate))
    return [c for _d, _f, c in sorted(scored)[:3]]


def did_you_mean(session: Session, text: str) -> str | None:
    """Replace misspelt English words by the closest English words of titles and summaries."""
    columns = {"spell_title": TABLE.c.spell_title, "spell_summary": TABLE.c.spell_summary}
    return search.corrected_query(
        text, lambda word: _known(session, word),
        lambda fieldname, word: _corrections(session, columns[fieldname], word),
        max_words=search.MAX_UNITS)


def suggest(session: Session, prefix: str, limit: int = 8,
            kinds: tuple[str, ...] | None = None) -> list[dict[str, str]]:
    """As ``search.suggest``: synonym terms, then listing titles starting with ``prefix``."""
    limit = _clamp(limit, 1, 50)
    prefix = search.normalize(prefix or "").replace("\x00", "").strip()[:40]
    if not prefix:
        return []
    found = search.synonym_suggestions(prefix)
    seen = {search.normalize(f["text"]) for f in found}
    alternatives = []
    whole = _lexeme(prefix.replace(",", " "))
    if whole:
        alternatives.append(whole + ":*")  # whole titles and (ascii) pinyin initials
    terms = [t for t in search.analyze(prefix) if _lexeme(t)]
    if terms:
        alternatives.append("(" + " & ".join([_lexeme(t) for t in terms[:-1]]
                                             + [_lexeme(terms[-1]) + ":*"]) + ")")
    if alternatives:
        query = _tsquery(" | ".join(alternatives))
        statement = (sa.select(TABLE.c.id, TABLE.c.title_zh, TABLE.c.title_en)
                     .where(TABLE.c.title_tsv.op("@@")(query))
                     .order_by(sa.func.ts_rank(TABLE.c.title_tsv, query).desc(), TABLE.c.id)
                     .limit(limit))
        if kinds is not None:
            statement = statement.where(TABLE.c.kind.in_(list(kinds)) if kinds else sa.false())
        for row in session.execute(statement):
            title = row.title_zh or row.title_en or ""
            if title and title not in seen:
                seen.add(title)
                found.append({"text": title, "type": "listing", "id": str(row.id),
                              "title_en": row.title_en or ""})
    terms_first = [f for f in found if f["type"] == "term"][: limit // 2]
    listings_next = [f for f in found if f["type"] == "listing"]
    return (terms_first + listings_next)[:limit]
