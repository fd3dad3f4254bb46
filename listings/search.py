"""The full-text index of published listings. The only module that imports whoosh.

Design:
- One schema for every kind. Text goes through one analyzer (``ANALYZER``): NFKC normalisation
  (full-width → half-width), jieba "search mode" segmentation with the domain dictionary (so a long
  word also yields its sub-words: 扫描电子显微镜 → 扫描, 电子, 显微镜, 电子显微镜, ...), lower-casing,
  stop words, English stemming. Index and query text pass through the same analyzer.
- Queries are never parsed as query syntax: any typed text becomes plain words, so quotes, ``AND``,
  ``*`` or ``title:`` cannot raise or match everything. Each word (or multi-word synonym found by
  longest match) becomes a unit; a unit that is a synonym term searches the whole synonym group.
  All units must match; if that finds nothing, any unit may match.
- Search returns listing ids in rank order (the caller reloads them from the database), facet
  counts, highlighted snippets (HTML-escaped by Whoosh, safe in element content only) and a "did
  you mean" suggestion for misspelt English words.
- Writers take the index lock with a timeout, so several processes can update the index safely.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import rjieba
from pypinyin import Style, lazy_pinyin
from whoosh import highlight, index, sorting, writing
from whoosh.analysis import LowercaseFilter, StemFilter, StopFilter, Token, Tokenizer
from whoosh.fields import BOOLEAN, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.query import And, Every, NumericRange, Or, Prefix, Term

log = logging.getLogger(__name__)

SYNONYMS_FILE = Path(__file__).with_name("synonyms.txt")
MAX_QUERY_CHARS = 200
MAX_UNITS = 12
TEXT_FIELDS = ("title", "summary", "body", "tags")
NO_PRICE = 2**62  # sorts after every real price; never shown (prices come from the database)
_WORD = re.compile(r"\w", re.UNICODE)
_ASCII_WORD = re.compile(r"^[a-z][a-z\-]{2,}$")

STOP_WORDS = frozenset("""
a an and are as at be by for from in is it of on or not the to with
的 了 和 与 及 或 在 是 等 对 把 被 为 以 之 其 中 并 且
""".split())


# ---------------------------------------------------------------------------------------------
# text analysis
def normalize(text: str) -> str:
    """NFKC (full-width letters and digits → half-width) and lower case."""
    return unicodedata.normalize("NFKC", text or "").lower()


@cache
def synonym_groups() -> tuple[tuple[str, ...], ...]:
    groups = []
    for line in SYNONYMS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        terms = tuple(dict.fromkeys(t.strip() for t in line.split("|") if t.strip()))
        if len(terms) >= 2:
            groups.append(terms)
    return tuple(groups)


_dictionary_ready = False
_dictionary_lock = threading.Lock()


def _ensure_dictionary() -> None:
    """Teach jieba the domain terms once per process (index and query see the same dictionary)."""
    global _dictionary_ready
    if _dictionary_ready:
        return
    with _dictionary_lock:
        if _dictionary_ready:
            return
        for group in synonym_groups():
            for term in group:
                term = normalize(term)
                if " " not in term and any("\u4e00" <= ch <= "\u9fff" for ch in term):
                    rjieba.add_word(term, None, None)
        _dictionary_ready = True


class JiebaTokenizer(Tokenizer):
    """jieba search-mode segmentation of NFKC-normalised text; drops whitespace and punctuation."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        _ensure_dictionary()
        text = unicodedata.normalize("NFKC", value or "")
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for word, start, end in rjieba.tokenize(text, mode="search"):
            if not _WORD.search(word):
                continue
            token.text = word
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = pos
                pos += 1
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


ANALYZER = JiebaTokenizer() | LowercaseFilter() | StopFilter(stoplist=STOP_WORDS, minsize=1) \
    | StemFilter(lang="en", cachesize=100_000)


def analyze(text: str) -> list[str]:
    """The index terms of ``text`` (what the index stores for it)."""
    return [t.text for t in ANALYZER(text)]


def _precise_words(text: str) -> list[str]:
    """jieba's precise segmentation, lower-cased, without whitespace or punctuation."""
    _ensure_dictionary()
    return [w for w in rjieba.cut(normalize(text)) if _WORD.search(w)]


@cache
def _synonym_index() -> dict[tuple[str, ...], int]:
    """Maps the precise word sequence of every synonym term to its group number."""
    result = {}
    for number, group in enumerate(synonym_groups()):
        for term in group:
            key = tuple(_precise_words(term))
            if key:
                result.setdefault(key, number)
    return result


def initials(text: str) -> str:
    """Pinyin initials of the Chinese characters (and the first letter of other words)."""
    letters = lazy_pinyin(normalize(text), style=Style.FIRST_LETTER, errors="ignore")
    return "".join(ch for ch in "".join(letters) if ch.isalnum())


