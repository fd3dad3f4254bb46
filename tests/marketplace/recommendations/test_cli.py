"""``flask matching train|evaluate|digest``."""

from __future__ import annotations

import json
from pathlib import Path

from matching import store


def test_train_saves_an_artifact_with_metadata(app, world):
    result = app.test_cli_runner().invoke(args=["matching", "train"])
    assert result.exit_code == 0, result.output
    assert "data: parties=" in result.output and "model saved:" in result.output
    path = store.latest(Path(app.config["MODEL_DIR"]))
    assert path is not None
    metadata = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert metadata["counts"]["items"] >= 5 and metadata["sklearn_version"]
    assert "evaluation" in metadata


def test_train_refuses_an_empty_database(app, db):
    result = app.test_cli_runner().invoke(args=["matching", "train"])
    assert result.exit_code != 0 and "nothing to train on" in result.output


def test_evaluate_prints_the_table(app, world):
    result = app.test_cli_runner().invoke(args=["matching", "evaluate"])
    assert result.exit_code == 0, result.output
    assert "NDCG@10" in result.output and "most-popular" in result.output


def test_digest_command_sends_and_then_does_not(app, world):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["matching", "digest"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["matching", "digest"])
    assert "digests sent to 0 organisations" in second.output
    assert first.output != second.output
