"""The full-text index of published listings. The only module that imports whoosh.

Design:
- One schema for every kind. Text goes through one analyzer (``ANALYZER``): NFKC normalisation
  (full-width → half-width), jieba "search mode" segmentation with the domain dictionary (so a long
  word also yields its sub-words: 扫描电子显微镜 → 扫描, 电子, 显微镜, 电子显微镜, ...), lower-casing,
  stop words, English stemming. Index and query text pass through the same analyzer.
- A listing's title, tags, summary and body are indexed together in one field, ``text``; each
  occurrence of a term weighs the boost of the part it comes from (title 3, tags 2, summary 1.5,
  body 1), so a query word is one term in one field instead of an Or over four fields. ``title``
  is indexed on its own too, for suggestions.
- Queries are never parsed as query syntax: any typed text becomes plain words, so quotes, ``AND``,
  ``*`` or ``title:`` cannot raise or match everything. Each word (or multi-word synonym found by
  longest match) becomes a unit; a unit that is a synonym term searches the whole synonym group.
  All units must match; if that finds nothing, any unit may match.
- Search returns listing ids in rank order (the caller reloads them from the database), facet
  counts, highlighted snippets (HTML-escaped by Whoosh, safe in element content only) and a "did
  you mean" suggestion for misspelt English words.
- Searching evaluates that query itself over postings read from the Whoosh index and cached in
  memory (see "query evaluation" below): the same matches and the same BM25F scores as Whoosh's own
  matchers (scores summed over the matching terms), ties in index order, but set operations instead
  of a matcher per posting, and facet counts from cached per-document values instead of grouping
  every hit. Caches are per index segment (segments never change) and per searcher (for scores,
  which depend on whole-index statistics), bounded, and dropped when the index changes.
- Writers take the index lock with a timeout, so several processes can update the index safely.
  ``update_documents`` uses Whoosh's writer; ``rebuild`` writes whole segments with ``_BulkWriter``
  (the same segments, several times faster), in ``procs`` processes. Both use ``Codec``: Whoosh's
  codec with two slow spots of Whoosh 2.7's segment writing fixed.
- Measured with ``python -m bench.search`` (bench/README.md).
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import multiprocessing
import os
import pickle
import queue
import re
import threading
import time
import unicodedata
import zlib
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import chain, repeat
from pathlib import Path

import rjieba
from pypinyin import Style
from pypinyin.converter import UltimateConverter
from pypinyin.core import Pinyin
from whoosh import columns, formats, highlight, index, writing
from whoosh.analysis import Token, Tokenizer
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3LeafMatcher,
    W3PerDocReader,
    W3PostingsWriter,
    _lenfield,
)
from whoosh.compat import dumps
from whoosh.fields import BOOLEAN, COLUMN, ID, KEYWORD, NUMERIC, STORED, TEXT, FieldType, Schema
from whoosh.lang import stemmer_for_language
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query import And, NumericRange, Or, Prefix, Term
from whoosh.reading import TermNotFound
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte

from listings.patents import PatentNumberError, normalize_patent_number

log = logging.getLogger(__name__)

SYNONYMS_FILE = Path(__file__).with_name("synonyms.txt")
MAX_QUERY_CHARS = 200
MAX_UNITS = 12
TEXT_FIELDS = ("text",)  # the fields query words are looked up in
NO_PRICE = 2**62  # sorts after every real price; never shown (prices come from the database)
_WORD = re.compile(r"\w", re.UNICODE)
_ASCII_WORD = re.compile(r"^[a-z][a-z\-]{2,}$")

STOP_WORDS = frozenset("""
a an and are as at be by for from in is it of on or not the to with
的 了 和 与 及 或 在 是 等 对 把 被 为 以 之 其 中 并 且
""".split())

# Boost of each part of a listing in the ``text`` field (a term's weight in a document is the sum of
# the boosts of its occurrences).
TITLE_BOOST, TAGS_BOOST, SUMMARY_BOOST, BODY_BOOST = 3.0, 2.0, 1.5, 1.0


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


_stem = stemmer_for_language("en")
_STOPPED = object()
_word_terms: dict[str, object] = {}  # jieba word → index term (or _STOPPED); bounded below
_MAX_WORD_TERMS = 200_000


def _word_term(word: str):
    """The index term of one jieba word: lower case, then the stop list, then the English stem."""
    term = _word_terms.get(word)
    if term is None:
        lowered = word.lower()
        term = _STOPPED if lowered in STOP_WORDS else _stem(lowered)
        if len(_word_terms) >= _MAX_WORD_TERMS:
            _word_terms.clear()
        _word_terms[word] = term
    return term


_recent: dict[str, list] = {}  # the last few texts segmented (a title is analysed for 3 fields)


def _jieba(text: str) -> list[tuple[str, int, int]]:
    """jieba's search-mode segmentation of the NFKC-normalised text, as (word, start, end)."""
    found = _recent.get(text)
    if found is None:
        _ensure_dictionary()
        found = rjieba.tokenize(unicodedata.normalize("NFKC", text), mode="search")
        if len(_recent) >= 16:
            _recent.clear()
        _recent[text] = found
    return found


def _segments(text: str):
    """(word, start, end) of the segmentation, words only (no whitespace or punctuation)."""
    for item in _jieba(text or ""):
        if _WORD.search(item[0]):
            yield item


def _index_terms(text: str) -> list[str]:
    """The index terms of ``text``, in order (``ANALYZER`` without the Token objects)."""
    search = _WORD.search
    get = _word_terms.get
    out = []
    for word, _start, _end in _jieba(text or ""):
        term = get(word)
        if term is None:
            if not search(word):
                continue
            term = _word_term(word)
        if term is not _STOPPED:
            out.append(term)
    return out


