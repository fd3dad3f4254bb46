"""Per-candidate features, computed for all candidates at once, and the evidence behind them.

Three shapes of question share one set of definitions:

- one party against every item row (``party_features``: serving ``recommend``),
- one item against every party row (``item_features``: serving ``parties_for_item``),
- a list of (party, item) pairs (``pair_features``: training the ranker).

Each feature has one meaning everywhere (columns in ``FEATURES`` order):

``content``            TF-IDF cosine of the two documents (words, synonym groups, character grams)
``collaborative``      the low-rank reconstruction of the party×item implicit-feedback matrix
``peers``              log1p(other parties of the party's industry that interacted with the item)
``similar_parties``    log1p(the party's nearest neighbours in factor space that interacted)
``district``           1 same district, 0.5 neighbouring district, else 0
``category_affinity``  log of the smoothed lift of P(item category | party industry) over
                       P(category), learned from interactions
``voucher_fit``        the item accepts vouchers and its price fits the remaining quota (request
                       context; never known in training)
``accepts_vouchers``   the item accepts vouchers
``popularity``         log1p(time-decayed weighted interactions with the item)
``kind_*``             the item's kind, one-hot

Interaction signals (everything but content and the item's own facts) are fitted by
``fit_signals``; item and party ids map to its rows through ``Signals.item_index`` /
``party_index``, and every matrix carries one trailing all-zero row/column (the *sentinel*) for
an id it has never seen, so unseen ids need no special case.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.preprocessing import normalize
from sklearn.utils import murmurhash3_32

from .records import HALF_LIFE_DAYS, INTERACTION_WEIGHTS, ITEM_KINDS, Evidence, Interaction
from .text import Analyzer

FEATURES = (
    "content", "collaborative", "peers", "similar_parties", "district", "category_affinity",
    "voucher_fit", "accepts_vouchers", "popularity",
    *(f"kind_{kind}" for kind in ITEM_KINDS),
)
COLUMN = {name: number for number, name in enumerate(FEATURES)}
# The evidence code each feature proves when it contributes (the others explain nothing).
EVIDENCE_CODE = {
    "content": "terms", "peers": "peers", "similar_parties": "similar_parties",
    "district": "district", "category_affinity": "category_affinity",
    "voucher_fit": "voucher_fit", "accepts_vouchers": "accepts_vouchers",
}
MAX_TERMS = 5
# A shared word found in more than this share of all documents ("科技", "检测" here) explains
# nothing to a person; it still counts in the score, it is only not named as evidence.
EVIDENCE_MAX_DF_SHARE = 0.15
EVIDENCE_MAX_DF_MIN = 10  # ... and in more than this many (a tiny catalogue names everything)
N_NEIGHBOURS = 30
AFFINITY_SMOOTHING = 10.0   # pseudo-interactions pulling P(category | industry) to P(category)
GRAM_WEIGHT = 0.5           # character grams count half as much as words and synonym groups
TERM_COLUMNS = 2**22        # hashed columns for words and synonym groups (collisions ~1e-4)
GRAM_COLUMNS = 2**20        # hashed columns for character grams (never shown)
COMMON_GRAM_SHARE = 0.05    # a gram in more than this share of documents is dropped …
COMMON_GRAM_MIN = 50        # … if that is also more than this many documents


class Vocab:
    """Strings ↔ small integer codes; code 0 is "none / unknown"."""

    def __init__(self, values: Iterable[str | None] = ()):
        self.values: list[str | None] = [None]
        self.codes: dict[str, int] = {}
        for value in values:
            self.add(value)

    def add(self, value: str | None) -> int:
        if value is None:
            return 0
        code = self.codes.get(value)
        if code is None:
            code = self.codes[value] = len(self.values)
            self.values.append(value)
        return code

    def get(self, value: str | None) -> int:
        return 0 if value is None else self.codes.get(value, 0)

    def __len__(self) -> int:
        return len(self.values)


# ---------------------------------------------------------------------------------------------
# content
class ContentIndex:
    """TF-IDF over hashed features; rows come out float32, column-weighted, L2-normalised.

    Words and synonym groups hash into the first ``TERM_COLUMNS`` columns, character grams into
    the next ``GRAM_COLUMNS`` (weighted ``GRAM_WEIGHT``). Hashing instead of a fitted vocabulary
    keeps training linear and lets a listing published after training match on a word no
    training text had (its IDF is that of an unseen term). Feature names are not stored: a shared
    column is labelled from the party's own document, the side that is shown its words.
    """

    def __init__(self, analyzer: Analyzer):
        self.analyzer = analyzer
        self.n_documents = 0
        self.scale: np.ndarray | None = None     # idf × column weight
        self.vocabulary = 0                      # columns seen in training
        self.dropped_grams = 0

    @property
    def width(self) -> int:
        return TERM_COLUMNS + GRAM_COLUMNS

    def _counts(self, documents: Sequence[tuple[Sequence[str], str]]) -> sp.csr_matrix:
        if not len(documents):
            return sp.csr_matrix((0, self.width), dtype=np.float32)
        parts = []
        for part, width in (("terms", TERM_COLUMNS), ("grams", GRAM_COLUMNS)):
            hasher = HashingVectorizer(analyzer=self.analyzer.part(part), n_features=width,
                                       alternate_sign=False, norm=None, dtype=np.float32)
            parts.append(hasher.transform(documents))
        counts = sp.hstack(parts, format="csr", dtype=np.float32)
        counts.sum_duplicates()
        return counts

    def fit_transform(self, documents: Sequence[tuple[Sequence[str], str]]) -> sp.csr_matrix:
        counts = self._counts(documents)
        df = np.bincount(counts.indices, minlength=self.width)
        self.n_documents = len(documents)
        self.vocabulary = int(np.count_nonzero(df))
        idf = np.log((1.0 + self.n_documents) / (1.0 + df)) + 1.0
        weights = np.ones(self.width)
        weights[TERM_COLUMNS:] = GRAM_WEIGHT
        # grams in most documents ("技术", "有限") say little and cost the most to score
        common = df[TERM_COLUMNS:] > max(COMMON_GRAM_SHARE * self.n_documents, COMMON_GRAM_MIN)
        weights[TERM_COLUMNS:][common] = 0.0
        self.dropped_grams = int(common.sum())
        self.scale = (idf * weights).astype(np.float32)
        return self._finish(counts)

    def transform(self, documents: Sequence[tuple[Sequence[str], str]]) -> sp.csr_matrix:
        return self._finish(self._counts(documents))

    def _finish(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        counts.data = (1.0 + np.log(counts.data)) * self.scale[counts.indices]
        counts.eliminate_zeros()
        lengths = np.diff(counts.indptr)
        norms = np.sqrt(np.add.reduceat(counts.data ** 2, counts.indptr[:-1][lengths > 0])) \
            if counts.nnz else np.zeros(0, np.float32)
        row_norms = np.ones(counts.shape[0], np.float32)
        row_norms[lengths > 0] = norms
        counts.data /= np.repeat(row_norms, lengths)
        return counts

    def vector(self, document: tuple[Sequence[str], str]) -> tuple[sp.csr_matrix, dict]:
        """``transform([document])`` without scikit-learn's per-call overhead (serving path),
        and the labels of its term columns (column → feature string)."""
        counts: dict[int, int] = {}
        labels: dict[int, str] = {}
        for token in self.analyzer.part("terms")(document):
            column = _column(token, TERM_COLUMNS)
            counts[column] = counts.get(column, 0) + 1
            labels.setdefault(column, token)
        for token in self.analyzer.part("grams")(document):
            column = TERM_COLUMNS + _column(token, GRAM_COLUMNS)
            counts[column] = counts.get(column, 0) + 1
        columns = np.fromiter(sorted(counts), np.int32, len(counts))
        tf = np.fromiter((counts[c] for c in columns), np.float32, len(columns))
        data = ((1.0 + np.log(tf)) * self.scale[columns]).astype(np.float32)
        kept = data != 0
        columns, data = columns[kept], data[kept]
        norm = float(np.sqrt(data @ data))
        if norm > 0:
            data /= norm
        matrix = sp.csr_matrix((data, columns, np.array([0, len(columns)], np.int32)),
                               shape=(1, self.width))
        return matrix, labels

    def labels(self, document: tuple[Sequence[str], str]) -> dict[int, str]:
        """Term column → feature string, for one document."""
        labels: dict[int, str] = {}
        for token in self.analyzer.part("terms")(document):
            labels.setdefault(_column(token, TERM_COLUMNS), token)
        return labels

    def terms(self, query: sp.csr_matrix | Row, other: sp.csr_matrix | Row,
              labels: Mapping[int, str], triggers: Mapping[int, str] | None = None) -> list[str]:
        """The displayable features both rows hold, largest product of weights first (≤ 5).

        ``labels``: the party's column labels (``vector`` / ``labels`` of its document).
        """
        shared, qi, oi = np.intersect1d(query.indices, other.indices, assume_unique=True,
                                        return_indices=True)
        keep = shared < TERM_COLUMNS
        if not keep.any():
            return []
        if self.n_documents:
            most = max(EVIDENCE_MAX_DF_SHARE * self.n_documents, EVIDENCE_MAX_DF_MIN)
            min_idf = np.log((1.0 + self.n_documents) / (1.0 + most)) + 1.0
            keep &= self.scale[shared] >= min_idf
            if not keep.any():
                return []
        shared = shared[keep]
        products = query.data[qi[keep]] * other.data[oi[keep]]
        out: list[str] = []
        for position in np.argsort(-products, kind="stable"):
            feature = labels.get(int(shared[position]))
            label = self.analyzer.display(feature, triggers) if feature else None
            if label and label not in out:
                out.append(label)
                if len(out) == MAX_TERMS:
                    break
        return out


def _column(token: str, width: int) -> int:
    """The column HashingVectorizer puts ``token`` in (same hash, same fold)."""
    h = murmurhash3_32(token, seed=0)
    if h == -2147483648:
        return (2147483647 - (width - 1)) % width
    return abs(h) % width


class Row:
    """One stored vector, as its sorted column indices and values (no scipy overhead)."""

    __slots__ = ("data", "indices")

    def __init__(self, indices: np.ndarray, data: np.ndarray):
        self.indices, self.data = indices, data


class SparseRows:
    """Rows of L2-normalised vectors, fast for "one query against all rows".

    The bulk is kept transposed (terms × rows, CSR) so a query sums only the rows of its own
    terms; rows added after the fit sit in a small extra block until it is folded in. Never
    changed in place: ``appended`` returns a new object (readers in other threads stay valid).
    """

    FOLD_AT = 2000

    def __init__(self, matrix: sp.csr_matrix, extra: sp.csr_matrix | None = None):
        self.main = sp.csr_matrix(matrix, dtype=np.float32)
        self.main.sort_indices()
        self.main_t = self.main.T.tocsr()
        self.extra = (sp.csr_matrix((0, matrix.shape[1]), dtype=np.float32) if extra is None
                      else extra)

    def __len__(self) -> int:
        return self.main.shape[0] + self.extra.shape[0]

    def appended(self, rows: sp.csr_matrix) -> SparseRows:
        if not self.main.shape[0]:
            return SparseRows(rows)
        extra = sp.csr_matrix(sp.vstack([self.extra, rows]), dtype=np.float32)
        extra.sort_indices()
        if extra.shape[0] >= self.FOLD_AT:
            return SparseRows(sp.vstack([self.main, extra]).tocsr())
        copy = SparseRows.__new__(SparseRows)
        copy.main, copy.main_t, copy.extra = self.main, self.main_t, extra
        return copy

    def row(self, number: int) -> Row:
        n = self.main.shape[0]
        matrix, number = (self.main, number) if number < n else (self.extra, number - n)
        start, end = matrix.indptr[number], matrix.indptr[number + 1]
        return Row(matrix.indices[start:end], matrix.data[start:end])

    def scores(self, query: sp.csr_matrix) -> np.ndarray:
        """Cosine of ``query`` (1 × terms) with every row."""
        out = np.zeros(len(self), dtype=np.float32)
        if query.nnz:
            n = self.main.shape[0]
            picked = self.main_t[query.indices]
            out[:n] = picked.T @ query.data
            if self.extra.shape[0]:
                out[n:] = (self.extra @ query.T).toarray().ravel()
        return out

    def stacked(self) -> sp.csr_matrix:
        if not self.extra.shape[0]:
            return self.main
        return sp.vstack([self.main, self.extra]).tocsr()


def rowwise_dot(a: sp.csr_matrix, b: sp.csr_matrix) -> np.ndarray:
    return np.asarray(a.multiply(b).sum(axis=1), dtype=np.float32).ravel()


# ---------------------------------------------------------------------------------------------
# interaction signals
@dataclass
class Signals:
    """What the interactions teach (all arrays end with the all-zero sentinel row/column)."""

    party_index: dict[int, int]
    item_index: dict[int, int]
    party_factors: np.ndarray          # (parties + 1) × f, float32
    item_factors: np.ndarray           # (items + 1) × f, float32
    seen: sp.csr_matrix                # (parties + 1) × (items + 1), 1 = interacted
    seen_t: sp.csr_matrix              # its transpose
    neighbours: sp.csr_matrix          # (parties + 1) × (parties + 1), 1 = a nearest neighbour
    party_industry: np.ndarray         # (parties + 1,) industry code of each party row
    peers: np.ndarray                  # industries × (items + 1): parties that interacted
    affinity: np.ndarray               # industries × categories: log smoothed lift
    popularity: np.ndarray             # (items + 1,) log1p decayed weight
    counts: dict = field(default_factory=dict)

    @property
    def party_sentinel(self) -> int:
        return len(self.party_index)

    @property
    def item_sentinel(self) -> int:
        return len(self.item_index)

    def party_row(self, party_id: int) -> int:
        return self.party_index.get(party_id, self.party_sentinel)

    def item_row(self, item_id: int) -> int:
        return self.item_index.get(item_id, self.item_sentinel)


def decayed_weights(interactions: Sequence[Interaction], now: datetime) -> np.ndarray:
    ages = np.fromiter(((now - i.at).total_seconds() / 86400.0 for i in interactions), float,
                       len(interactions))
    base = np.fromiter((INTERACTION_WEIGHTS[i.kind] for i in interactions), float,
                       len(interactions))
    return base * np.power(0.5, np.maximum(ages, 0.0) / HALF_LIFE_DAYS)


def fit_signals(interactions: Sequence[Interaction], *, now: datetime,
                party_industry: Mapping[int, int], item_category: Mapping[int, int],
                n_industries: int, n_categories: int, n_factors: int = 32,
                random_state: int = 0) -> Signals:
    """Fits factors, neighbours, peer counts, affinity and popularity on positive interactions.

    ``party_industry`` / ``item_category`` map ids to Vocab codes (missing = 0 = unknown).
    """
    positives = [i for i in interactions if i.kind in INTERACTION_WEIGHTS]
    party_index: dict[int, int] = {}
    item_index: dict[int, int] = {}
    p = np.fromiter((party_index.setdefault(i.party_id, len(party_index)) for i in positives),
                    np.int64, len(positives))
    q = np.fromiter((item_index.setdefault(i.item_id, len(item_index)) for i in positives),
                    np.int64, len(positives))
    n_p, n_i = len(party_index), len(item_index)
    weights = decayed_weights(positives, now)
    shape = (n_p + 1, n_i + 1)
    matrix = sp.csr_matrix((weights, (p, q)), shape=shape, dtype=np.float64)
    matrix.sum_duplicates()
    popularity = np.asarray(matrix.sum(axis=0), dtype=np.float64).ravel()
    popularity = np.log1p(popularity).astype(np.float32)
    matrix.data = np.log1p(matrix.data)
    seen = matrix.copy().astype(np.float32)
    seen.data[:] = 1.0

    # low-rank factors of the log-scaled, decayed matrix
    rank = min(n_factors, n_p - 1, n_i - 1)
    if rank >= 1:
        svd = TruncatedSVD(n_components=rank, algorithm="randomized", n_iter=7,
                           random_state=random_state)
        party_factors = svd.fit_transform(matrix).astype(np.float32)
        item_factors = svd.components_.T.astype(np.float32)
    else:
        party_factors = np.zeros((n_p + 1, 1), np.float32)
        item_factors = np.zeros((n_i + 1, 1), np.float32)
    party_factors[n_p] = 0.0
    item_factors[n_i] = 0.0
    neighbours = _nearest_neighbours(party_factors, N_NEIGHBOURS)

    # peers: distinct parties of each industry per item
    industry_rows = np.zeros(n_p + 1, np.int64)
    for party_id, row in party_index.items():
        industry_rows[row] = party_industry.get(party_id, 0)
    coo = seen.tocoo()
    peers = np.zeros((n_industries, n_i + 1), np.float32)
    np.add.at(peers, (industry_rows[coo.row], coo.col), 1.0)
    peers[0] = 0.0

    # category affinity: smoothed lift of P(category | industry) over P(category)
    category_cols = np.zeros(n_i + 1, np.int64)
    for item_id, col in item_index.items():
        category_cols[col] = item_category.get(item_id, 0)
    pair_counts = np.zeros((n_industries, n_categories), np.float64)
    np.add.at(pair_counts, (industry_rows[coo.row], category_cols[coo.col]), 1.0)
    known = pair_counts[1:, 1:]
    affinity = np.zeros((n_industries, n_categories), np.float32)
    if known.sum() > 0:
        p_category = known.sum(axis=0) / known.sum()
        per_industry = known.sum(axis=1, keepdims=True)
        conditional = (known + AFFINITY_SMOOTHING * p_category) / (per_industry
                                                                   + AFFINITY_SMOOTHING)
        with np.errstate(divide="ignore", invalid="ignore"):
            lift = np.where(p_category > 0, np.log(conditional / p_category), 0.0)
        affinity[1:, 1:] = lift

    return Signals(
        party_index=party_index, item_index=item_index,
        party_factors=party_factors, item_factors=item_factors,
        seen=seen, seen_t=seen.T.tocsr(), neighbours=neighbours,
        party_industry=industry_rows.astype(np.int32), peers=peers, affinity=affinity,
        popularity=popularity,
        counts={"parties": n_p, "items": n_i, "interactions": len(positives)},
    )


def _nearest_neighbours(factors: np.ndarray, n: int, chunk: int = 1024) -> sp.csr_matrix:
    """Each row's ``n`` most cosine-similar other rows (similarity > 0), as a 0/1 matrix."""
    size = factors.shape[0]
    unit = normalize(factors, norm="l2")
    rows, cols = [], []
    take = min(n, size - 1)
    if take >= 1:
        for start in range(0, size, chunk):
            block = unit[start:start + chunk] @ unit.T
            block[np.arange(block.shape[0]), np.arange(start, start + block.shape[0])] = -1.0
            best = np.argpartition(-block, take - 1, axis=1)[:, :take]
            good = np.take_along_axis(block, best, axis=1) > 1e-6
            r, c = np.nonzero(good)
            rows.append(r + start)
            cols.append(best[r, c])
    rows_a = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    cols_a = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    return sp.csr_matrix((np.ones(len(rows_a), np.float32), (rows_a, cols_a)),
                         shape=(size, size))


