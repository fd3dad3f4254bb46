"""The hybrid recommender: content, collaborative and context features, combined by a ranker.

Training (``Recommender.fit``) never lets the ranker see its own labels: the positive
interactions are split by time, the interaction signals are fitted on the earlier 80 % and the
ranker (a logistic regression on standardised features) learns from the later 20 % against
sampled negatives (random items, and the items the party called not relevant as hard ones).
The signals are then refitted on all interactions for serving. With too few interactions to
learn from, fixed weights (content first) stand in, and ``metadata["ranker"]`` says "fallback".

Serving is one vectorised feature matrix for all candidates, a dot product and a top-k; the
evidence is built for the k results only. Hard rules apply after scoring: never the party's own
items, nor excluded items or owners, nor items it marked not relevant, nor other kinds.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression

from .features import (
    COLUMN,
    FEATURES,
    ContentIndex,
    ItemQuery,
    ItemTable,
    PartyQuery,
    PartyTable,
    Vocab,
    evidence,
    fit_signals,
    item_features,
    matvec,
    pair_features,
    party_features,
)
from .records import (
    INTERACTION_WEIGHTS,
    ITEM_KINDS,
    NEGATIVE_KINDS,
    Context,
    Evidence,
    Interaction,
    Item,
    Party,
    Scored,
)
from .text import Analyzer

MODES = ("hybrid", "content", "popular")
FORMAT = 3                     # bump when a fitted Recommender's attributes change meaning
LABEL_SHARE = 0.2              # the latest share of positive interactions the ranker learns from
MIN_POSITIVES = 20             # fewer labelled pairs than this: fixed weights instead
MAX_POSITIVES = 40_000         # labelled pairs sampled for the ranker (enough for 13 weights)
RANDOM_NEGATIVES = 4
# Negatives drawn by popularity teach the ranker to discount popularity; on the synthetic set
# that cost 15 % NDCG@10, so none are drawn (the mechanism stays for data where it pays).
POPULAR_NEGATIVES = 0
# Fixed weights per raw feature unit: the fallback ranker, and the weight of a feature training
# cannot see (voucher_fit depends on the request's quota), rescaled to the trained content weight.
FALLBACK_WEIGHTS = {
    "content": 1.0, "collaborative": 0.3, "peers": 0.05, "similar_parties": 0.05,
    "district": 0.1, "category_affinity": 0.05, "voucher_fit": 0.1, "accepts_vouchers": 0.03,
    "popularity": 0.02,
}


@dataclass
class Ranker:
    """score = intercept + coef · (features − mean) / scale."""

    kind: str                  # "logistic" | "fallback"
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float = 0.0

    @classmethod
    def fallback(cls) -> Ranker:
        coef = np.array([FALLBACK_WEIGHTS.get(name, 0.0) for name in FEATURES], np.float32)
        zeros, ones = np.zeros(len(FEATURES), np.float32), np.ones(len(FEATURES), np.float32)
        return cls("fallback", zeros, ones, coef, 0.0)

    def linear(self) -> tuple[np.ndarray, float]:
        weights = (self.coef / self.scale).astype(np.float32)
        return weights, float(self.intercept - self.mean @ weights)

    def contributions(self, raw: np.ndarray) -> np.ndarray:
        return (raw - self.mean) / self.scale * self.coef

    def score(self, logits: np.ndarray) -> np.ndarray:
        if self.kind == "logistic":
            return 1.0 / (1.0 + np.exp(-logits))
        return logits

    def weights(self) -> dict[str, float]:
        return {name: round(float(w), 4) for name, w in zip(FEATURES, self.coef, strict=True)}


class Recommender:
    """See the module docstring; built by :meth:`fit`, saved and loaded by ``matching.store``."""

    metadata: dict

    # -----------------------------------------------------------------------------------------
    # training
    @classmethod
    def fit(cls, parties: Sequence[Party], items: Sequence[Item],
            interactions: Sequence[Interaction], *, now: datetime,
            synonyms: Sequence[Sequence[tuple[str, ...]]] = (),
            neighbours: Mapping[str, frozenset[str]] = {},  # noqa: B006 (read only)
            n_factors: int = 32, random_state: int = 0) -> Recommender:
        self = cls.__new__(cls)
        started = datetime.now(UTC)
        parties = list({p.id: p for p in parties}.values())
        items = list({i.id: i for i in items}.values())
        self.analyzer = Analyzer(synonyms)
        documents = [(i.words, i.text) for i in items] + [(p.words, p.text) for p in parties]
        self.content = ContentIndex(self.analyzer)
        vectors = self.content.fit_transform(documents)
        self.industries = Vocab(sorted({p.industry for p in parties if p.industry}))
        self.categories = Vocab(sorted({i.category for i in items if i.category}))
        self.districts = Vocab()
        self.neighbours = {}
        for district, near in neighbours.items():
            code = self.districts.add(district)
            self.neighbours[code] = np.array(sorted(self.districts.add(d) for d in near),
                                             np.int32)

        positives = [i for i in interactions if i.kind in INTERACTION_WEIGHTS]
        self.not_relevant: dict[int, set[int]] = {}
        for i in interactions:
            if i.kind in NEGATIVE_KINDS:
                self.not_relevant.setdefault(i.party_id, set()).add(i.item_id)
        self._rejected_by: dict[int, list[int]] = {}
        for party_id, rejected in self.not_relevant.items():
            for item_id in rejected:
                self._rejected_by.setdefault(item_id, []).append(party_id)

        industry_of = {p.id: self.industries.get(p.industry) for p in parties}
        category_of = {i.id: self.categories.get(i.category) for i in items}
        signal_args = {"party_industry": industry_of, "item_category": category_of,
                       "n_industries": len(self.industries),
                       "n_categories": len(self.categories),
                       "n_factors": n_factors, "random_state": random_state}
        # empty signals first so the tables can be built; replaced below
        self.signals = fit_signals([], now=now, **signal_args)
        dim = self.content.width
        self.items = ItemTable(dim)
        self.parties = PartyTable(dim)
        if items:
            self.items = self.items.appended(items, vectors[:len(items)], self.districts,
                                             self.categories, self.signals)
        if parties:
            self.parties = self.parties.appended(parties, vectors[len(items):], self.districts,
                                                 self.industries, self.signals)

        self.ranker, training = self._train_ranker(positives, now, signal_args, random_state)
        self.signals = fit_signals(positives, now=now, **signal_args)
        self.items.remap(self.signals)
        self.parties.remap(self.signals)
        self.metadata = {
            "sklearn_version": sklearn.__version__,
            "format": FORMAT,
            "features": list(FEATURES),
            "trained_at": now.astimezone(UTC).isoformat(),
            "counts": {"parties": len(parties), "items": len(items),
                       "interactions": len(interactions)},
            "evaluation": {},
            "ranker": self.ranker.kind,
            "weights": self.ranker.weights(),
            "training": training | {
                "seconds": round((datetime.now(UTC) - started).total_seconds(), 2)},
            "vocabulary": self.content.vocabulary,
            "dropped_common_grams": self.content.dropped_grams,
            "synonym_groups": len(self.analyzer.groups),
        }
        return self

    def _train_ranker(self, positives: list[Interaction], now: datetime, signal_args: dict,
                      random_state: int) -> tuple[Ranker, dict]:
        rng = np.random.default_rng(random_state)
        if len(positives) < 2 * MIN_POSITIVES:
            return Ranker.fallback(), {"labels": 0, "reason": "too few interactions"}
        times = np.array([i.at.timestamp() for i in positives])
        cutoff_ts = float(np.quantile(times, 1.0 - LABEL_SHARE))
        early = [i for i, t in zip(positives, times, strict=True) if t < cutoff_ts]
        late = [i for i, t in zip(positives, times, strict=True) if t >= cutoff_ts]
        labels = {(i.party_id, i.item_id) for i in late
                  if i.party_id in self.parties.index and i.item_id in self.items.index}
        if len(labels) < MIN_POSITIVES or not early:
            return Ranker.fallback(), {"labels": len(labels), "reason": "too few labels"}
        cutoff = datetime.fromtimestamp(cutoff_ts, UTC)
        signals = fit_signals(early, now=cutoff, **signal_args)
        self.items.remap(signals)
        self.parties.remap(signals)

        labels = sorted(labels)
        if len(labels) > MAX_POSITIVES:
            picked = rng.choice(len(labels), MAX_POSITIVES, replace=False)
            labels = [labels[n] for n in sorted(picked)]
        p_rows = np.array([self.parties.index[p] for p, _ in labels], np.int64)
        i_rows = np.array([self.items.index[i] for _, i in labels], np.int64)
        wanted = set(labels)

        live = np.flatnonzero(self.items.alive)
        neg_p = [np.repeat(p_rows, RANDOM_NEGATIVES)]
        neg_i = [live[rng.integers(0, len(live), len(p_rows) * RANDOM_NEGATIVES)]]
        popularity = signals.popularity[self.items.cf[live]].astype(np.float64)
        if POPULAR_NEGATIVES and popularity.sum() > 0:
            neg_p.append(np.repeat(p_rows, POPULAR_NEGATIVES))
            neg_i.append(live[rng.choice(len(live), len(p_rows) * POPULAR_NEGATIVES,
                                         p=popularity / popularity.sum())])
        hard = [(self.parties.index[p], self.items.index[i])
                for p, rejected in self.not_relevant.items() if p in self.parties.index
                for i in rejected if i in self.items.index]
        if hard:
            neg_p.append(np.array([h[0] for h in hard], np.int64))
            neg_i.append(np.array([h[1] for h in hard], np.int64))
        neg_p, neg_i = np.concatenate(neg_p), np.concatenate(neg_i)
        party_ids, item_ids = self.parties.ids[neg_p], self.items.ids[neg_i]
        keep = np.fromiter(((int(p), int(i)) not in wanted
                            for p, i in zip(party_ids, item_ids, strict=True)), bool, len(neg_p))
        keep &= self.items.owner[neg_i] != party_ids
        neg_p, neg_i = neg_p[keep], neg_i[keep]
        if not len(neg_p):
            return Ranker.fallback(), {"labels": len(labels), "reason": "no negatives"}

        rows_p = np.concatenate([p_rows, neg_p])
        rows_i = np.concatenate([i_rows, neg_i])
        y = np.concatenate([np.ones(len(p_rows)), np.zeros(len(neg_p))])
        x = pair_features(rows_p, rows_i, self.parties, self.items, signals, self.neighbours)
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        untrained = scale < 1e-6
        scale[untrained] = 1.0
        mean[untrained] = 0.0
        z = (x - mean) / scale
        z[:, untrained] = 0.0
        model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000,
                                   random_state=random_state)
        model.fit(z, y)
        coef = model.coef_[0].astype(np.float32)
        # features training cannot see get their fixed weight, in the trained content scale
        content_per_unit = coef[COLUMN["content"]] / scale[COLUMN["content"]]
        ratio = content_per_unit / FALLBACK_WEIGHTS["content"] if content_per_unit > 0 else 1.0
        for column in np.flatnonzero(untrained):
            coef[column] = FALLBACK_WEIGHTS.get(FEATURES[column], 0.0) * ratio
        ranker = Ranker("logistic", mean.astype(np.float32), scale.astype(np.float32), coef,
                        float(model.intercept_[0]))
        return ranker, {"labels": len(labels), "negatives": int(len(neg_p)),
                        "cutoff": cutoff.isoformat(),
                        "untrained": [FEATURES[c] for c in np.flatnonzero(untrained)]}

    # -----------------------------------------------------------------------------------------
    # folding in
    def add_items(self, items: Iterable[Item]) -> None:
        """Adds new listings or replaces edited ones (content at once; no collaborative data)."""
        items = list({i.id: i for i in items}.values())
        if items:
            vectors = self.content.transform([(i.words, i.text) for i in items])
            self.items = self.items.appended(items, vectors, self.districts, self.categories,
                                             self.signals)

    def add_parties(self, parties: Iterable[Party]) -> None:
        """Adds new parties or replaces changed profiles."""
        parties = list({p.id: p for p in parties}.values())
        if parties:
            vectors = self.content.transform([(p.words, p.text) for p in parties])
            self.parties = self.parties.appended(parties, vectors, self.districts,
                                                 self.industries, self.signals)

    # -----------------------------------------------------------------------------------------
    # serving
    def recommend(self, party: Party, *, context: Context = Context(), k: int = 10,  # noqa: B008
                  kinds: Collection[str] | None = None, mode: str = "hybrid",
                  candidates: Collection[int] | None = None) -> list[Scored]:
        """The k best items for ``party``, best first, with their evidence.

        Scores: "hybrid" the ranker's probability (logistic) or weighted sum (fallback);
        "content" the cosine (only items sharing some text); "popular" log decayed popularity
        (no evidence: popularity explains nothing about the party). Evidence "district" names
        the item's district.
        """
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {MODES}")
        query = self._party_query(party, context)
        items = self.items
        allowed = items.alive & (items.kind >= 0)
        if kinds is not None:
            codes = [ITEM_KINDS.index(kind) for kind in kinds if kind in ITEM_KINDS]
            allowed &= np.isin(items.kind, codes)
        allowed &= items.owner != party.id
        if context.excluded_owner_ids:
            allowed &= ~np.isin(items.owner, np.fromiter(context.excluded_owner_ids, np.int64))
        excluded = set(context.excluded_item_ids) | self.not_relevant.get(party.id, set())
        if excluded:
            allowed[items.rows_of(excluded)] = False
        if candidates is not None:
            restrict = np.zeros(len(items), bool)
            restrict[items.rows_of(candidates)] = True
            allowed &= restrict

        if mode == "popular":
            scores = self.signals.popularity[items.cf].astype(np.float64)
            top = _top(scores, allowed, k)
            return [Scored(int(items.ids[r]), float(scores[r]), ()) for r in top]
        content = items.rows.scores(query.vector)
        if mode == "content":
            top = _top(content, allowed & (content > 0), k)
            return [Scored(int(items.ids[r]), float(content[r]),
                           self._content_evidence(query, items.rows.row(r), float(content[r])))
                    for r in top]
        raw = party_features(query, items, self.signals, content)
        weights, bias = self.ranker.linear()
        logits = matvec(raw, weights) + bias
        top = _top(logits, allowed, k)
        scores = self.ranker.score(logits[top])
        out = []
        for row, score in zip(top, scores, strict=True):
            contribution = self.ranker.contributions(raw[row])
            terms = self.content.terms(query.vector, items.rows.row(row), query.labels,
                                       query.triggers)
            district = int(items.district[row])
            out.append(Scored(int(items.ids[row]), float(score), evidence(
                raw[row], contribution, terms=terms,
                district_relation_code=self.districts.values[district] if district else None,
                industry=self.industries.values[query.industry],
                category=self.categories.values[int(items.category[row])],
                price_fen=None if items.price[row] < 0 else int(items.price[row]),
                remaining_fen=query.remaining_fen)))
        return out

    def parties_for_item(self, item: Item, *, k: int = 10,
                         candidates: Collection[int] | None = None) -> list[Scored]:
        """The k parties most likely to want ``item`` (never its owner, nor a party that called
        it not relevant), best first; evidence "terms" in the party's words, "district" naming
        the party's district."""
        query = self._item_query(item)
        parties = self.parties
        allowed = parties.alive & (parties.ids != item.owner_id)
        rejected = self._rejected_by.get(item.id)
        if rejected:
            allowed &= ~np.isin(parties.ids, rejected)
        if candidates is not None:
            allowed &= np.isin(parties.ids, np.fromiter(candidates, np.int64))
        raw = item_features(query, parties, self.signals, self.neighbours)
        weights, bias = self.ranker.linear()
        logits = matvec(raw, weights) + bias
        top = _top(logits, allowed, k)
        scores = self.ranker.score(logits[top])
        category = self.categories.values[query.category]
        out = []
        for row, score in zip(top, scores, strict=True):
            contribution = self.ranker.contributions(raw[row])
            triggers = self.analyzer.synonym_matches(parties.words[row], parties.texts[row])
            document = (parties.words[row], parties.texts[row])
            terms = self.content.terms(parties.rows.row(row), query.vector,
                                       self.content.labels(document), triggers)
            district = int(parties.district[row])
            out.append(Scored(int(parties.ids[row]), float(score), evidence(
                raw[row], contribution, terms=terms,
                district_relation_code=self.districts.values[district] if district else None,
                industry=self.industries.values[int(parties.industry[row])],
                category=category, price_fen=None, remaining_fen=None)))
        return out

    # -----------------------------------------------------------------------------------------
    def _party_query(self, party: Party, context: Context) -> PartyQuery:
        district = self.districts.get(party.district)
        industry = self.industries.get(party.industry)
        vector, labels = self.content.vector((party.words, party.text))
        return PartyQuery(
            id=party.id,
            vector=vector,
            labels=labels,
            cf=self.signals.party_row(party.id),
            industry=min(industry, self.signals.peers.shape[0] - 1),
            district=district,
            neighbour_districts=self.neighbours.get(district, np.zeros(0, np.int32)),
            remaining_fen=context.remaining_quota_fen,
            triggers=self.analyzer.synonym_matches(party.words, party.text),
        )

    def _item_query(self, item: Item) -> ItemQuery:
        kind = ITEM_KINDS.index(item.kind) if item.kind in ITEM_KINDS else -1
        return ItemQuery(
            id=item.id,
            vector=self.content.vector((item.words, item.text))[0],
            cf=self.signals.item_row(item.id),
            kind=kind,
            category=min(self.categories.get(item.category), self.signals.affinity.shape[1] - 1),
            district=self.districts.get(item.district),
            owner_id=item.owner_id,
            price_fen=item.price_fen,
            accepts_vouchers=bool(item.accepts_vouchers),
        )

    def _content_evidence(self, query: PartyQuery, other, weight: float) -> tuple[Evidence, ...]:
        terms = self.content.terms(query.vector, other, query.labels, query.triggers)
        if not terms or weight <= 0:
            return ()
        return (Evidence("terms", weight, {"terms": terms}),)


def _top(scores: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
    """Rows of the k best allowed scores, best first (ties by row, so results are stable)."""
    rows = np.flatnonzero(allowed)
    if not len(rows) or k <= 0:
        return np.zeros(0, np.int64)
    values = scores[rows]
    if len(rows) > k:
        best = np.argpartition(-values, k - 1)[:k]
        rows, values = rows[best], values[best]
    order = np.lexsort((rows, -values))
    return rows[order]


__all__ = ["MODES", "Ranker", "Recommender"]