class JiebaTokenizer(Tokenizer):
    """The analyzer: jieba search-mode segmentation of NFKC-normalised text (whitespace and
    punctuation dropped), lower case, stop words, English stemming — in one pass."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        # Positions as Whoosh's StopFilter leaves them: stop words keep theirs, the other words
        # are numbered on from the first one's.
        original, pos = start_pos - 1, None
        for word, start, end in _segments(value):
            original += 1
            term = _word_term(word)
            if term is _STOPPED:
                if removestops:
                    continue
                token.text = word.lower()
                token.stopped = True
                if positions:
                    token.pos = original
            else:
                token.text = term
                token.stopped = False
                if positions:
                    pos = original if pos is None else pos + 1
                    token.pos = pos
            token.boost = 1.0
            if keeporiginal:
                token.original = word
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


ANALYZER = JiebaTokenizer()


@lru_cache(maxsize=8192)
def _analyze_short(text: str) -> tuple[str, ...]:
    return tuple(_index_terms(text))


def analyze(text: str) -> list[str]:
    """The index terms of ``text`` (what the index stores for it)."""
    if len(text) <= 40:  # query words and synonym terms: cached
        return list(_analyze_short(text))
    return _index_terms(text)


def written_forms(text: str) -> dict[str, str]:
    """Index term → the word as ``text`` writes it (its first occurrence), so that a stemmed term
    ("microscop") can be shown to a person as written ("microscope")."""
    forms: dict[str, str] = {}
    for word, _start, _end in _segments(text or ""):
        term = _word_term(word)
        if term is not _STOPPED:
            forms.setdefault(term, word)
    return forms


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


# pypinyin's lazy_pinyin(text, style=FIRST_LETTER, errors="ignore"), with each of the words it
# segments the text into converted once: a word's letters do not depend on its neighbours.
_PINYIN = Pinyin(UltimateConverter(v_to_u=False, neutral_tone_with_five=False, tone_sandhi=False))


@lru_cache(maxsize=50_000)
def _word_letters(word: str) -> tuple[str, ...]:
    return tuple(chain.from_iterable(_PINYIN._converter.convert(
        word, Style.FIRST_LETTER, False, "ignore", strict=True)))


@lru_cache(maxsize=50_000)
def initials(text: str) -> str:
    """Pinyin initials of the Chinese characters (and the first letter of other words)."""
    letters = []
    for word in _PINYIN.seg(normalize(text)):
        letters += _word_letters(word)
    return "".join(ch for ch in "".join(letters) if ch.isalnum())


def _initials_terms(title_zh: str) -> list[str]:
    """Pinyin initials of a whole Chinese title and of its words of two characters or more."""
    words = [initials(title_zh or "")] + [initials(w) for w in _precise_words(title_zh or "")
                                          if len(w) > 1]
    return [w.lower() for w in words if w]


def _spelling_words(text: str) -> list[str]:
    """The English words of a text as typed (analysed, but not stemmed)."""
    words = []
    for word, _start, _end in _jieba(text or ""):
        if len(word) > 2 and word.isascii():
            word = word.lower()
            if word not in STOP_WORDS and _ASCII_WORD.match(word):
                words.append(word)
    return words


class _WordsTokenizer(Tokenizer):
    """Tokens of a function of the whole value (which has no useful character positions)."""

    def words(self, value: str) -> list[str]:
        raise NotImplementedError

    def __call__(self, value, positions=False, chars=False, removestops=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, word in enumerate(self.words(value or "")):
            token.text = word
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = pos
            yield token


class InitialsTokenizer(_WordsTokenizer):
    """Indexes a Chinese title as the pinyin initials of the whole title and of its words of two
    characters or more (so 扫描电子显微镜 is found by "smdzxwj", "smdz", "xwj", ...)."""

    def words(self, value):
        return _initials_terms(value)


class SpellingTokenizer(_WordsTokenizer):
    """The English words of a text as typed (not stemmed), for "did you mean" suggestions."""

    def words(self, value):
        return _spelling_words(value)


def _frequency_postings(freqs: dict[str, int], weights: list[float]):
    """(term bytes, frequencies, weights, encoded values) lists of a Frequency-format field."""
    return list(map(str.encode, freqs)), list(freqs.values()), weights, list(
        map(pack_uint, freqs.values()))


class _ListsField:
    """A field that gives its postings for a value as lists (for the bulk writer); ``index()``
    yields the same postings one by one, as Whoosh's writer wants them."""

    def index_lists(self, value):
        raise NotImplementedError

    def index(self, value, **kwargs):
        yield from zip(*self.index_lists(value), strict=True)


class WordsField(_ListsField, FieldType):
    """An unscored field (Frequency format) indexing the words of a ``_WordsTokenizer``; the same
    postings as Whoosh's analysis would give, without a Token per word."""

    def __init__(self, tokenizer: _WordsTokenizer):
        super().__init__(formats.Frequency(), tokenizer)

    def index_lists(self, value):
        if not isinstance(value, str):
            return tuple(map(list, zip(*FieldType.index(self, value), strict=True))) or (
                [], [], [], [])
        freqs = Counter(self.analyzer.words(value))
        field_boost = self.format.field_boost
        return _frequency_postings(freqs, [f * field_boost for f in freqs.values()])


class BoostedText(_ListsField, TEXT):
    """A TEXT field (no positions) analysed by ``ANALYZER``. Its value is a text, or a sequence of
    (boost, text) parts: a term's frequency counts its occurrences, its weight sums their boosts
    (times the field boost). A plain text gets the postings Whoosh's TEXT would give it."""

    def __init__(self, **kwargs):
        super().__init__(analyzer=ANALYZER, phrase=False, **kwargs)

    def index_lists(self, value):
        field_boost = self.format.field_boost
        if isinstance(value, str):
            freqs = Counter(_index_terms(value))
            return _frequency_postings(freqs, [f * field_boost for f in freqs.values()])
        parts = [(boost, _index_terms(text)) for boost, text in value]
        freqs = Counter(chain.from_iterable(terms for _boost, terms in parts))
        weights = dict.fromkeys(freqs, 0.0)
        for boost, terms in parts:
            for term, count in Counter(terms).items():
                weights[term] += boost * count
        return _frequency_postings(freqs, [w * field_boost for w in weights.values()])