# ---------------------------------------------------------------------------------------------
# the tables of candidates
class ItemTable:
    """Item facts as arrays, one row per listing version (an edited listing gets a new row)."""

    def __init__(self, dim: int):
        self.ids = np.zeros(0, np.int64)
        self.owner = np.zeros(0, np.int64)
        self.kind = np.zeros(0, np.int8)
        self.district = np.zeros(0, np.int32)
        self.category = np.zeros(0, np.int32)
        self.price = np.zeros(0, np.int64)          # -1 = no price
        self.vouchers = np.zeros(0, bool)
        self.alive = np.zeros(0, bool)
        self.cf = np.zeros(0, np.int64)             # row in Signals (sentinel if unseen)
        self.index: dict[int, int] = {}
        self.rows = SparseRows(sp.csr_matrix((0, dim), dtype=np.float32))
        self._lookup: tuple[str, object] | None = None   # id → row, built on first use

    def __len__(self) -> int:
        return len(self.ids)

    def appended(self, items: Sequence, vectors: sp.csr_matrix, districts: Vocab,
                 categories: Vocab, signals: Signals) -> ItemTable:
        """A new table with these items added (an id already present replaces its old row)."""
        new = copy.copy(self)
        start = len(self.ids)
        kinds = {kind: n for n, kind in enumerate(ITEM_KINDS)}

        def grow(old, values, dtype):
            return np.concatenate([old, np.asarray(values, dtype=dtype)])

        new.ids = grow(self.ids, [i.id for i in items], np.int64)
        new.owner = grow(self.owner, [i.owner_id for i in items], np.int64)
        new.kind = grow(self.kind, [kinds.get(i.kind, -1) for i in items], np.int8)
        new.district = grow(self.district, [districts.add(i.district) for i in items], np.int32)
        top = signals.affinity.shape[1] - 1
        new.category = grow(self.category, [min(categories.get(i.category), top) for i in items],
                            np.int32)
        new.price = grow(self.price, [-1 if i.price_fen is None else i.price_fen for i in items],
                         np.int64)
        new.vouchers = grow(self.vouchers, [bool(i.accepts_vouchers) for i in items], bool)
        new.alive = grow(self.alive, np.ones(len(items), bool), bool)
        new.cf = grow(self.cf, [signals.item_row(i.id) for i in items], np.int64)
        new.index = dict(self.index)
        for offset, item in enumerate(items):
            old = new.index.get(item.id)
            if old is not None:
                new.alive[old] = False
            new.index[item.id] = start + offset
        new.rows = self.rows.appended(vectors)
        new._lookup = None
        return new

    def remap(self, signals: Signals) -> None:
        self.cf = np.fromiter((signals.item_row(int(i)) for i in self.ids), np.int64,
                              len(self.ids))

    def rows_of(self, ids: Iterable[int]) -> np.ndarray:
        """The live rows of these ids (unknown ids are skipped)."""
        if self._lookup is None:
            live = np.fromiter(self.index.values(), np.int64, len(self.index))
            top = int(self.ids[live].max(initial=-1))
            if top < 8 * len(live) + 2**20:      # database ids: dense enough for a table
                lookup = np.full(top + 1, -1, np.int64)
                lookup[self.ids[live]] = live
                self._lookup = ("table", lookup)
            else:
                order = np.argsort(self.ids[live])
                self._lookup = ("sorted", (self.ids[live][order], live[order]))
        wanted = _id_array(ids)
        how, data = self._lookup
        if how == "table":
            wanted = wanted[(wanted >= 0) & (wanted < len(data))]
            rows = data[wanted]
            return rows[rows >= 0]
        keys, rows = data
        if not len(keys) or not len(wanted):
            return np.zeros(0, np.int64)
        at = np.clip(np.searchsorted(keys, wanted), 0, len(keys) - 1)
        return rows[at[keys[at] == wanted]]


