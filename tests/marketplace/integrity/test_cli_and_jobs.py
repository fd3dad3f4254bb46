"""``flask integrity scan`` and the hourly job: idempotent, throttled."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.integrity import jobs
from marketplace.integrity.models import NO_USAGE, Signal
from tests.marketplace.integrity.helpers import completed, make_world


def count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(Signal).where(
        Signal.kind == NO_USAGE))


def test_scan_command_twice_adds_nothing(app, db):
    world = make_world()
    completed(world, days_back=2, note="")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["integrity", "scan"])
    assert first.exit_code == 0 and "no_usage: 1" in first.output
    second = runner.invoke(args=["integrity", "scan"])
    assert second.exit_code == 0 and "no_usage" not in second.output
    assert count() == 1


def test_hourly_job_runs_at_most_hourly(app, db, monkeypatch):
    world = make_world()
    completed(world, days_back=2, note="")
    monkeypatch.setattr(jobs, "_last", {})
    assert jobs.run_due(app) is not None
    assert count() == 1
    assert jobs.run_due(app) is None  # within the hour: skipped
    assert jobs.run_due(app, force=True) == {}