# ---------------------------------------------------------------------------------------------
# schema and index
SCHEMA = Schema(
    id=ID(stored=True, unique=True),
    kind=ID(stored=True),
    districts=KEYWORD(stored=True),  # the district and, for development zones, the zone code
    category=ID(stored=True),
    title=TEXT(analyzer=ANALYZER, stored=True, field_boost=3.0, spelling=True),
    summary=TEXT(analyzer=ANALYZER, stored=True, field_boost=1.5, phrase=False, spelling=True),
    body=TEXT(analyzer=ANALYZER, phrase=False),
    tags=TEXT(analyzer=ANALYZER, field_boost=2.0, phrase=False),
    # Signed: Whoosh 2.7's unsigned 64-bit range queries match everything.
    price=NUMERIC(bits=64, stored=True, sortable=True),
    area=NUMERIC(bits=32, stored=True),
    voucher=BOOLEAN(stored=True),
    published=NUMERIC(bits=64, sortable=True),
    updated=NUMERIC(bits=64, stored=True),  # for check-index staleness
    initials=KEYWORD(lowercase=True),
    title_start=KEYWORD(commas=True),  # normalised whole titles, for "starts with" suggestions
    title_zh=STORED,
    title_en=STORED,
)


@dataclass
class Document:
    """What the index needs of one listing; built by ``listings.indexing`` from a model."""

    id: int
    kind: str
    district_code: str
    category: str | None
    title_zh: str | None
    title_en: str | None
    summary: str
    body: str
    tags: list[str]
    price_fen: int | None
    area_m2: int | None
    accepts_vouchers: bool
    published_ts: int
    updated_us: int

    def fields(self) -> dict:
        districts = {self.district_code[:6], self.district_code}
        titles = " ".join(filter(None, [self.title_zh, self.title_en]))
        values = {
            "id": str(self.id), "kind": self.kind, "districts": " ".join(sorted(districts)),
            "category": self.category or "", "title": titles, "summary": self.summary,
            "body": self.body, "tags": " ".join(self.tags),
            "price": NO_PRICE if self.price_fen is None else self.price_fen,
            "voucher": self.accepts_vouchers, "published": self.published_ts,
            "updated": self.updated_us,
            "initials": " ".join(filter(None, [initials(self.title_zh or "")] + [
                initials(w) for w in _precise_words(self.title_zh or "") if len(w) > 1])),
            "title_start": ",".join(normalize(t).replace(",", " ")
                                    for t in (self.title_zh, self.title_en) if t),
            "title_zh": self.title_zh, "title_en": self.title_en,
        }
        if self.area_m2 is not None:
            values["area"] = self.area_m2
        return values


def open_or_create(index_dir: str | os.PathLike) -> index.Index:
    path = Path(index_dir)
    path.mkdir(parents=True, exist_ok=True)
    if index.exists_in(str(path)):
        return index.open_dir(str(path))
    try:
        return index.create_in(str(path), SCHEMA)
    except index.LockError:  # another process is creating it
        time.sleep(0.2)
        return index.open_dir(str(path))


_index_cache: dict[str, index.Index] = {}
_searchers: dict[str, object] = {}
_searcher_lock = threading.Lock()


def get_index(index_dir) -> index.Index:
    key = str(Path(index_dir).resolve())
    ix = _index_cache.get(key)
    if ix is None or not index.exists_in(key):
        ix = open_or_create(key)
        if set(ix.schema.names()) != set(SCHEMA.names()):
            # Written by an older version: start an empty index with the current schema;
            # `flask listings reindex` (run by `make run`) fills it, check-index reports the gap.
            log.warning("search index in %s has an old schema; recreating it empty", key)
            ix = index.create_in(key, SCHEMA)
        _index_cache[key] = ix
    return ix


def _writer(ix, **kwargs):
    # Whoosh allows one writer at a time per index: wait for the lock instead of failing, so two
    # app processes updating at once both get their change in.
    return ix.writer(timeout=30.0, delay=0.05, **kwargs)


def update_documents(index_dir, documents: Iterable[Document], remove_ids: Iterable[int] = ()):
    """Add or replace documents and remove others, in one index transaction."""
    documents = list(documents)
    remove_ids = list(remove_ids)
    if not documents and not remove_ids:
        return
    ix = get_index(index_dir)
    writer = _writer(ix)
    try:
        for listing_id in remove_ids:
            writer.delete_by_term("id", str(listing_id))
        for document in documents:
            writer.update_document(**document.fields())
    except BaseException:
        writer.cancel()
        raise
    writer.commit()