def _id_array(ids: Iterable[int]) -> np.ndarray:
    if isinstance(ids, np.ndarray):
        return ids.astype(np.int64, copy=False)
    if hasattr(ids, "__len__"):
        return np.fromiter(ids, np.int64, len(ids))
    return np.fromiter(ids, np.int64)


class PartyTable:
    """Party facts as arrays, one row per profile version."""

    def __init__(self, dim: int):
        self.ids = np.zeros(0, np.int64)
        self.industry = np.zeros(0, np.int32)
        self.district = np.zeros(0, np.int32)
        self.alive = np.zeros(0, bool)
        self.cf = np.zeros(0, np.int64)
        self.words: list[tuple[str, ...]] = []
        self.texts: list[str] = []
        self.index: dict[int, int] = {}
        self.rows = SparseRows(sp.csr_matrix((0, dim), dtype=np.float32))

    def __len__(self) -> int:
        return len(self.ids)

    def appended(self, parties: Sequence, vectors: sp.csr_matrix, districts: Vocab,
                 industries: Vocab, signals: Signals) -> PartyTable:
        """A new table with these parties added (an id already present replaces its old row)."""
        new = copy.copy(self)
        start = len(self.ids)
        top = signals.peers.shape[0] - 1
        new.ids = np.concatenate([self.ids, np.asarray([p.id for p in parties], np.int64)])
        new.industry = np.concatenate([self.industry, np.asarray(
            [min(industries.get(p.industry), top) for p in parties], np.int32)])
        new.district = np.concatenate([self.district, np.asarray(
            [districts.add(p.district) for p in parties], np.int32)])
        new.alive = np.concatenate([self.alive, np.ones(len(parties), bool)])
        new.cf = np.concatenate([self.cf, np.asarray(
            [signals.party_row(p.id) for p in parties], np.int64)])
        new.words = [*self.words, *(tuple(p.words) for p in parties)]
        new.texts = [*self.texts, *(p.text for p in parties)]
        new.index = dict(self.index)
        for offset, party in enumerate(parties):
            old = new.index.get(party.id)
            if old is not None:
                new.alive[old] = False
            new.index[party.id] = start + offset
        new.rows = self.rows.appended(vectors)
        return new

    def remap(self, signals: Signals) -> None:
        self.cf = np.fromiter((signals.party_row(int(i)) for i in self.ids), np.int64,
                              len(self.ids))