# ---------------------------------------------------------------------------------------------
# schema and index
SCHEMA = Schema(
    id=ID(stored=True, unique=True),
    kind=ID,
    districts=KEYWORD,  # the district and, for development zones, the zone code
    category=ID,
    text=BoostedText(),  # title, tags, summary and body, weighted; what queries match
    title=BoostedText(field_boost=3.0),  # for suggest()
    spell_title=WordsField(SpellingTokenizer()),
    spell_summary=WordsField(SpellingTokenizer()),
    # Signed: Whoosh 2.7's unsigned 64-bit range queries match everything. A shift step of 16
    # indexes 4 terms per price instead of 16; range filters are cached.
    price=NUMERIC(bits=64, sortable=True, shift_step=16),
    area=NUMERIC(bits=32, shift_step=16),
    voucher=BOOLEAN,
    published=COLUMN(columns.NumericColumn("q", default=0)),  # for "newest first" only
    updated=STORED,  # for check-index staleness
    initials=WordsField(InitialsTokenizer()),  # from title_zh
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
        tags = " ".join(self.tags)
        values = {
            "id": str(self.id), "kind": self.kind, "districts": " ".join(sorted(districts)),
            "category": self.category or "",
            "text": ((TITLE_BOOST, titles), (TAGS_BOOST, tags), (SUMMARY_BOOST, self.summary),
                     (BODY_BOOST, self.body)),
            "title": titles, "spell_title": titles, "spell_summary": self.summary,
            "price": NO_PRICE if self.price_fen is None else self.price_fen,
            "voucher": self.accepts_vouchers, "published": int(self.published_ts),
            "updated": self.updated_us,
            "initials": self.title_zh or "",
            "title_start": ",".join(normalize(t).replace(",", " ")
                                    for t in (self.title_zh, self.title_en) if t),
            "title_zh": self.title_zh, "title_en": self.title_en,
        }
        if self.area_m2 is not None:
            values["area"] = self.area_m2
        return values


class _PerDocReader(W3PerDocReader):
    # Writing a segment asks for the field length of every posting. Whoosh 2.7 looks on disk for
    # the missing length column of a field without lengths (ID, KEYWORD, NUMERIC) each time, and
    # reads other lengths one file read at a time: remember missing columns, read lengths once.
    def _cached_reader(self, fieldname, column):
        try:
            return self._readers[fieldname]
        except KeyError:
            reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
            self._readers[fieldname] = reader
            return reader

    def doc_field_length(self, docnum, fieldname, default=0):
        cache = self.__dict__.setdefault("_length_bytes", {})
        lengths = cache.get(fieldname)
        if lengths is None:
            reader = self._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            if reader is None:
                lengths = cache[fieldname] = False
            else:
                try:  # the column is one byte per document, up to the last non-zero one
                    lengths = reader._dbfile.get(reader._basepos, reader._count)
                except AttributeError:
                    lengths = bytes(reader.load())
                cache[fieldname] = lengths
        if lengths is False:
            return default
        if docnum > self._doccount:
            raise IndexError(f"Asked for docnum {docnum!r} of {self._doccount}")
        lbyte = lengths[docnum] if docnum < len(lengths) else 0
        if lbyte:
            return byte_to_length(lbyte)
        return None  # as Whoosh's reader does for a zero length


class _PostingsWriter(W3PostingsWriter):
    def _write_block(self, last=False):
        # Whoosh's, except that (as its comment intends) a small block is not compressed: most
        # terms have a few postings, and zlib makes them slower to write and read, and larger.
        if not self._blockcount:
            self._postfile.write(WHOOSH3_HEADER_MAGIC)
        self._terminfo.add_block(self)
        databytes = dumps((self._mini_ids(), self._mini_weights(), self._mini_values()), 2)
        comp = self._compression if len(databytes) >= _COMPRESS_FROM else 0
        if comp:
            databytes = zlib.compress(databytes, comp)
        ids = self._ids
        infobytes = dumps((len(ids), ids[-1], self._maxweight, comp,
                           length_to_byte(self._minlength), length_to_byte(self._maxlength)), 2)
        blocklength = len(infobytes) + len(databytes)
        self._postfile.write_int(-blocklength if last else blocklength)
        self._postfile.write(infobytes)
        self._postfile.write(databytes)
        self._blockcount += 1
        self._new_block()

    def add_many(self, ids: array, weights: array, values: list, lengths: array) -> None:
        """``add_posting()`` for each posting of a term, a block at a time: the same blocks."""
        limit, start, count = self._blocklimit, 0, len(ids)
        while start < count:
            if len(self._ids) >= limit:
                self._write_block()
            end = min(count, start + limit - len(self._ids))
            self._ids.extend(ids[start:end])
            block_weights = weights[start:end]
            self._weights.extend(block_weights)
            self._maxweight = max(self._maxweight, max(block_weights))
            if values:
                self._values.extend(values[start:end])
            block_lengths = [n for n in lengths[start:end] if n]
            if block_lengths:
                shortest = min(block_lengths)
                if self._minlength is None or shortest < self._minlength:
                    self._minlength = shortest
                self._maxlength = max(self._maxlength, max(block_lengths))
            start = end


class Codec(W3Codec):
    """Whoosh's codec with the per-document reader above and a postings writer that can take a
    term's postings at once (recorded in the index's segments, so also used to read them)."""

    def per_document_reader(self, storage, segment):
        return _PerDocReader(storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        return _PostingsWriter(dbfile, blocklimit=self._blocklimit, byteids=byteids,
                               compression=self._compression, inlinelimit=self._inlinelimit)


_COMPRESS_FROM = 64  # bytes of a pickled posting block
_CODEC = Codec(compression=1)  # zlib level 1 for posting blocks: much faster, a little larger


class _BulkWriter(writing.SegmentWriter):
    """Writes one new segment of the documents added (for ``rebuild``; the caller holds the lock
    and commits). Whoosh's writer makes a tuple of every posting, sorts them all and writes them
    one call at a time; this one keeps each term's postings in arrays, in document order, and
    writes them a block at a time. The segment is the same."""

    def __init__(self, ix):
        super().__init__(ix, _lk=False, codec=_CODEC)
        self._inverted: dict[str, dict[bytes, tuple]] = {}  # field → term → postings
        self._lengths: dict[str, dict[int, int]] = {}  # scored field → document → length
        self._memo: dict[tuple, tuple] = {}  # (field, value) → postings lists

    def add_document(self, **fields):
        self._check_state()
        perdocwriter, schema, docnum = self.perdocwriter, self.schema, self.docnum
        docboost = self._doc_boost(fields)
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)
        perdocwriter.start_doc(docnum)
        try:
            for fieldname in fieldnames:
                value = fields.get(fieldname)
                if value is None:
                    continue
                fieldobj = schema[fieldname]
                if fieldobj.separate_spelling() or fieldobj.vector:
                    raise NotImplementedError(f"field {fieldname}: spelling or vectors")
                length = 0
                if fieldobj.indexed:
                    if isinstance(fieldobj, _ListsField):
                        terms, freqs, weights, values = fieldobj.index_lists(value)
                    else:  # kind, category, districts, price...: few values, remembered
                        key = (fieldname, value)
                        found = None if fieldobj.unique else self._memo.get(key)
                        if found is None:
                            items = list(fieldobj.index(value))
                            found = tuple([item[i] for item in items] for i in range(4))
                            if not fieldobj.unique:
                                if len(self._memo) >= 10_000:
                                    self._memo.clear()
                                self._memo[key] = found
                        terms, freqs, weights, values = found
                    boost = self._field_boost(fields, fieldname, docboost)
                    if boost != 1.0:
                        weights = [w * boost for w in weights]
                    if fieldobj.scorable:
                        length = sum(freqs)
                        # the length Whoosh's writer reads back for each posting: the stored byte
                        self._lengths.setdefault(fieldname, {})[docnum] = (
                            byte_to_length(length_to_byte(length)) if length else 0)
                    if terms:
                        self._add_postings(fieldname, docnum, terms, weights, values)
                stored = fields.get(f"_stored_{fieldname}", value)
                perdocwriter.add_field(fieldname, fieldobj, stored if fieldobj.stored else None,
                                       length)
                if fieldobj.column_type and stored is not None:
                    perdocwriter.add_column_value(fieldname, fieldobj.column_type,
                                                  fieldobj.to_column_value(stored))
        except Exception:
            perdocwriter.cancel_doc()
            raise
        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _add_postings(self, fieldname: str, docnum: int, terms: list[bytes],
                      weights: list[float], values: list[bytes]) -> None:
        inverted = self._inverted.get(fieldname)
        if inverted is None:
            inverted = self._inverted[fieldname] = {}
        get = inverted.get
        if values[0]:  # a field's postings all have a value or none has
            for term, weight, value in zip(terms, weights, values, strict=True):
                postings = get(term)
                if postings is None:
                    postings = inverted[term] = (array("I"), array("f"), [])
                postings[0].append(docnum)
                postings[1].append(weight)
                postings[2].append(value)
        else:
            for term, weight in zip(terms, weights, strict=True):
                postings = get(term)
                if postings is None:
                    postings = inverted[term] = (array("I"), array("f"), [])
                postings[0].append(docnum)
                postings[1].append(weight)

    def _flush_segment(self):
        self.perdocwriter.close()
        fieldwriter = self.fieldwriter
        for fieldname in sorted(self._inverted):
            inverted = self._inverted[fieldname]
            lengths = self._lengths.get(fieldname)
            fieldwriter.start_field(fieldname, self.schema[fieldname])
            for btext in sorted(inverted):
                ids, weights, values = inverted[btext]
                if values and len(values) != len(ids):
                    raise ValueError(f"field {fieldname}: postings with and without values")
                fieldwriter.start_term(btext)
                fieldwriter._postwriter.add_many(
                    ids, weights, values, list(map(lengths.__getitem__, ids)) if lengths else ())
                fieldwriter.finish_term()
            fieldwriter.finish_field()
        fieldwriter.close()
        self._inverted, self._lengths = {}, {}

    def finish(self):
        """Write the segment; returns it (for the caller's commit)."""
        return self._finalize_segment()


def open_or_create(index_dir: str | os.PathLike) -> index.Index:
    path = Path(index_dir)
    path.mkdir(parents=True, exist_ok=True)
    if index.exists_in(str(path)):
        try:
            return index.open_dir(str(path))
        except (AttributeError, ImportError, pickle.UnpicklingError):
            # written by a version whose classes are gone: start afresh
            log.warning("search index in %s cannot be read; recreating it empty", path,
                        exc_info=True)
    try:
        return index.create_in(str(path), SCHEMA)
    except index.LockError:  # another process is creating it
        time.sleep(0.2)
        return index.open_dir(str(path))


_index_cache: dict[str, index.Index] = {}
_searchers: dict[str, object] = {}
_searcher_lock = threading.Lock()


def _same_schema(schema) -> bool:
    if set(schema.names()) != set(SCHEMA.names()):
        return False
    return all(type(schema[name]) is type(SCHEMA[name]) for name in SCHEMA.names())


def get_index(index_dir) -> index.Index:
    key = str(Path(index_dir).resolve())
    ix = _index_cache.get(key)
    if ix is None or not index.exists_in(key):
        ix = open_or_create(key)
        if not _same_schema(ix.schema):
            # Written by an older version: start an empty index with the current schema;
            # `flask listings reindex` (run by `make run`) fills it, check-index reports the gap.
            log.warning("search index in %s has an old schema; recreating it empty", key)
            ix = index.create_in(key, SCHEMA)
        _index_cache[key] = ix
    return ix


def _writer(ix, **kwargs):
    # Whoosh allows one writer at a time per index: wait for the lock instead of failing, so two
    # app processes updating at once both get their change in.
    return ix.writer(timeout=30.0, delay=0.05, codec=_CODEC, **kwargs)


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
    _commit(writer)


def _commit(writer, **options) -> None:
    """Commit; if the commit itself fails, still release the index lock (Whoosh does not), or
    every later write in this process would wait for it and fail."""
    try:
        writer.commit(**options)
    except BaseException:
        lock = getattr(writer, "writelock", None)
        if lock is not None:
            try:
                lock.release()
            except Exception:  # already released, or the lock file is gone
                pass
        raise


def rebuild(index_dir, documents: Iterable[Document], *, procs: int = 1,
            limitmb: int = 256) -> int:
    """Replace the whole index with ``documents``; returns how many were indexed.

    With ``procs`` > 1, that many processes analyse and write the documents (at least one segment
    each: searching reads several segments as fast as one, so they are not merged). A segment
    holds at most about ``limitmb`` MB of postings in memory while it is written.
    """
    # get_index() replaces an index of an older schema; the commit below drops every old segment
    # while moving the generation forward, so other processes' searchers see the change.
    ix = get_index(index_dir)
    writer = _writer(ix)  # holds the index lock; commits the new segments
    max_docs = max(1000, limitmb * 1024 * 1024 // _BYTES_PER_DOCUMENT)
    try:
        if procs > 1 and "fork" in multiprocessing.get_all_start_methods():
            segments, count = _build_in_processes(ix, documents, procs, max_docs)
        else:
            segments, count = _build_segments(ix, documents, max_docs)
    except BaseException:
        writer.cancel()
        raise
    _commit(writer, mergetype=lambda _writer, _old_segments: list(segments))
    return count


_BYTES_PER_DOCUMENT = 8192  # memory a document takes in _BulkWriter until its segment is written
_BATCH = 200


def _build_segments(ix, documents: Iterable[Document], max_docs: int):
    segments, count, writer = [], 0, None
    try:
        for document in documents:
            if writer is None:
                writer = _BulkWriter(ix)
            writer.add_document(**document.fields())
            count += 1
            if writer.docnum >= max_docs:
                segments.append(writer.finish())
                writer = None
        if writer is not None:
            segments.append(writer.finish())
            writer = None
    finally:
        if writer is not None:
            writer._close_segment()
    return segments, count


def _build_worker(index_path: str, jobs, results, max_docs: int) -> None:
    """In a forked process: write segments of the batches of documents from ``jobs``."""
    try:
        ix = index.open_dir(index_path)

        def batches():
            while (batch := jobs.get()) is not None:
                yield from batch

        results.put(("ok",) + _build_segments(ix, batches(), max_docs))
    except BaseException:
        import traceback

        results.put(("error", traceback.format_exc(), 0))


def _build_in_processes(ix, documents: Iterable[Document], procs: int, max_docs: int):
    context = multiprocessing.get_context("fork")
    jobs, results = context.Queue(maxsize=procs * 4), context.Queue()
    index_path = ix.storage.folder
    workers = [context.Process(target=_build_worker, args=(index_path, jobs, results, max_docs),
                               daemon=True) for _ in range(procs)]
    for worker in workers:
        worker.start()
    done = []

    def check() -> None:
        """Raise if a worker failed or died (instead of waiting for it forever)."""
        while True:
            try:
                done.append(results.get_nowait())
            except queue.Empty:
                break
        for status, found, _count in done:
            if status != "ok":
                raise RuntimeError("search index build failed in a worker process:\n" + found)
        if len(done) < procs and not any(worker.is_alive() for worker in workers):
            raise RuntimeError("search index build: a worker process died")

    def put(item) -> None:
        while True:
            try:
                jobs.put(item, timeout=1.0)
                return
            except queue.Full:
                check()

    try:
        batch, sent = [], 0
        for document in documents:
            batch.append(document)
            if len(batch) >= _BATCH:
                put(batch)
                sent += len(batch)
                batch = []
        if batch:
            put(batch)
            sent += len(batch)
        for _worker in workers:
            put(None)
        while len(done) < procs:
            with contextlib.suppress(queue.Empty):
                done.append(results.get(timeout=1.0))
            check()
        for worker in workers:
            worker.join()
        segments = [segment for _status, found, _count in done for segment in found]
        count = sum(indexed for _status, _found, indexed in done)
        if count != sent:
            raise RuntimeError(f"search index build: {sent} documents sent, {count} indexed")
        return segments, count
    except BaseException:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join(timeout=5.0)
        raise


def indexed_versions(index_dir) -> dict[int, int]:
    """{listing id: updated timestamp} for every document in the index."""
    with get_index(index_dir).searcher() as searcher:
        return {int(fields["id"]): int(fields.get("updated", 0))
                for fields in searcher.all_stored_fields()}


def optimize(index_dir) -> None:
    writer = _writer(get_index(index_dir))
    writer.commit(optimize=True)


# ---------------------------------------------------------------------------------------------
# queries
@dataclass
class SearchRequest:
    text: str = ""
    kind: str | None = None
    kinds: tuple[str, ...] | None = None  # the kinds the searcher may see (None: all)
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


# A parsed query: a tuple of clauses that must all match. A clause is a term (str) or a synonym
# unit: a tuple of alternatives, each a tuple of terms that must all match. This is the normalised
# form of the Whoosh query build_query() returns (nested Ands flattened, duplicates removed), so
# matches and scores are the same.
#
# When nothing matches them all, the query is relaxed as build_query()'s And is: to an Or of its
# units (a word of several terms stays an And; one such word alone relaxes to any of its terms),
# flattened, duplicate alternatives removed.
@dataclass(frozen=True)
class _Parsed:
    clauses: tuple
    labels: tuple[str, ...]
    relaxable: bool  # the Whoosh query is an And (several words, or one word of several terms)
    relaxed_units: tuple = ()  # ("word", terms) or ("group", alternatives)

    @property
    def relaxed_alternatives(self) -> tuple[tuple[str, ...], ...]:
        alternatives = []
        for unit_type, value in self.relaxed_units:
            alternatives += [value] if unit_type == "word" else list(value)
        return tuple(dict.fromkeys(alternatives))

    @property
    def relaxed_distinct(self) -> bool:
        """No alternative is in two units (so each unit's scores can be summed)."""
        count = sum(1 if t == "word" else len(v) for t, v in self.relaxed_units)
        return count == len(self.relaxed_alternatives)

    def terms(self) -> frozenset[str]:
        found = set()
        for clause in self.clauses:
            if isinstance(clause, str):
                found.add(clause)
            else:
                for alternative in clause:
                    found.update(alternative)
        return frozenset(found)


def _word_terms_of(word: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(analyze(word)))


def query_text(text: str) -> str:
    """Normalised query text; patent numbers typed as printed (ZL201910123456.7, CN…, with
    spaces inside) become the canonical form the index holds (201910123456.7)."""
    text = normalize(text)[:MAX_QUERY_CHARS]
    if any(ch.isdigit() for ch in text):
        words = []
        for word in text.split():
            try:
                words.append(normalize_patent_number(word))
            except PatentNumberError:
                words.append(word)
        text = " ".join(words)
    return text


@lru_cache(maxsize=4096)
def _parse(text: str) -> _Parsed:
    """Turn normalised text into clauses (see _Parsed); cached, as people repeat queries."""
    words = _precise_words(text)[: MAX_UNITS * 4]
    synonyms = _synonym_index()
    groups = synonym_groups()
    units, labels = [], []  # a unit: ("word", terms) or ("group", alternatives)
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
            alternatives = [terms for terms in (_word_terms_of(term) for term in groups[group_number])
                            if terms]
            if alternatives:
                units.append(("group", tuple(dict.fromkeys(alternatives))))
                labels.append(" ".join(words[i:i + length]))
            i += length
            continue
        terms = _word_terms_of(words[i])
        if terms:
            units.append(("word", terms))
            labels.append(words[i])
        i += 1
    relaxable = len(units) > 1 or (len(units) == 1 and units[0][0] == "word"
                                   and len(units[0][1]) > 1)
    clauses = []
    for unit_type, value in units:
        clauses += list(value) if unit_type == "word" else [value]
    relaxed_units = ()
    if relaxable:
        relaxed_units = tuple(units) if len(units) > 1 else tuple(
            ("word", (term,)) for term in units[0][1])
    return _Parsed(tuple(dict.fromkeys(clauses)), tuple(labels), relaxable, relaxed_units)


def _alternative_query(terms: tuple[str, ...]):
    parts = [Term("text", t) for t in terms]
    return parts[0] if len(parts) == 1 else And(parts)


def _whoosh_query(parsed: _Parsed):
    parts = [Term("text", c) if isinstance(c, str) else Or([_alternative_query(a) for a in c])
             for c in parsed.clauses]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(parts)


def build_query(text: str):
    """Turn free text into a query; returns (query or None, list of units as display words)."""
    parsed = _parse(query_text(text))
    return _whoosh_query(parsed), list(parsed.labels)


def _kinds_filter(kinds):
    terms = [Term("kind", kind) for kind in sorted(kinds)]
    return terms[0] if len(terms) == 1 else Or(terms)


def _filters(request: SearchRequest):
    parts = []
    if request.kind:
        parts.append(Term("kind", request.kind))
    if request.kinds is not None:
        parts.append(_kinds_filter(request.kinds))
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


# ---------------------------------------------------------------------------------------------
# query evaluation
#
# Per segment (immutable, so cached by segment id until the segment leaves the index): the
# postings of queried terms as arrays, the documents of each filter, the facet values, the
# publication times, prices and text lengths of every document. Per searcher (scores depend on
# whole-index statistics), in global document numbers: each queried term's and synonym unit's
# {document: BM25F score}, the ranking of a one-clause query's documents, the document sets of
# filters, facet value combinations and sort orders. Deleted documents are dropped when a
# searcher's entries are made. Scoring is Whoosh's BM25F (B=0.75, K1=1.2) on the ``text`` field,
# with whole-index statistics; scores are summed with C-level map/zip, documents are counted per
# facet value combination with Counter. Sizes are bounded (LRU); see the _MAX_ constants.
FACET_FIELDS = ("kind", "districts", "category")
_B, _K1 = 0.75, 1.2
_MAX_SEGMENT_POSTINGS = 2_000_000  # cached postings per segment (8 bytes each)
_MAX_SCORED_ENTRIES = 1_500_000  # cached (document, score) entries per searcher (~60 bytes each)
_MAX_FILTERS = 128
_MAX_SEGMENTS = 64


class _LRU(OrderedDict):
    def __init__(self, limit: int, size=lambda value: 1):
        super().__init__()
        self.limit, self.size, self.total = limit, size, 0

    def get_value(self, key):
        value = OrderedDict.get(self, key)
        if value is not None:
            self.move_to_end(key)
        return value

    def put(self, key, value):
        old = self.pop(key, None)
        if old is not None:
            self.total -= self.size(old)
        self[key] = value
        self.total += self.size(value)
        while self.total > self.limit and len(self) > 1:
            _key, evicted = self.popitem(last=False)
            self.total -= self.size(evicted)


def _read_postings(reader, fieldname: str, text: str) -> tuple[array, array]:
    """(document numbers, weights) of a term in one segment, deleted documents included."""
    ids, weights = array("I"), array("f")
    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return ids, weights
    if isinstance(matcher, FilterMatcher):  # hides deleted documents; dropped later anyway
        matcher = matcher.child
    if isinstance(matcher, W3LeafMatcher):  # whole blocks at a time
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.extend(matcher._ids)
            weights.extend(matcher._weights)
            matcher._next_block()
    else:
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
    return ids, weights


class _Segment:
    """Cached data of one segment; ``reader`` is any current reader of it."""

    def __init__(self, doc_count: int):
        self.doc_count = doc_count
        self.lock = threading.RLock()
        self.postings = _LRU(_MAX_SEGMENT_POSTINGS, size=lambda v: len(v[0]) + 1)
        self.filters = _LRU(_MAX_FILTERS)
        self.facets = None  # (combination code per document, combinations)
        self.published = None
        self.prices = None
        self.lengths = None

    def term_postings(self, reader, text: str):
        with self.lock:
            found = self.postings.get_value(text)
            if found is None:
                found = _read_postings(reader, "text", text)
                self.postings.put(text, found)
            return found

    def filter_docs(self, searcher, key: str, query) -> frozenset:
        with self.lock:
            found = self.filters.get_value(key)
            if found is None:
                found = frozenset(query.docs(searcher))
                self.filters.put(key, found)
            return found

    def facet_codes(self, reader):
        with self.lock:
            if self.facets is None:
                n = self.doc_count
                values = {name: [() for _ in range(n)] for name in FACET_FIELDS}
                for name in FACET_FIELDS:
                    per_doc = values[name]
                    for btext in reader.lexicon(name):
                        value = btext.decode("utf-8")
                        ids, _weights = _read_postings(reader, name, btext)
                        for doc in ids:
                            per_doc[doc] += (value,)
                combinations: dict[tuple, int] = {}
                codes = array("I", [combinations.setdefault(combo, len(combinations))
                                    for combo in zip(*(values[name] for name in FACET_FIELDS),
                                                     strict=True)])
                self.facets = (codes, list(combinations))
            return self.facets

    def column(self, reader, name: str, attribute: str, default):
        with self.lock:
            found = getattr(self, attribute)
            if found is None:
                if reader.has_column(name):
                    found = list(reader.column_reader(name))
                else:
                    found = [default] * self.doc_count
                setattr(self, attribute, found)
            return found

    def text_lengths(self, reader):
        with self.lock:
            if self.lengths is None:
                self.lengths = array("I", (reader.doc_field_length(d, "text", 1) or 1
                                           for d in range(self.doc_count)))
            return self.lengths


_segments_cache: OrderedDict[tuple[str, str], _Segment] = OrderedDict()
_segments_lock = threading.Lock()


def _segment_data(index_key: str, reader) -> _Segment:
    key = (index_key, reader.segment().segment_id())
    with _segments_lock:
        data = _segments_cache.get(key)
        if data is None:
            data = _segments_cache[key] = _Segment(reader.doc_count_all())
            while len(_segments_cache) > _MAX_SEGMENTS:
                _segments_cache.popitem(last=False)
        else:
            _segments_cache.move_to_end(key)
        return data


class _State:
    """A searcher and what is cached for it."""

    def __init__(self, index_key: str, searcher):
        self.searcher = searcher
        self.lock = threading.RLock()
        self.leaves = []  # (sub-searcher, offset, segment data)
        deleted = set()
        if searcher.doc_count_all():
            for sub, offset in searcher.leaf_searchers():
                reader = sub.reader()
                self.leaves.append((sub, offset, _segment_data(index_key, reader)))
                deleted.update(offset + d for d in reader.segment().deleted_docs())
        self.deleted = frozenset(deleted)
        self.doc_count = searcher.doc_count_all()
        self.scores = _LRU(_MAX_SCORED_ENTRIES, size=lambda v: len(v) + 1)
        self.rankings = _LRU(_MAX_SCORED_ENTRIES // 4, size=lambda v: len(v) + 1)
        self.filters = _LRU(_MAX_FILTERS)
        self.browse_facets = _LRU(_MAX_FILTERS)
        self._live = None
        self._numbers = None
        self._facets = None
        self._columns = {}
        self._orders = {}
        self._lengths = None
        self._norms = {}

    # --- per-document values, in global document numbers
    def numbers(self) -> list[int]:
        """The document numbers as int objects shared by every cached dict (saves memory)."""
        with self.lock:
            if self._numbers is None:
                self._numbers = list(range(self.doc_count))
            return self._numbers

    def live(self) -> frozenset:
        with self.lock:
            if self._live is None:
                self._live = frozenset(self.numbers()) - self.deleted
            return self._live

    def facet_codes(self):
        with self.lock:
            if self._facets is None:
                codes, combinations, numbering = array("I"), [], {}
                for sub, _offset, data in self.leaves:
                    local_codes, local_combinations = data.facet_codes(sub.reader())
                    remap = [numbering.setdefault(c, len(numbering)) for c in local_combinations]
                    codes.extend(map(remap.__getitem__, local_codes))
                combinations = list(numbering)
                self._facets = (codes, combinations)
            return self._facets

    def column(self, name: str):
        with self.lock:
            values = self._columns.get(name)
            if values is None:
                values = []
                for sub, _offset, data in self.leaves:
                    attribute, default = {"published": ("published", 0),
                                          "price": ("prices", NO_PRICE)}[name]
                    values += data.column(sub.reader(), name, attribute, default)
                self._columns[name] = values
            return values

    def order(self, name: str, reverse: bool):
        """Every live document sorted by a column (descending if ``reverse``), ties in index
        order."""
        with self.lock:
            found = self._orders.get((name, reverse))
            if found is None:
                values = self.column(name)
                live = sorted(self.live()) if self.deleted else range(self.doc_count)
                # a stable sort (also when reversed) keeps equal values in index order
                found = array("I", sorted(live, key=values.__getitem__, reverse=reverse))
                self._orders[(name, reverse)] = found
            return found

    # --- filters
    def filter_docs(self, query) -> frozenset:
        key = repr(query)
        with self.lock:
            found = self.filters.get_value(key)
            if found is None:
                docs = set()
                for sub, offset, data in self.leaves:
                    local = data.filter_docs(sub, key, query)
                    docs.update(local if not offset else (offset + d for d in local))
                found = frozenset(docs) - self.deleted
                self.filters.put(key, found)
            return found

    # --- scores
    def term_scores(self, text: str) -> dict[int, float]:
        """{document: BM25F score of the term in the ``text`` field}, live documents only."""
        with self.lock:
            found = self.scores.get_value(text)
            if found is not None:
                return found
            found = {}
            searcher = self.searcher
            if searcher.doc_frequency("text", text):
                idf = searcher.idf("text", text)
                avgfl = searcher.avg_field_length("text") or 1
                k1p1 = _K1 + 1
                deleted = self.deleted
                numbers = self.numbers()
                for sub, offset, data in self.leaves:
                    reader = sub.reader()
                    ids, weights = data.term_postings(reader, text)
                    if not ids:
                        continue
                    lengths = data.text_lengths(reader)
                    norms = self._norms_for(avgfl)
                    for doc, weight in zip(ids, weights, strict=True):
                        g = doc + offset
                        if deleted and g in deleted:
                            continue
                        fl = lengths[doc]
                        norm = norms.get(fl)
                        if norm is None:
                            norm = norms[fl] = _K1 * ((1 - _B) + _B * fl / avgfl)
                        found[numbers[g]] = idf * ((weight * k1p1) / (weight + norm))
            self.scores.put(text, found)
            return found

    def _norms_for(self, avgfl: float) -> dict:
        return self._norms.setdefault(avgfl, {})

    def ranking(self, clause, scores: dict[int, float]) -> array:
        """The clause's documents by score, best first, ties in index order (cached)."""
        with self.lock:
            found = self.rankings.get_value(clause)
            if found is None:
                # two stable sorts: by document, then by score (reverse keeps ties in order)
                found = array("I", sorted(sorted(scores), key=scores.__getitem__, reverse=True))
                self.rankings.put(clause, found)
            return found

    def clause_scores(self, clause) -> dict[int, float]:
        """{document: score} of a clause: a term's scores, or for a synonym unit the sum of the
        scores of its alternatives that match (an alternative scores the sum of its terms)."""
        if isinstance(clause, str):
            return self.term_scores(clause)
        with self.lock:
            found = self.scores.get_value(clause)
            if found is not None:
                return found
            found = {}
            get = found.get
            for alternative in clause:
                alternative_scores = _alternative_scores(self, alternative)
                if not found:
                    found.update(alternative_scores)
                    continue
                for doc, score in alternative_scores.items():
                    found[doc] = get(doc, 0.0) + score
            self.scores.put(clause, found)
            return found


def _alternative_scores(state: _State, terms: tuple[str, ...]) -> dict[int, float]:
    """{document: sum of the terms' scores} for the documents having every term."""
    maps = [state.term_scores(t) for t in terms]
    if len(maps) == 1:
        return maps[0]
    docs = _intersect([m.keys() for m in maps])
    if not docs:
        return {}
    return _sum_scores(list(docs), maps)


def _sum_scores(docs: list[int], maps: list[dict], missing: bool = False) -> dict[int, float]:
    """{document: sum of its scores in ``maps``} (``missing``: not every map has every doc)."""
    if missing:
        columns = [map(m.get, docs, repeat(0.0)) for m in maps]
    else:
        columns = [map(m.__getitem__, docs) for m in maps]
    return dict(zip(docs, map(sum, zip(*columns, strict=True)), strict=True))


_states: dict[str, _State] = {}


def _searcher(index_dir):
    """A searcher per index, reused across requests and refreshed when the index changed."""
    return _state(index_dir).searcher


def _state(index_dir) -> _State:
    key = str(Path(index_dir).resolve())
    with _searcher_lock:
        searcher = _searchers.get(key)
        if searcher is None:
            searcher = _searchers[key] = get_index(key).searcher()
        elif not searcher.up_to_date():
            # Searcher.refresh() can fail when the old reader was empty (whoosh 2.7); reopen.
            searcher.close()
            searcher = _searchers[key] = get_index(key).searcher()
        state = _states.get(key)
        if state is None or state.searcher is not searcher:
            state = _states[key] = _State(key, searcher)
        return state


def close_searchers() -> None:
    with _searcher_lock:
        for searcher in _searchers.values():
            searcher.close()
        _searchers.clear()
        _states.clear()
        _index_cache.clear()
    with _segments_lock:
        _segments_cache.clear()


def _intersect(sets: list):
    sets = sorted(sets, key=len)
    docs = sets[0]
    for other in sets[1:]:
        if not docs:
            return set()
        docs = docs & other  # sets and dict key views; iterates the smaller one
    return docs


def _scored(state: _State, parsed: _Parsed, relaxed: bool, filter_docs):
    """(matching documents, {document: score}) for the parsed query (scores of other documents
    may be there too)."""
    if not relaxed:
        maps = [state.clause_scores(c) for c in parsed.clauses]
        docs = _intersect([m.keys() for m in maps])
    else:
        if parsed.relaxed_distinct:
            maps = [state.clause_scores(value) if unit_type == "group"
                    else _alternative_scores(state, value)
                    for unit_type, value in parsed.relaxed_units]
        else:  # an alternative is in two units: Whoosh's Or counts it once
            maps = [_alternative_scores(state, a) for a in parsed.relaxed_alternatives]
        docs = set().union(*(m.keys() for m in maps))
    if filter_docs is not None:
        docs = docs & filter_docs
    if not docs:
        return set(), {}
    if len(maps) == 1:
        return docs, maps[0]  # one clause: its scores as they are
    return docs, _sum_scores(list(docs), maps, missing=relaxed)


def _top_of_clause(state: _State, clause, docs, count: int) -> list[int] | None:
    """The best ``count`` of ``docs`` from the clause's cached ranking, or None when ``docs`` is
    too small a part of the clause's documents for that to be quicker."""
    scores = state.clause_scores(clause)
    if len(docs) * 8 < len(scores):
        return None
    order = state.ranking(clause, scores)
    if len(docs) == len(scores):  # no filter
        return list(order[:count])
    found = []
    for d in order:
        if d in docs:
            found.append(d)
            if len(found) == count:
                break
    return found


def _top_by_score(docs, scores: dict, count: int) -> list[int]:
    """The ``count`` best documents by score, ties in index order (as Whoosh ranks them)."""
    if len(docs) <= count:
        return sorted(docs, key=lambda d: (-scores[d], d))
    best = heapq.nlargest(count, docs, key=scores.__getitem__)
    threshold = scores[best[-1]]
    above = [d for d in best if scores[d] > threshold]
    ties = sorted(d for d in docs if scores[d] == threshold)
    return sorted(above, key=lambda d: (-scores[d], d)) + ties[: count - len(above)]


def _top_by_column(state: _State, docs, name: str, reverse: bool, count: int) -> list[int]:
    values = state.column(name)
    sign = -1 if reverse else 1
    if len(docs) * 16 < state.doc_count:
        return heapq.nsmallest(count, docs, key=lambda d: (sign * values[d], d))
    found = []
    for d in state.order(name, reverse):
        if d in docs:
            found.append(d)
            if len(found) == count:
                break
    return found


def _facet_counts(state: _State, docs) -> dict[str, dict[str, int]]:
    codes, combinations = state.facet_codes()
    counts = {name: Counter() for name in FACET_FIELDS}
    for code, n in Counter(map(codes.__getitem__, docs)).items():
        for name, values in zip(FACET_FIELDS, combinations[code], strict=True):
            for value in values:
                counts[name][value] += n
    return {name: {k: v for k, v in counter.items() if k not in (None, "")}
            for name, counter in counts.items()}


def search(index_dir, request: SearchRequest) -> SearchResult:
    """Run a search; never raises for odd input (it becomes plain words or nothing)."""
    page = max(1, min(int(request.page or 1), 1000))
    per_page = max(1, min(int(request.per_page or 20), 100))
    parsed = _parse(query_text(request.text))
    has_query = bool(parsed.clauses)
    state = _state(index_dir)
    filter_query = _filters(request)
    wanted = page * per_page

    if request.sort == "newest" or (not has_query and request.sort == "relevance"):
        sort = ("published", True)
    elif request.sort == "price":
        sort = ("price", False)
    else:
        sort = None

    relaxed = False
    if not state.doc_count:
        docs, scores = set(), {}
    else:
        filter_docs = state.filter_docs(filter_query) if filter_query is not None else None
        if has_query:
            docs, scores = _scored(state, parsed, False, filter_docs)
            if not docs and parsed.relaxable:
                relaxed = True
                docs, scores = _scored(state, parsed, True, filter_docs)
        else:
            docs, scores = (filter_docs if filter_docs is not None else state.live()), {}

    if not docs:
        ranked = []
    elif sort is None:
        ranked = None
        if len(parsed.clauses) == 1 and not relaxed:
            ranked = _top_of_clause(state, parsed.clauses[0], docs, wanted)
        if ranked is None:
            ranked = _top_by_score(docs, scores, wanted)
    else:
        ranked = _top_by_column(state, docs, sort[0], sort[1], wanted)
    page_docs = ranked[(page - 1) * per_page: wanted]
    ids = [int(state.searcher.stored_fields(d)["id"]) for d in page_docs]

    facets = {}
    if request.facets:
        if not docs:
            facets = {name: {} for name in FACET_FIELDS}
        elif not has_query:  # browsing: the same for every page and order
            key = repr(filter_query)
            with state.lock:
                facets = state.browse_facets.get_value(key)
                if facets is None:
                    facets = _facet_counts(state, docs)
                    state.browse_facets.put(key, facets)
            facets = {name: dict(counts) for name, counts in facets.items()}
        else:
            facets = _facet_counts(state, docs)
    total = len(docs)
    suggestion = None
    if has_query and total < 3:
        suggestion = _did_you_mean(state.searcher, request.text)
    return SearchResult(ids=ids, total=total, page=page,
                        pages=max(1, -(-total // per_page)), facets=facets,
                        terms=parsed.terms() if has_query else frozenset(),
                        suggestion=suggestion, relaxed=relaxed)


def corrected_query(text: str, known, corrections, max_words: int | None = None) -> str | None:
    """``text`` with each misspelt English word replaced by its first correction, or None.

    Shared by both backends: ``known(word)`` says whether the index has the word, and
    ``corrections(field, word)`` lists replacements found in ``spell_title`` then
    ``spell_summary``."""
    words = normalize(text)[:MAX_QUERY_CHARS].split()[:max_words]
    synonyms = _synonym_index()
    changed, out = False, []
    for word in words:
        replacement = word
        if _ASCII_WORD.match(word) and (word,) not in synonyms and not known(word):
            for fieldname in ("spell_title", "spell_summary"):
                found = corrections(fieldname, word)
                if found:
                    replacement = found[0]
                    break
        changed = changed or replacement != word
        out.append(replacement)
    return " ".join(out) if changed else None


def _did_you_mean(searcher, text: str) -> str | None:
    """Replace misspelt English words by the closest English words of titles and summaries."""
    def corrections(fieldname: str, word: str) -> list[str]:
        return [c for c in searcher.suggest(fieldname, word, limit=3, maxdist=2, prefix=1)
                if c != word and _ASCII_WORD.match(c)]

    return corrected_query(text, lambda word: _known(searcher, word), corrections)


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


def synonym_suggestions(prefix: str) -> list[dict[str, str]]:
    """Synonym terms starting with the normalised ``prefix`` (or whose pinyin initials do)."""
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
    return found


def suggest(index_dir, prefix: str, limit: int = 8,
            kinds: tuple[str, ...] | None = None) -> list[dict[str, str]]:
    """Titles and synonym terms starting with ``prefix`` (Chinese, English or pinyin initials);
    titles only of the listing ``kinds`` given (None: all)."""
    prefix = normalize(prefix).strip()[:40]
    if not prefix:
        return []
    found = synonym_suggestions(prefix)
    seen = {normalize(f["text"]) for f in found}
    searcher = _searcher(index_dir)
    clauses = [Prefix("title_start", prefix)]
    if prefix.isascii():
        clauses.append(Prefix("initials", prefix))
    terms = analyze(prefix)
    if terms:
        clauses.append(Prefix("title", terms[-1]) if len(terms) == 1 else
                       And([Term("title", t) for t in terms[:-1]] + [Prefix("title", terms[-1])]))
    if clauses:
        only = _kinds_filter(kinds) if kinds is not None else None
        for hit in searcher.search(Or(clauses), limit=limit, filter=only):
            title = hit.get("title_zh") or hit.get("title_en") or ""
            if title and title not in seen:
                seen.add(title)
                found.append({"text": title, "type": "listing", "id": hit["id"],
                              "title_en": hit.get("title_en") or ""})
    terms_first = [f for f in found if f["type"] == "term"][: limit // 2]
    listings_next = [f for f in found if f["type"] == "listing"]
    return (terms_first + listings_next)[:limit]
