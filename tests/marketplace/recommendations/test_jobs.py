"""The recommender's scheduled work: weekly digests and retraining, from the jobs thread."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.recommendations import jobs
from marketplace.recommendations.models import DigestSent
from matching import store


def test_digest_is_due_from_monday_eight_beijing_time():
    # 2026-11-30 is a Monday; 08:00 in Beijing is 00:00 UTC.
    assert not jobs.digest_due(datetime(2026, 11, 29, 23, 59, tzinfo=UTC))  # Mon 07:59 Beijing
    assert jobs.digest_due(datetime(2026, 11, 30, 0, 0, tzinfo=UTC))  # Mon 08:00
    assert jobs.digest_due(datetime(2026, 12, 6, 15, 59, tzinfo=UTC))  # Sun 23:59
    assert not jobs.digest_due(datetime(2026, 12, 6, 16, 30, tzinfo=UTC))  # Mon 00:30 again


def test_retraining_is_due_without_an_artifact_and_not_after_one(app, tmp_path):
    now = datetime.now(UTC)
    assert jobs.retrain_due(tmp_path, now, 24)
    assert not jobs.retrain_due(tmp_path, now, 0)  # switched off


def test_run_due_trains_once_and_sends_each_digest_once(app, world, monkeypatch):
    monkeypatch.setattr(jobs, "digest_due", lambda now: True)
    app.config["MATCHING_RETRAIN_HOURS"] = 24
    first = jobs.run_due(app, force=True)
    assert first["trained"] and Path(first["trained"]).exists()
    assert first["digests"] >= 1
    assert store.latest(Path(app.config["MODEL_DIR"])) == Path(first["trained"])

    second = jobs.run_due(app, force=True)
    assert second["digests"] == 0  # once per organisation and ISO week
    assert "trained" not in second  # the artifact is fresh
    sent = db.session.scalar(sa.select(sa.func.count()).select_from(DigestSent))
    assert sent == first["digests"]


def test_run_due_waits_an_hour_between_checks(app, world, monkeypatch):
    monkeypatch.setattr(jobs, "digest_due", lambda now: True)
    assert jobs.run_due(app, force=True)
    assert jobs.run_due(app) == {}  # checked a moment ago