# ---------------------------------------------------------------------------------------------
# the queries
@dataclass
class PartyQuery:
    id: int
    vector: sp.csr_matrix
    labels: dict[int, str]        # term column → feature string of the party's document
    cf: int                       # row in Signals (sentinel if unseen)
    industry: int
    district: int
    neighbour_districts: np.ndarray
    remaining_fen: int | None
    triggers: dict[int, str]


@dataclass
class ItemQuery:
    id: int
    vector: sp.csr_matrix
    cf: int
    kind: int
    category: int
    district: int
    owner_id: int
    price_fen: int | None
    accepts_vouchers: bool


def _kind_columns(out: np.ndarray, kind: np.ndarray | int) -> None:
    for number, _ in enumerate(ITEM_KINDS):
        out[:, COLUMN["kind_" + ITEM_KINDS[number]]] = kind == number


def _voucher_fit(vouchers, price, remaining: int | None):
    if remaining is None:
        return np.zeros_like(vouchers, dtype=bool)
    return vouchers & (price >= 0) & (price <= remaining)


def matvec(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """matrix @ vector on this thread: BLAS would wake its thread pool for a few hundred µs of
    work, and on a busy machine that costs more than it saves (p99 latency)."""
    return np.einsum("ij,j->i", matrix, vector)


def _matrix(n: int) -> np.ndarray:
    """n × features, column-major: each feature is written as one contiguous column."""
    return np.zeros((len(FEATURES), n), np.float32).T


def _district_values(own: int, near: Iterable[int], size: int) -> np.ndarray:
    """District code → 1 (own), 0.5 (neighbouring), 0; code 0 (unknown) is never near."""
    table = np.zeros(size, np.float32)
    table[np.asarray(list(near), np.int64)] = 0.5
    table[own] = 1.0
    table[0] = 0.0
    return table


def party_features(query: PartyQuery, items: ItemTable, signals: Signals,
                   content: np.ndarray | None = None) -> np.ndarray:
    """The feature matrix of one party against every item row."""
    n = len(items)
    out = _matrix(n)
    out[:, COLUMN["content"]] = items.rows.scores(query.vector) if content is None else content
    cf = items.cf
    if query.cf != signals.party_sentinel:
        per_item = matvec(signals.item_factors, signals.party_factors[query.cf])
        out[:, COLUMN["collaborative"]] = np.maximum(per_item, 0.0)[cf]
        own = signals.seen[query.cf]
        neighbours = signals.neighbours[query.cf].indices
        if len(neighbours):
            similar = np.asarray(signals.seen[neighbours].sum(axis=0)).ravel()
            out[:, COLUMN["similar_parties"]] = np.log1p(similar)[cf]
    else:
        own = None
    if query.industry:
        peers = signals.peers[query.industry].copy()
        if own is not None and signals.party_industry[query.cf] == query.industry:
            peers[own.indices] -= 1.0
        out[:, COLUMN["peers"]] = np.log1p(np.maximum(peers, 0.0))[cf]
        out[:, COLUMN["category_affinity"]] = signals.affinity[query.industry][items.category]
    if query.district:
        size = max(int(items.district.max(initial=0)), query.district,
                   int(query.neighbour_districts.max(initial=0))) + 1
        table = _district_values(query.district, query.neighbour_districts, size)
        out[:, COLUMN["district"]] = table[items.district]
    out[:, COLUMN["voucher_fit"]] = _voucher_fit(items.vouchers, items.price, query.remaining_fen)
    out[:, COLUMN["accepts_vouchers"]] = items.vouchers
    out[:, COLUMN["popularity"]] = signals.popularity[cf]
    _kind_columns(out, items.kind)
    return out


def item_features(query: ItemQuery, parties: PartyTable, signals: Signals,
                  neighbours_of: Mapping[int, np.ndarray]) -> np.ndarray:
    """The feature matrix of one item against every party row.

    ``neighbours_of``: district code → codes of its neighbouring districts.
    """
    n = len(parties)
    out = _matrix(n)
    out[:, COLUMN["content"]] = parties.rows.scores(query.vector)
    cf = parties.cf
    if query.cf != signals.item_sentinel:
        per_party = matvec(signals.party_factors, signals.item_factors[query.cf])
        out[:, COLUMN["collaborative"]] = np.maximum(per_party, 0.0)[cf]
        seen = np.zeros(signals.party_sentinel + 1, np.float32)
        seen[signals.seen_t[query.cf].indices] = 1.0
        seen[signals.party_sentinel] = 0.0
        similar = signals.neighbours @ seen
        out[:, COLUMN["similar_parties"]] = np.log1p(similar)[cf]
        peers = signals.peers[:, query.cf][parties.industry]
        same = signals.party_industry[cf] == parties.industry
        peers = peers - (seen[cf] * same)
        out[:, COLUMN["peers"]] = np.log1p(np.maximum(peers, 0.0))
        out[:, COLUMN["popularity"]] = signals.popularity[query.cf]
    out[:, COLUMN["category_affinity"]] = signals.affinity[parties.industry, query.category]
    if query.district:
        near = [code for code, nbrs in neighbours_of.items() if query.district in nbrs]
        size = max(int(parties.district.max(initial=0)), query.district, *near, 0) + 1
        table = _district_values(query.district, near, size)
        out[:, COLUMN["district"]] = table[parties.district]
    out[:, COLUMN["accepts_vouchers"]] = query.accepts_vouchers
    _kind_columns(out, query.kind)
    return out


def pair_features(party_rows: np.ndarray, item_rows: np.ndarray, parties: PartyTable,
                  items: ItemTable, signals: Signals,
                  neighbours_of: Mapping[int, np.ndarray]) -> np.ndarray:
    """The feature matrix of (party row, item row) pairs; ``signals`` may be a training fit
    (``parties.cf`` / ``items.cf`` must then be mapped to it)."""
    n = len(party_rows)
    out = _matrix(n)
    if not n:
        return out
    out[:, COLUMN["content"]] = rowwise_dot(parties.rows.stacked()[party_rows],
                                            items.rows.stacked()[item_rows])
    pcf, icf = parties.cf[party_rows], items.cf[item_rows]
    out[:, COLUMN["collaborative"]] = np.maximum(
        np.einsum("ij,ij->i", signals.party_factors[pcf], signals.item_factors[icf]), 0.0)
    own = np.asarray(signals.seen[pcf, icf]).ravel()
    similar_matrix = (signals.neighbours @ signals.seen).tocsr()
    out[:, COLUMN["similar_parties"]] = np.log1p(np.asarray(similar_matrix[pcf, icf]).ravel())
    industry = parties.industry[party_rows]
    peers = signals.peers[industry, icf] - own * (signals.party_industry[pcf] == industry)
    out[:, COLUMN["peers"]] = np.log1p(np.maximum(peers, 0.0))
    out[:, COLUMN["category_affinity"]] = signals.affinity[industry, items.category[item_rows]]
    pd, idist = parties.district[party_rows], items.district[item_rows]
    district = np.zeros(n, np.float32)
    for code, nbrs in neighbours_of.items():
        district[(pd == code) & np.isin(idist, nbrs)] = 0.5
    district[(pd == idist) & (pd != 0)] = 1.0
    out[:, COLUMN["district"]] = district
    out[:, COLUMN["accepts_vouchers"]] = items.vouchers[item_rows]
    out[:, COLUMN["popularity"]] = signals.popularity[icf]
    _kind_columns(out, items.kind[item_rows])
    return out


# ---------------------------------------------------------------------------------------------
# evidence
def evidence(raw: np.ndarray, contribution: np.ndarray, *, terms: list[str],
             district_relation_code: str | None, industry: str | None, category: str | None,
             price_fen: int | None, remaining_fen: int | None) -> tuple[Evidence, ...]:
    """The Evidence of one (party, item) pair: one per feature that is real and helped.

    ``raw`` / ``contribution``: that pair's feature values and their share of the score.
    """
    out = []
    for name, code in EVIDENCE_CODE.items():
        column = COLUMN[name]
        value, weight = float(raw[column]), float(contribution[column])
        if value <= 0 or weight <= 0:
            continue
        if code == "terms":
            if not terms:
                continue
            data = {"terms": list(terms)}
        elif code == "district":
            if district_relation_code is None:
                continue
            data = {"relation": "same" if value >= 1.0 else "neighbour",
                    "district": district_relation_code}
        elif code == "peers":
            count = int(round(float(np.expm1(value))))
            if count < 1 or not industry:
                continue
            data = {"count": count, "industry": industry}
        elif code == "similar_parties":
            count = int(round(float(np.expm1(value))))
            if count < 1:
                continue
            data = {"count": count}
        elif code == "category_affinity":
            if not industry or not category:
                continue
            data = {"industry": industry, "category": category}
        elif code == "voucher_fit":
            if price_fen is None or remaining_fen is None:
                continue
            data = {"price_fen": int(price_fen), "remaining_fen": int(remaining_fen)}
        else:
            data = {}
        out.append(Evidence(code=code, weight=weight, data=data))
    out.sort(key=lambda e: -e.weight)
    return tuple(out)