def rebuild(index_dir, documents: Iterable[Document], *, procs: int = 1,
            limitmb: int = 256) -> int:
    """Replace the whole index with ``documents``; returns how many were indexed."""
    # get_index() replaces an index of an older schema; CLEAR below drops every old segment while
    # moving the generation forward, so other processes' searchers see the change.
    ix = get_index(index_dir)
    writer = _writer(ix, procs=procs, limitmb=limitmb, multisegment=procs > 1)
    count = 0
    try:
        for document in documents:
            writer.add_document(**document.fields())
            count += 1
    except BaseException:
        writer.cancel()
        raise
    writer.commit(mergetype=writing.CLEAR)
    return count


def indexed_versions(index_dir) -> dict[int, int]:
    """{listing id: updated timestamp} for every document in the index."""
    with get_index(index_dir).searcher() as searcher:
        return {int(fields["id"]): int(fields.get("updated", 0))
                for fields in searcher.all_stored_fields()}


def optimize(index_dir) -> None:
    writer = _writer(get_index(index_dir))
    writer.commit(optimize=True)


# ---------------------------------------------------------------------------------------------
# searching
@dataclass
class SearchRequest:
    text: str = ""
    kind: str | None = None
    district: str | None = None
    category: str | None = None
    price_min: int | None = None
    price_max: int | None = None
    area_min: int | None = None
    area_max: int | None = None
    voucher: bool | None = None
    sort: str = "relevance"  # relevance | newest | price
    page: int = 1
    per_page: int = 20
    facets: bool = True


@dataclass
class SearchResult:
    ids: list[int]
    total: int
    page: int
    pages: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    terms: frozenset[str] = frozenset()  # the query's index terms, for highlight_text()
    suggestion: str | None = None
    relaxed: bool = False  # True when not every word could be matched


def _term_query(terms: list[str]):
    """All the analysed terms of one word, each in any text field."""
    parts = [Or([Term(f, t) for f in TEXT_FIELDS]) for t in dict.fromkeys(terms)]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(parts)


def build_query(text: str):
    """Turn free text into a query; returns (query or None, list of units as display words)."""
    text = normalize(text)[:MAX_QUERY_CHARS]
    words = _precise_words(text)[: MAX_UNITS * 4]
    synonyms = _synonym_index()
    groups = synonym_groups()
    units, labels = [], []
    i = 0
    while i < len(words) and len(units) < MAX_UNITS:
        matched = None
        for length in range(min(6, len(words) - i), 0, -1):
            key = tuple(words[i:i + length])
            if key in synonyms:
                matched = (length, synonyms[key])
                break
        if matched:
            length, group_number = matched
            alternatives = [q for q in (_term_query(analyze(term)) for term in groups[group_number])
                            if q is not None]
            if alternatives:
                units.append(Or(alternatives))
                labels.append(" ".join(words[i:i + length]))
            i += length
            continue
        query = _term_query(analyze(words[i]))
        if query is not None:
            units.append(query)
            labels.append(words[i])
        i += 1
    if not units:
        return None, []
    return (units[0] if len(units) == 1 else And(units)), labels


def _filters(request: SearchRequest):
    parts = []
    if request.kind:
        parts.append(Term("kind", request.kind))
    if request.district:
        parts.append(Term("districts", request.district))
    if request.category:
        parts.append(Term("category", request.category))
    if request.price_min is not None or request.price_max is not None:
        parts.append(NumericRange("price", request.price_min, request.price_max))
    if request.area_min is not None or request.area_max is not None:
        parts.append(NumericRange("area", request.area_min, request.area_max))
    if request.voucher is not None:
        parts.append(Term("voucher", request.voucher))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(parts)


def _searcher(index_dir):
    """A searcher per index, reused across requests and refreshed when the index changed."""
    key = str(Path(index_dir).resolve())
    with _searcher_lock:
        searcher = _searchers.get(key)
        if searcher is None:
            searcher = _searchers[key] = get_index(key).searcher()
        elif not searcher.up_to_date():
            # Searcher.refresh() can fail when the old reader was empty (whoosh 2.7); reopen.
            searcher.close()
            searcher = _searchers[key] = get_index(key).searcher()
        return searcher


def close_searchers() -> None:
    with _searcher_lock:
        for searcher in _searchers.values():
            searcher.close()
        _searchers.clear()
        _index_cache.clear()


FACET_FIELDS = ("kind", "districts", "category")


