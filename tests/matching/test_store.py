"""Saving, finding and loading recommender artifacts (no database)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from matching import store
from matching.model import Recommender
from matching.records import Item, Party

NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def recommender():
    items = [
        Item(1, "instrument", 100, "140402", "electron_microscopy", ("扫描电镜", "能谱"),
             "扫描电镜 能谱"),
        Item(2, "space", 101, "140403", "warehouse", ("仓库", "出租"), "仓库出租"),
    ]
    parties = [Party(7, "C", "140402", ("需要", "扫描电镜"), "需要扫描电镜")]
    return Recommender.fit(parties, items, [], now=NOW)


def test_save_and_load_round_trip(recommender, tmp_path):
    path = store.save(recommender, tmp_path)
    assert path.name.startswith("recommender-")
    assert path.suffix == ".joblib"
    metadata = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert metadata["sklearn_version"] == recommender.metadata["sklearn_version"]
    assert metadata["features"] == recommender.metadata["features"]
    assert metadata["counts"] == {"parties": 1, "items": 2, "interactions": 0}
    assert metadata["trained_at"].startswith("2026-11-01")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-")]
    loaded = store.load(path)
    party = Party(7, "C", "140402", ("需要", "扫描电镜"), "需要扫描电镜")
    assert [r.id for r in loaded.recommend(party, k=2)] == \
        [r.id for r in recommender.recommend(party, k=2)]
    assert loaded.recommend(party, k=1)[0].id == 1


def test_latest_is_the_newest_complete_artifact(recommender, tmp_path):
    assert store.latest(tmp_path) is None
    assert store.latest(tmp_path / "missing") is None
    first = store.save(recommender, tmp_path)
    second = store.save(recommender, tmp_path)
    assert first != second
    assert store.latest(tmp_path) == max(first, second)
    newest = max(first, second)
    newest.with_suffix(".json").unlink()          # an artifact without its metadata is skipped
    assert store.latest(tmp_path) == min(first, second)
    (tmp_path / "recommender-notastamp.joblib").write_bytes(b"")
    assert store.latest(tmp_path) == min(first, second)


def test_load_refuses_another_sklearn_version(recommender, tmp_path):
    path = store.save(recommender, tmp_path)
    sidecar = path.with_suffix(".json")
    metadata = json.loads(sidecar.read_text(encoding="utf-8"))
    metadata["sklearn_version"] = "0.1.0"
    sidecar.write_text(json.dumps(metadata), encoding="utf-8")
    path.write_bytes(b"not a pickle")             # proves the check happens before unpickling
    with pytest.raises(store.IncompatibleArtifact, match=r"scikit-learn 0\.1\.0.*flask matching"):
        store.load(path)


def test_load_refuses_missing_metadata(recommender, tmp_path):
    path = store.save(recommender, tmp_path)
    path.with_suffix(".json").unlink()
    with pytest.raises(store.IncompatibleArtifact, match="metadata"):
        store.load(path)


def test_prune_keeps_the_newest(recommender, tmp_path):
    saved = [store.save(recommender, tmp_path) for _ in range(4)]
    deleted = store.prune(tmp_path, keep=2)
    assert sorted(deleted) == sorted(saved)[:2]
    assert sorted(tmp_path.glob("*.joblib")) == sorted(saved)[2:]
    assert len(list(tmp_path.glob("*.json"))) == 2
    assert store.latest(tmp_path) == max(saved)
    assert store.prune(tmp_path / "missing") == []


def test_load_refuses_another_recommender_format(recommender, tmp_path):
    path = store.save(recommender, tmp_path)
    sidecar = path.with_suffix(".json")
    metadata = json.loads(sidecar.read_text(encoding="utf-8"))
    del metadata["format"]
    sidecar.write_text(json.dumps(metadata), encoding="utf-8")
    with pytest.raises(store.IncompatibleArtifact, match="format"):
        store.load(path)
