"""The scheduler: every periodic job once per period however many schedulers tick; a job still
waiting is not queued again."""

from __future__ import annotations

import threading

from marketplace import jobs
from marketplace.jobs import schedule

NAMES = [job.name for job in schedule.PERIODIC]


def test_two_schedulers_enqueue_each_job_once_per_period(app, queue_on, work):
    now = 1_800_000_000.0  # a fixed moment, so that no period boundary falls inside the test
    assert schedule.tick(app, now) == NAMES
    assert schedule.tick(app, now + 1) == []  # the other scheduler, same slots
    depths = jobs.queue_depths()
    assert depths["default"] == 5 and depths["slow"] == 3
    # a minute on: only the campaign deadline job's slot is new, and it still waits: no second
    assert schedule.tick(app, now + 60) == ["campaigns.close_due"]
    assert jobs.queue_depths()["default"] == 5
    assert work() >= 8
    assert jobs.queue_depths()["failed"] == 0
    assert schedule.tick(app, now + 120) == ["campaigns.close_due"]
    assert jobs.queue_depths()["default"] == 1  # ran, so queued again


def test_scheduler_command_once(app, queue_on):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["jobs", "scheduler", "--once"])
    assert first.exit_code == 0 and "campaigns.close_due" in first.output
    assert "nothing" in runner.invoke(args=["jobs", "scheduler", "--once"]).output


def test_scheduler_loop_stops(app, queue_on):
    stop = threading.Event()
    thread = threading.Thread(target=schedule.run, args=(app, stop, 0.05))
    thread.start()
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert jobs.queue_depths()["default"] >= 1
