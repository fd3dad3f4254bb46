"""Offline evaluation of the recommender: a time-based split, recall@k, NDCG@k, catalogue coverage.

``evaluate(parties, items, interactions, split_at=None, k=10, **fit_kwargs)`` trains a
:class:`matching.model.Recommender` on the interactions before ``split_at`` (default: the 80th
percentile of interaction times) and asks it, as of ``split_at``, for the top k items of each
test user. The definitions:

- **candidates**: items with ``published_at`` at or before ``split_at`` (or unknown). Only they are
  given to ``Recommender.fit``; items published later did not exist at the split.
- **test users**: parties with at least one positive interaction (any kind but ``not_relevant``)
  before the split and at least one after it. **Cold users** (a positive after the split, none
  before) are measured separately. At most ``max_users`` of each are sampled (seeded).
- **relevant items** of a test user: candidates it interacted with positively after the split,
  minus the items it interacted with (in any way) before the split and its own items. Users left
  with no relevant item are not test users.
- **exclusions**, the same for every system: the items the user interacted with before the split
  are passed as ``Context(excluded_item_ids=...)``; the model itself leaves out the party's own
  items and what it marked not relevant (a subset of the former). The baselines below apply the
  identical rules, and every system's lists are checked against them (``violations``).
- **systems**: ``hybrid`` (``recommend(mode="hybrid")``), ``content-only`` (``mode="content"``),
  ``most-popular`` (this module's own count of distinct parties with a positive training
  interaction per item, ties by the summed interaction weights), ``popular (model)``
  (``mode="popular"``: the model's weighted, time-decayed popularity; for information) and
  ``random`` (uniform over the candidates, seeded). The comparison lines set the hybrid against
  the better of the two popularity baselines.
- **metrics** (binary relevance): recall@k = hits in the top k / number of relevant items;
  NDCG@k = DCG / ideal DCG with gain 1 / log2(rank + 1) and the ideal over min(|relevant|, k)
  items; catalogue coverage = distinct items recommended to the sampled test users / candidates.
  Recall and NDCG are means over the test users.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from matching.records import (
    INTERACTION_WEIGHTS,
    NEGATIVE_KINDS,
    Context,
    Interaction,
    Item,
    Party,
)

SYSTEMS = ("hybrid", "content-only", "most-popular", "popular (model)", "random")
MODEL_MODES = {"hybrid": "hybrid", "content-only": "content", "popular (model)": "popular"}


# --- metrics --------------------------------------------------------------------------------
def recall_at_k(ranked: Sequence[int], relevant: Collection[int], k: int = 10) -> float:
    """Share of the relevant items found in the first k of ``ranked``."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def ndcg_at_k(ranked: Sequence[int], relevant: Collection[int], k: int = 10) -> float:
    """Binary-relevance NDCG@k (log2 discount; ideal DCG over min(|relevant|, k) items)."""
    relevant = set(relevant)
    if not relevant:
        return 0.0
    dcg = sum(1.0 / math.log2(rank + 2) for rank, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(len(relevant), k)))
    return dcg / ideal


def coverage(rankings: Iterable[Sequence[int]], n_candidates: int, k: int = 10) -> float:
    """Distinct items in the top k of all rankings, over the number of candidate items."""
    if n_candidates <= 0:
        return 0.0
    seen: set[int] = set()
    for ranked in rankings:
        seen.update(ranked[:k])
    return len(seen) / n_candidates


# --- the report -----------------------------------------------------------------------------
@dataclass
class Figures:
    recall: float
    ndcg: float
    coverage: float
    users: int
    ms_per_request: float | None = None   # mean time of one recommendation (model systems)
    violations: int = 0                   # recommended items that broke the exclusion rules


