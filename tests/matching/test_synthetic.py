"""The synthetic marketplace: sizes, validity, determinism and the documented hidden structure."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from matching import synthetic
from matching.records import INTERACTION_WEIGHTS, ITEM_KINDS, NEGATIVE_KINDS

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def small():
    return synthetic.generate(n_parties=200, n_items=1000, n_interactions=5000, seed=0, now=NOW)


@pytest.fixture(scope="module")
def medium():
    return synthetic.generate(n_parties=600, n_items=3000, n_interactions=20000, seed=1, now=NOW)


def test_generate_sizes_and_ids(small):
    parties, items, interactions, truth = small
    assert len(parties) == 200
    assert len(items) == 1000
    assert len(interactions) == 5000
    assert [p.id for p in parties] == list(range(1, 201))
    assert [i.id for i in items] == list(range(1, 1001))
    party_ids = {p.id for p in parties}
    item_ids = {i.id for i in items}
    assert all(x.party_id in party_ids and x.item_id in item_ids for x in interactions)
    assert truth.party_taste.shape == (200, len(synthetic.TOPICS))
    assert np.allclose(truth.party_taste.sum(axis=1), 1.0)


def test_generate_records_are_valid(small):
    parties, items, interactions, _ = small
    assert {p.industry for p in parties} <= set(synthetic.INDUSTRIES)
    assert {p.district for p in parties} | {i.district for i in items} <= set(synthetic.DISTRICTS)
    for item in items:
        assert item.kind in ITEM_KINDS
        assert synthetic.CATEGORY_KIND[item.category] == item.kind
        assert item.words
        assert item.text == " ".join(item.words)
        assert item.price_fen is not None
        assert item.price_fen > 0
        assert not item.accepts_vouchers or item.kind == "instrument"
    assert all(p.words and p.text for p in parties)
    kinds = set(INTERACTION_WEIGHTS) | NEGATIVE_KINDS
    assert {x.kind for x in interactions} <= kinds
    conversion = {"booking": "instrument", "licence": "technology", "lease": "space",
                  "pledge": "campaign"}
    by_id = {i.id: i for i in items}
    for x in interactions:
        if x.kind in conversion:
            assert by_id[x.item_id].kind == conversion[x.kind]


def test_generate_times_are_aware_and_ordered(small):
    _, items, interactions, _ = small
    by_id = {i.id: i for i in items}
    year_ago = NOW - timedelta(days=365)
    for item in items:
        assert item.published_at.tzinfo is not None
        assert item.published_at.utcoffset() == timedelta(0)
        assert item.published_at < NOW
    for x in interactions:
        assert x.at.tzinfo is not None
        assert x.at.utcoffset() == timedelta(0)
        assert year_ago <= x.at <= NOW
        assert x.at >= by_id[x.item_id].published_at
    assert [x.at for x in interactions] == sorted(x.at for x in interactions)
    # spread over the year, not bunched
    months = {(x.at.year, x.at.month) for x in interactions}
    assert len(months) >= 12


def test_generate_is_deterministic_under_the_seed():
    a = synthetic.generate(50, 300, 1000, seed=5, now=NOW)
    b = synthetic.generate(50, 300, 1000, seed=5, now=NOW)
    c = synthetic.generate(50, 300, 1000, seed=6, now=NOW)
    assert a[0] == b[0]
    assert a[1] == b[1]
    assert a[2] == b[2]
    assert a[2] != c[2]


def test_generate_refuses_naive_now():
    with pytest.raises(ValueError, match="timezone-aware"):
        synthetic.generate(10, 10, 10, now=datetime(2026, 6, 1))  # noqa: DTZ001


def test_parties_never_interact_with_their_own_items(small):
    _, items, interactions, _ = small
    owner = {i.id: i.owner_id for i in items}
    assert all(owner[x.item_id] != x.party_id for x in interactions)


def test_interaction_kinds_follow_the_documented_order(medium):
    counts = Counter(x.kind for x in medium[2])
    order = ["view", "enquiry", "booking", "licence", "lease", "pledge"]
    assert [counts[k] for k in order] == sorted((counts[k] for k in order), reverse=True)
    share = counts["not_relevant"] / len(medium[2])
    assert share == pytest.approx(synthetic.NOT_RELEVANT_SHARE, abs=0.005)


def _positive_indices(data):
    _, _, interactions, _ = data
    positive = [x for x in interactions if x.kind not in NEGATIVE_KINDS]
    return (np.asarray([x.party_id - 1 for x in positive]),
            np.asarray([x.item_id - 1 for x in positive]))


def test_parties_prefer_their_industrys_categories_far_above_chance(medium):
    truth = medium[3]
    p, i = _positive_indices(medium)
    preferred = truth.affinity[truth.party_industry[p], truth.item_category[i]] > 0
    # chance: the share of items in a preferred category, for the same parties
    chance = (truth.affinity[:, truth.item_category] > 0).mean(axis=1)[truth.party_industry[p]]
    assert preferred.mean() > 2.0 * chance.mean()


def test_parties_prefer_their_own_and_neighbouring_districts(medium):
    truth = medium[3]
    p, i = _positive_indices(medium)
    same = truth.party_district[p] == truth.item_district[i]
    item_share = np.bincount(truth.item_district, minlength=12) / len(truth.item_district)
    chance = item_share[truth.party_district[p]]
    assert same.mean() > 1.5 * chance.mean()
    codes = synthetic.DISTRICTS
    adjacent = synthetic.neighbours()
    near = np.asarray([[codes[b] in adjacent[codes[a]] for b in range(12)] for a in range(12)])
    elsewhere = ~same  # among the choices outside the own district, neighbours are favoured
    chosen_near = near[truth.party_district[p], truth.item_district[i]][elsewhere]
    other_share = 1.0 - item_share[truth.party_district[p]]
    near_chance = (near.astype(float) @ item_share)[truth.party_district[p]] / other_share
    assert chosen_near.mean() > 1.1 * near_chance[elsewhere].mean()


def test_parties_follow_their_latent_taste(medium):
    truth = medium[3]
    p, i = _positive_indices(medium)
    taste_of_chosen = truth.party_taste[p, truth.item_topic[i]]
    assert taste_of_chosen.mean() > 4.0 * truth.party_taste[p].mean()


def test_not_relevant_marks_fall_on_unwanted_categories(medium):
    truth = medium[3]
    negatives = [x for x in medium[2] if x.kind in NEGATIVE_KINDS]
    assert negatives
    values = [truth.affinity[truth.party_industry[x.party_id - 1],
                             truth.item_category[x.item_id - 1]] for x in negatives]
    assert max(values) == 0.0


def test_profile_texts_share_words_with_their_topics(medium):
    parties, _, _, truth = medium
    topics = synthetic.TOPIC_NAMES
    own, other = [], []
    for index, party in enumerate(parties):
        main = topics[int(np.argmax(truth.party_taste[index]))]
        least = topics[int(np.argmin(truth.party_taste[index]))]
        words = set(party.words)
        own.append(len(words & set(synthetic.TOPICS[main])))
        other.append(len(words & set(synthetic.TOPICS[least])))
    assert np.mean(own) > 3.0 * np.mean(other)
    assert np.mean(other) > 0.0  # the profiles are noisy: content carries the signal partially


def test_truth_scores_match_one_party_and_many(small):
    truth = small[3]
    one = truth.scores(3)
    many = truth.scores(np.asarray([3, 4]))
    assert one.shape == (1000,)
    assert many.shape == (2, 1000)
    assert np.allclose(many[0], one)


def test_neighbours_are_symmetric_over_the_twelve_districts():
    adjacent = synthetic.neighbours()
    assert set(adjacent) == set(synthetic.DISTRICTS)
    assert len(adjacent) == 12
    for code, others in adjacent.items():
        assert code not in others
        assert others
        assert all(code in adjacent[other] for other in others)