def search(index_dir, request: SearchRequest) -> SearchResult:
    """Run a search; never raises for odd input (it becomes plain words or nothing)."""
    page = max(1, min(int(request.page or 1), 1000))
    per_page = max(1, min(int(request.per_page or 20), 100))
    query, labels = build_query(request.text)
    searcher = _searcher(index_dir)
    filter_query = _filters(request)
    base = query if query is not None else Every()
    sortedby, reverse = None, False
    if request.sort == "newest" or (query is None and request.sort == "relevance"):
        sortedby, reverse = "published", True
    elif request.sort == "price":
        sortedby = "price"
    groupedby = None
    if request.facets:
        groupedby = {"kind": sorting.FieldFacet("kind"),
                     "districts": sorting.FieldFacet("districts", allow_overlap=True),
                     "category": sorting.FieldFacet("category")}
    kwargs = {"filter": filter_query, "sortedby": sortedby, "reverse": reverse,
              "groupedby": groupedby}
    results = searcher.search_page(base, page, pagelen=per_page, **kwargs)
    relaxed = False
    if results.total == 0 and isinstance(query, And):
        relaxed = True
        results = searcher.search_page(Or(query.subqueries), page, pagelen=per_page, **kwargs)

    ids = [int(hit["id"]) for hit in results]
    terms = frozenset()
    if query is not None:
        terms = frozenset(text for fieldname, text in query.iter_all_terms()
                          if fieldname in TEXT_FIELDS)
    facets = {}
    if groupedby:
        for name in FACET_FIELDS:
            groups = results.results.groups(name)
            facets[name] = {str(k): len(v) for k, v in groups.items() if k not in (None, "")}
    total = results.total
    suggestion = None
    if query is not None and total < 3:
        suggestion = _did_you_mean(searcher, request.text)
    return SearchResult(ids=ids, total=total, page=page,
                        pages=max(1, -(-total // per_page)), facets=facets,
                        terms=terms, suggestion=suggestion, relaxed=relaxed)


def _did_you_mean(searcher, text: str) -> str | None:
    """Replace misspelt English words by the closest English words of titles and summaries."""
    words = normalize(text)[:MAX_QUERY_CHARS].split()
    synonyms = _synonym_index()
    changed, out = False, []
    for word in words:
        replacement = word
        if _ASCII_WORD.match(word) and (word,) not in synonyms and not _known(searcher, word):
            for fieldname in ("title", "summary"):
                corrections = [c for c in searcher.suggest(fieldname, word, limit=3, maxdist=2,
                                                           prefix=1)
                               if c != word and _ASCII_WORD.match(c)]
                if corrections:
                    replacement = corrections[0]
                    break
        changed = changed or replacement != word
        out.append(replacement)
    return " ".join(out) if changed else None


def highlight_text(text: str, terms: frozenset[str], *, whole: bool = False,
                   max_chars: int = 160) -> str:
    """``text`` as HTML with the query's terms in <mark>; everything else escaped.

    Safe in element content only (quotes are not escaped), never inside an attribute.
    """
    text = text or ""
    formatter = highlight.HtmlFormatter(tagname="mark", classname="hl", termclass="t")
    if whole:
        fragmenter = highlight.WholeFragmenter(charlimit=None)
    else:
        fragmenter = highlight.ContextFragmenter(maxchars=max_chars, surround=max_chars // 3)
    marked = ""
    if terms and text:
        marked = highlight.highlight(text, terms, ANALYZER, fragmenter, formatter, top=2)
    if marked:
        return marked
    short = text if whole or len(text) <= max_chars else text[:max_chars] + "…"
    return highlight.htmlescape(short)


def _known(searcher, word: str) -> bool:
    terms = analyze(word)
    return bool(terms) and all(
        any(searcher.doc_frequency(f, t) for f in TEXT_FIELDS) for t in terms)


def suggest(index_dir, prefix: str, limit: int = 8) -> list[dict[str, str]]:
    """Titles and synonym terms starting with ``prefix`` (Chinese, English or pinyin initials)."""
    prefix = normalize(prefix).strip()[:40]
    if not prefix:
        return []
    found: list[dict[str, str]] = []
    seen = set()
    for group in synonym_groups():
        for term in group:
            lowered = normalize(term)
            if lowered.startswith(prefix) or (prefix.isascii() and prefix.isalnum()
                                              and initials(term).startswith(prefix)
                                              and not term.isascii()):
                if lowered not in seen:
                    seen.add(lowered)
                    found.append({"text": term, "type": "term"})
    searcher = _searcher(index_dir)
    clauses = [Prefix("title_start", prefix)]
    if prefix.isascii():
        clauses.append(Prefix("initials", prefix))
    terms = analyze(prefix)
    if terms:
        clauses.append(Prefix("title", terms[-1]) if len(terms) == 1 else
                       And([Term("title", t) for t in terms[:-1]] + [Prefix("title", terms[-1])]))
    if clauses:
        for hit in searcher.search(Or(clauses), limit=limit):
            title = hit.get("title_zh") or hit.get("title_en") or ""
            if title and title not in seen:
                seen.add(title)
                found.append({"text": title, "type": "listing", "id": hit["id"],
                              "title_en": hit.get("title_en") or ""})
    terms_first = [f for f in found if f["type"] == "term"][: limit // 2]
    listings_next = [f for f in found if f["type"] == "listing"]
    return (terms_first + listings_next)[:limit]