@dataclass
class Report:
    k: int
    split_at: datetime
    counts: dict                           # interactions, train/test, candidates, users
    systems: dict[str, Figures]            # test users seen before the split
    cold: dict[str, Figures] = field(default_factory=dict)   # test users new after the split
    fit_seconds: float = 0.0

    def improvement(self, system: str, baseline: str) -> float | None:
        """Relative NDCG@k gain of ``system`` over ``baseline`` in per cent (None: undefined)."""
        a, b = self.systems.get(system), self.systems.get(baseline)
        if a is None or b is None or b.ndcg <= 0:
            return None
        return (a.ndcg / b.ndcg - 1.0) * 100.0

    def best_popular(self) -> str | None:
        present = [s for s in ("most-popular", "popular (model)") if s in self.systems]
        return max(present, key=lambda s: self.systems[s].ndcg) if present else None

    def table(self) -> str:
        k = self.k
        c = self.counts
        lines = [
            f"split at {self.split_at:%Y-%m-%d %H:%M} UTC: {c['train_interactions']:,} training / "
            f"{c['test_interactions']:,} test interactions; {c['candidates']:,} candidate items; "
            f"{c['test_users']:,} test users ({c['sampled_users']:,} evaluated), "
            f"{c['relevant_per_user']:.2f} relevant items per user; model trained in "
            f"{self.fit_seconds:.1f}s",
        ]
        lines += self._rows(self.systems, k)
        if self.cold:
            lines.append(f"cold users (no positive interaction before the split): "
                         f"{c['cold_users']:,} ({c['sampled_cold_users']:,} evaluated)")
            lines += self._rows(self.cold, k)
        popular = self.best_popular()
        for baseline, label in ((popular, "most-popular"), ("content-only", "content-only")):
            if baseline not in self.systems or "hybrid" not in self.systems:
                continue
            gain = self.improvement("hybrid", baseline)
            shown = "n/a (baseline NDCG is 0)" if gain is None else f"{gain:+.1f}%"
            which = f" [{baseline}]" if label == "most-popular" else ""
            lines.append(f"hybrid vs {label} NDCG@{k}: {shown} "
                         f"({self.systems['hybrid'].ndcg:.4f} vs "
                         f"{self.systems[baseline].ndcg:.4f}){which}")
        return "\n".join(lines)

    @staticmethod
    def _rows(systems: dict[str, Figures], k: int) -> list[str]:
        head = (f"{'system':<18}{f'recall@{k}':>11}{f'NDCG@{k}':>10}{'coverage':>10}"
                f"{'users':>8}{'ms/req':>8}")
        rows = [head]
        for name, f in systems.items():
            ms = f"{f.ms_per_request:.1f}" if f.ms_per_request is not None else "-"
            flag = f"  ({f.violations} excluded items returned!)" if f.violations else ""
            rows.append(f"{name:<18}{f.recall:>11.4f}{f.ndcg:>10.4f}{f.coverage:>10.4f}"
                        f"{f.users:>8,}{ms:>8}{flag}")
        return rows

    def as_dict(self) -> dict:
        def figures(group: dict[str, Figures]) -> dict:
            return {name: {"recall": round(f.recall, 4), "ndcg": round(f.ndcg, 4),
                           "coverage": round(f.coverage, 4), "users": f.users,
                           **({"violations": f.violations} if f.violations else {})}
                    for name, f in group.items()}

        popular = self.best_popular()
        return {
            "k": self.k,
            "split_at": self.split_at.isoformat(),
            "counts": dict(self.counts),
            "systems": figures(self.systems),
            "cold": figures(self.cold),
            "hybrid_vs_most_popular_ndcg_pct": (None if popular is None else _round(
                self.improvement("hybrid", popular))),
            "hybrid_vs_content_ndcg_pct": _round(self.improvement("hybrid", "content-only")),
            "fit_seconds": round(self.fit_seconds, 1),
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --- the split --------------------------------------------------------------------------------
def default_split(interactions: Sequence[Interaction], quantile: float = 0.8) -> datetime:
    """The ``quantile`` of interaction times (the 80th percentile by default)."""
    if not interactions:
        raise ValueError("no interactions to split")
    stamps = np.asarray([x.at.timestamp() for x in interactions])
    return datetime.fromtimestamp(float(np.quantile(stamps, quantile)), UTC)


def split(interactions: Iterable[Interaction], split_at: datetime
          ) -> tuple[list[Interaction], list[Interaction]]:
    """(before split_at, at or after split_at)."""
    train, test = [], []
    for x in interactions:
        (train if x.at < split_at else test).append(x)
    return train, test


@dataclass
class _Case:
    party: Party
    relevant: frozenset[int]
    excluded: frozenset[int]   # items the party interacted with before the split


def cases_for(parties: Sequence[Party], candidates: dict[int, Item],
               train: Sequence[Interaction], test: Sequence[Interaction]
               ) -> tuple[list[_Case], list[_Case]]:
    """(warm cases, cold cases) following the module's definitions."""
    seen: dict[int, set[int]] = defaultdict(set)
    warm: set[int] = set()
    for x in train:
        seen[x.party_id].add(x.item_id)
        if x.kind not in NEGATIVE_KINDS:
            warm.add(x.party_id)
    later: dict[int, set[int]] = defaultdict(set)
    for x in test:
        if x.kind not in NEGATIVE_KINDS:
            later[x.party_id].add(x.item_id)
    by_id = {p.id: p for p in parties}
    cases: tuple[list[_Case], list[_Case]] = ([], [])
    for party_id in sorted(later):
        party = by_id.get(party_id)
        if party is None:
            continue
        excluded = frozenset(seen.get(party_id, ()))
        relevant = frozenset(i for i in later[party_id] if i in candidates
                             and i not in excluded and candidates[i].owner_id != party_id)
        if relevant:
            cases[0 if party_id in warm else 1].append(_Case(party, relevant, excluded))
    return cases


# --- the baselines ----------------------------------------------------------------------------
def popularity_order(train: Sequence[Interaction], candidates: dict[int, Item]) -> list[int]:
    """Candidates by distinct parties with a positive interaction, then summed weight, then id."""
    parties: dict[int, set[int]] = defaultdict(set)
    weight: dict[int, float] = defaultdict(float)
    for x in train:
        if x.kind in NEGATIVE_KINDS or x.item_id not in candidates:
            continue
        parties[x.item_id].add(x.party_id)
        weight[x.item_id] += INTERACTION_WEIGHTS.get(x.kind, 1.0)
    return sorted(parties, key=lambda i: (-len(parties[i]), -weight[i], i))


def _allowed(case: _Case, item: Item | None) -> bool:
    return item is not None and item.id not in case.excluded and item.owner_id != case.party.id


def _top_popular(order: Sequence[int], candidates: dict[int, Item], case: _Case,
                 k: int) -> list[int]:
    result = []
    for item_id in order:
        if _allowed(case, candidates[item_id]):
            result.append(item_id)
            if len(result) == k:
                break
    return result


def _top_random(ids: np.ndarray, candidates: dict[int, Item], case: _Case, k: int,
                rng: np.random.Generator) -> list[int]:
    result: list[int] = []
    if not len(ids):
        return result
    tries = 0
    while len(result) < k and tries < 20:
        tries += 1
        for item_id in ids[rng.integers(len(ids), size=4 * k)].tolist():
            if item_id not in result and _allowed(case, candidates[item_id]):
                result.append(item_id)
                if len(result) == k:
                    break
    return result


# --- evaluate -----------------------------------------------------------------------------------
def evaluate(parties: Sequence[Party], items: Sequence[Item],
             interactions: Sequence[Interaction], *, split_at: datetime | None = None,
             k: int = 10, max_users: int = 2000, max_cold_users: int = 500, seed: int = 0,
             systems: Sequence[str] = SYSTEMS, recommender: Callable | None = None,
             **fit_kwargs) -> Report:
    """Train on the interactions before ``split_at``, measure the systems after it."""
    split_at = split_at or default_split(interactions)
    if split_at.tzinfo is None:
        raise ValueError("split_at must be timezone-aware")
    train, test = split(interactions, split_at)
    candidates = {i.id: i for i in items
                  if i.published_at is None or i.published_at <= split_at}
    warm, cold = cases_for(parties, candidates, train, test)
    rng = np.random.default_rng(seed)
    sampled = _sample(warm, max_users, rng)
    sampled_cold = _sample(cold, max_cold_users, rng)

    model = None
    fit_seconds = 0.0
    if any(s in MODEL_MODES for s in systems):
        if recommender is None:
            from matching.model import Recommender

            recommender = Recommender.fit
        started = time.perf_counter()
        model = recommender(parties, list(candidates.values()), train, now=split_at,
                            **fit_kwargs)
        fit_seconds = time.perf_counter() - started

    order = popularity_order(train, candidates) if "most-popular" in systems else []
    ids = np.fromiter(candidates, dtype=np.int64, count=len(candidates))

    def measure(cases: list[_Case], system: str, system_rng: np.random.Generator) -> Figures:
        rankings, recalls, ndcgs, elapsed, violations = [], [], [], 0.0, 0
        for case in cases:
            if system in MODEL_MODES:
                started = time.perf_counter()
                scored = model.recommend(case.party, k=k, mode=MODEL_MODES[system],
                                         context=Context(excluded_item_ids=case.excluded))
                elapsed += time.perf_counter() - started
                ranked = [s.id for s in scored]
            elif system == "most-popular":
                ranked = _top_popular(order, candidates, case, k)
            elif system == "random":
                ranked = _top_random(ids, candidates, case, k, system_rng)
            else:
                raise ValueError(f"unknown system {system!r}")
            bad = [i for i in ranked if not _allowed(case, candidates.get(i))]
            violations += len(bad)
            rankings.append(ranked)
            recalls.append(recall_at_k(ranked, case.relevant, k))
            ndcgs.append(ndcg_at_k(ranked, case.relevant, k))
        n = len(cases)
        return Figures(
            recall=float(np.mean(recalls)) if n else 0.0,
            ndcg=float(np.mean(ndcgs)) if n else 0.0,
            coverage=coverage(rankings, len(candidates), k), users=n,
            ms_per_request=(elapsed / n * 1000.0) if n and system in MODEL_MODES else None,
            violations=violations)

    results = {s: measure(sampled, s, np.random.default_rng(seed + 1)) for s in systems}
    cold_results = ({s: measure(sampled_cold, s, np.random.default_rng(seed + 2))
                     for s in systems} if sampled_cold else {})
    counts = {
        "parties": len(parties), "items": len(items), "interactions": len(interactions),
        "train_interactions": len(train), "test_interactions": len(test),
        "candidates": len(candidates), "test_users": len(warm), "sampled_users": len(sampled),
        "cold_users": len(cold), "sampled_cold_users": len(sampled_cold),
        "relevant_per_user": (float(np.mean([len(c.relevant) for c in sampled]))
                              if sampled else 0.0),
    }
    return Report(k=k, split_at=split_at, counts=counts, systems=results, cold=cold_results,
                  fit_seconds=fit_seconds)


def _sample(cases: list[_Case], limit: int, rng: np.random.Generator) -> list[_Case]:
    if len(cases) <= limit:
        return cases
    chosen = np.sort(rng.choice(len(cases), size=limit, replace=False))
    return [cases[i] for i in chosen]
