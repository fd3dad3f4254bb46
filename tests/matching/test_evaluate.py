"""Offline evaluation: the metrics on hand-made rankings, the time-based split, the test cases,
the report, and on a small synthetic set the hybrid beating random."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from matching import evaluate as ev
from matching import synthetic
from matching.records import Context, Interaction, Item, Party, Scored

T0 = datetime(2026, 1, 1, tzinfo=UTC)


# --- metrics --------------------------------------------------------------------------------
def test_ndcg_of_a_perfect_ranking_is_one():
    assert ev.ndcg_at_k([1, 2, 3], {1, 2, 3}, k=10) == pytest.approx(1.0)
    assert ev.ndcg_at_k([3, 1, 2, 9, 8], {1, 2, 3}, k=10) == pytest.approx(1.0)


def test_ndcg_ideal_is_over_at_most_k_items():
    relevant = set(range(100, 120))
    assert ev.ndcg_at_k(list(range(100, 110)), relevant, k=10) == pytest.approx(1.0)


def test_ndcg_discounts_by_log2_of_the_rank():
    # one relevant item, found at rank 2: 1 / log2(3)
    assert ev.ndcg_at_k([7, 1], {1}, k=10) == pytest.approx(1.0 / math.log2(3))
    # two relevant, found at ranks 1 and 3: (1 + 1/2) / (1 + 1/log2(3))
    expected = (1.0 + 0.5) / (1.0 + 1.0 / math.log2(3))
    assert ev.ndcg_at_k([1, 9, 2], {1, 2}, k=10) == pytest.approx(expected)
    assert ev.ndcg_at_k([1, 9], {1}, k=10) > ev.ndcg_at_k([9, 1], {1}, k=10)


def test_ndcg_and_recall_ignore_what_is_beyond_k_and_empty_cases():
    assert ev.ndcg_at_k([5, 6, 1], {1}, k=2) == 0.0
    assert ev.recall_at_k([5, 6, 1], {1}, k=2) == 0.0
    assert ev.ndcg_at_k([1, 2], set(), k=10) == 0.0
    assert ev.recall_at_k([], {1}, k=10) == 0.0


def test_recall_counts_the_share_of_relevant_items_found():
    assert ev.recall_at_k([1, 5, 2, 6], {1, 2, 3, 4}, k=10) == pytest.approx(0.5)
    assert ev.recall_at_k([1, 2, 3], {1}, k=10) == pytest.approx(1.0)
    assert ev.recall_at_k([9, 9, 1], {1, 2}, k=10) == pytest.approx(0.5)


def test_coverage_counts_distinct_items_over_the_catalogue():
    assert ev.coverage([[1, 2], [2, 3], [3, 1]], 10, k=10) == pytest.approx(0.3)
    assert ev.coverage([[1, 2, 3, 4]], 10, k=2) == pytest.approx(0.2)
    assert ev.coverage([], 10) == 0.0
    assert ev.coverage([[1]], 0) == 0.0


# --- split and cases ------------------------------------------------------------------------
def _item(item_id: int, owner: int = 99, published: datetime | None = T0) -> Item:
    return Item(id=item_id, kind="instrument", owner_id=owner, district="140403",
                category="x_ray", words=("xrd",), text="xrd", published_at=published)


def _party(party_id: int) -> Party:
    return Party(id=party_id, industry="C", district="140403", words=("xrd",), text="xrd")


def _x(party_id: int, item_id: int, day: int, kind: str = "view") -> Interaction:
    return Interaction(party_id=party_id, item_id=item_id, kind=kind, at=T0 + timedelta(days=day))


def test_split_is_by_time():
    interactions = [_x(1, i, day) for i, day in enumerate([5, 1, 9, 3, 7, 2, 8, 4, 6, 10])]
    at = T0 + timedelta(days=6)
    train, test = ev.split(interactions, at)
    assert all(x.at < at for x in train)
    assert all(x.at >= at for x in test)
    assert len(train) + len(test) == len(interactions)


def test_default_split_is_the_80th_percentile_of_times():
    interactions = [_x(1, 1, day) for day in range(101)]
    at = ev.default_split(interactions)
    assert at == T0 + timedelta(days=80)
    train, test = ev.split(interactions, at)
    assert len(train) == 80


def test_default_split_needs_interactions():
    with pytest.raises(ValueError, match="no interactions"):
        ev.default_split([])


def test_cases_follow_the_definitions():
    candidates = {i.id: i for i in [_item(1), _item(2), _item(3), _item(4, owner=1)]}
    parties = [_party(1), _party(2), _party(3)]
    train = [_x(1, 1, 1), _x(1, 2, 2, "not_relevant"), _x(2, 3, 1, "not_relevant")]
    test = [
        _x(1, 1, 10, "booking"),   # seen before: not relevant
        _x(1, 2, 10),              # marked not relevant before: not relevant
        _x(1, 3, 11),              # new: relevant
        _x(1, 4, 11),              # own item: not relevant
        _x(1, 5, 11),              # not a candidate (published later): not relevant
        _x(1, 3, 12, "not_relevant"),
        _x(2, 1, 12),              # party 2 has no positive before: cold
        _x(3, 3, 12, "not_relevant"),  # no positive after: not a test user
    ]
    warm, cold = ev.cases_for(parties, candidates, train, test)
    assert [(c.party.id, set(c.relevant), set(c.excluded)) for c in warm] == [(1, {3}, {1, 2})]
    assert [(c.party.id, set(c.relevant), set(c.excluded)) for c in cold] == [(2, {1}, {3})]


def test_popularity_order_counts_distinct_parties_then_weight():
    candidates = {i: _item(i) for i in (1, 2, 3)}
    train = [_x(1, 1, 1), _x(1, 1, 2), _x(1, 1, 3), _x(2, 2, 1), _x(3, 2, 1), _x(3, 3, 1,
                                                                                "booking"),
             _x(4, 3, 1, "not_relevant"), _x(4, 7, 1)]
    # 2 has two parties; 3 (one booking, weight 5) outranks 1 (three views, weight 3)
    assert ev.popularity_order(train, candidates) == [2, 3, 1]


# --- evaluate with a stand-in recommender ---------------------------------------------------
class _Stub:
    """Ranks by item id; records the contexts it was given; may break the rules on purpose."""

    def __init__(self, items, cheat=False):
        self.ids = sorted(i.id for i in items)
        self.owner = {i.id: i.owner_id for i in items}
        self.cheat = cheat
        self.calls = []

    def recommend(self, party, *, context=Context(), k=10, mode="hybrid"):  # noqa: B008
        self.calls.append((party.id, mode, context))
        ids = [i for i in self.ids if self.cheat or (i not in context.excluded_item_ids
                                                     and self.owner[i] != party.id)]
        return [Scored(id=i, score=1.0 / (n + 1), evidence=()) for n, i in enumerate(ids[:k])]


def _tiny_market():
    items = [_item(i) for i in range(1, 21)] + [_item(21, published=T0 + timedelta(days=50))]
    parties = [_party(p) for p in (1, 2, 3)]
    interactions = [_x(1, 1, 1), _x(1, 2, 2), _x(2, 5, 3), _x(3, 9, 4),
                    _x(1, 3, 40, "enquiry"), _x(1, 1, 41), _x(2, 4, 42), _x(3, 21, 60)]
    return parties, items, interactions


def test_evaluate_passes_the_exclusions_and_scores_the_systems():
    parties, items, interactions = _tiny_market()
    stubs = []

    def fit(parties_, items_, train, *, now, **kwargs):
        assert all(x.at < now for x in train)
        assert all(i.published_at is None or i.published_at <= now for i in items_)
        assert kwargs == {"n_factors": 4}
        stubs.append(_Stub(items_))
        return stubs[-1]

    split_at = T0 + timedelta(days=30)
    report = ev.evaluate(parties, items, interactions, split_at=split_at, recommender=fit,
                         n_factors=4)
    stub = stubs[0]
    assert {c[1] for c in stub.calls} == {"hybrid", "content", "popular"}
    contexts = {party_id: c.excluded_item_ids for party_id, _, c in stub.calls}
    assert contexts == {1: frozenset({1, 2}), 2: frozenset({5})}
    # party 1's relevant item is 3 (1 was seen before); the stub ranks 3 first: perfect
    # party 2's relevant item is 4; the stub ranks 1, 2, 3, 4: rank 4
    hybrid = report.systems["hybrid"]
    assert hybrid.users == 2
    assert hybrid.ndcg == pytest.approx((1.0 + 1.0 / math.log2(5)) / 2)
    assert hybrid.recall == pytest.approx(1.0)
    assert hybrid.violations == 0
    assert report.counts["candidates"] == 20
    assert report.counts["test_users"] == 2
    assert report.systems["random"].users == 2
    assert report.systems["most-popular"].violations == 0
    assert report.systems["random"].violations == 0


def test_evaluate_counts_rule_violations():
    parties, items, interactions = _tiny_market()
    report = ev.evaluate(parties, items, interactions, split_at=T0 + timedelta(days=30),
                         recommender=lambda p, i, t, now: _Stub(i, cheat=True),
                         systems=("hybrid",))
    assert report.systems["hybrid"].violations > 0
    assert "excluded items returned" in report.table()


def test_report_table_and_dict_say_how_much_the_hybrid_gains():
    figures = {"hybrid": ev.Figures(0.3, 0.12, 0.2, 10, 3.0),
               "content-only": ev.Figures(0.2, 0.08, 0.3, 10, 2.0),
               "most-popular": ev.Figures(0.1, 0.06, 0.01, 10),
               "popular (model)": ev.Figures(0.1, 0.04, 0.01, 10, 1.0),
               "random": ev.Figures(0.0, 0.001, 0.5, 10)}
    counts = {"train_interactions": 80, "test_interactions": 20, "candidates": 100,
              "test_users": 10, "sampled_users": 10, "relevant_per_user": 2.0, "cold_users": 0,
              "sampled_cold_users": 0}
    report = ev.Report(k=10, split_at=T0, counts=counts, systems=figures)
    table = report.table()
    assert "hybrid vs most-popular NDCG@10: +100.0%" in table      # the better popular baseline
    assert "hybrid vs content-only NDCG@10: +50.0%" in table
    lines = table.splitlines()
    header = next(line for line in lines if line.startswith("system"))
    rows = [line for line in lines if line.split()[0] in ("hybrid", "random") and " vs " not in line]
    assert len(rows) == 2
    assert all(len(row) <= len(header) for row in rows)
    data = report.as_dict()
    assert data["hybrid_vs_most_popular_ndcg_pct"] == pytest.approx(100.0)
    assert data["hybrid_vs_content_ndcg_pct"] == pytest.approx(50.0)
    assert data["systems"]["hybrid"]["ndcg"] == pytest.approx(0.12)
    assert data["split_at"] == T0.isoformat()


def test_report_improvement_is_undefined_against_a_zero_baseline():
    figures = {"hybrid": ev.Figures(0.3, 0.12, 0.2, 10), "content-only": ev.Figures(0, 0, 0, 10)}
    report = ev.Report(k=10, split_at=T0, counts={}, systems=figures)
    assert report.improvement("hybrid", "content-only") is None


# --- the real recommender on a small synthetic set -------------------------------------------
def test_hybrid_beats_random_on_a_small_synthetic_set():
    pytest.importorskip("matching.model")
    parties, items, interactions, _ = synthetic.generate(200, 1000, 5000, seed=0)
    report = ev.evaluate(parties, items, interactions, max_users=200, seed=0,
                         neighbours=synthetic.neighbours(), random_state=0)
    hybrid, random_ = report.systems["hybrid"], report.systems["random"]
    assert hybrid.users >= 50
    assert hybrid.ndcg > random_.ndcg + 0.03
    assert hybrid.ndcg > 3 * random_.ndcg
    assert all(f.violations == 0 for f in report.systems.values())
