"""dispatch: inline without a queue; with one, enqueued after commit (nothing on rollback), one
waiting job per key, retries then the failed list, requeue; depths and ping."""

from __future__ import annotations

import flask
import sqlalchemy as sa

from marketplace import jobs
from marketplace.campaigns.jobs import start_jobs
from marketplace.extensions import db
from marketplace.jobs import queue
from tests.marketplace.jobs.targets import flaky_attempts, ran

RECORD = "tests.marketplace.jobs.targets:record"
FLAKY = "tests.marketplace.jobs.targets:flaky"


def test_without_a_queue_dispatch_runs_at_once(app, db, redis_db):
    assert not jobs.queue_enabled()
    assert jobs.dispatch(RECORD, "now", key="k") == "now"
    assert ran() == ["now"]
    assert jobs.queue_depths() == {} and jobs.ping() is None


def test_dispatch_waits_for_the_commit_and_a_rollback_enqueues_nothing(app, queue_on, work):
    db.session.execute(sa.text("SELECT 1"))  # a transaction is open
    assert jobs.dispatch(RECORD, "rolled back") is None
    db.session.rollback()
    assert jobs.queue_depths()["default"] == 0

    db.session.execute(sa.text("SELECT 1"))
    jobs.dispatch(RECORD, "committed")
    assert jobs.queue_depths()["default"] == 0  # not before the commit
    db.session.commit()
    assert jobs.queue_depths()["default"] == 1
    assert work() == 1
    assert ran() == ["committed"]


def test_a_key_keeps_one_job_waiting_and_a_new_one_once_it_ran(app, queue_on, work):
    first = jobs.dispatch(RECORD, "a", key="listing:7")
    second = jobs.dispatch(RECORD, "a", key="listing:7")
    other = jobs.dispatch(RECORD, "b", key="listing:8")
    assert first.id == second.id and other.id != first.id
    assert jobs.queue_depths()["default"] == 2
    assert work() == 2
    assert sorted(ran()) == ["a", "b"]
    third = jobs.dispatch(RECORD, "a", key="listing:7")  # the first has run: a new job
    assert third.id != first.id
    assert work() == 1


def test_a_failing_job_is_retried_then_kept_in_the_failed_list_and_requeued(app, queue_on, work):
    jobs.dispatch(FLAKY, 3, key="flaky")  # fails 3 times; 2 retries allowed
    work()
    assert jobs.queue_depths()["failed"] == 1
    assert flaky_attempts() == 3  # the first run and two retries
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["jobs", "failed"])
    assert listed.exit_code == 0, listed.output
    assert "flaky" in listed.output and "attempt 3 fails on purpose" in listed.output
    assert "1 failed jobs" in listed.output
    [job] = queue.failed_jobs(app)
    assert runner.invoke(args=["jobs", "requeue"]).exit_code != 0  # an id or --all
    assert runner.invoke(args=["jobs", "requeue", "nope"]).exit_code != 0
    requeued = runner.invoke(args=["jobs", "requeue", job.id])
    assert requeued.exit_code == 0 and "requeued 1 jobs" in requeued.output
    work()
    assert jobs.queue_depths()["failed"] == 0
    assert job.fetch(job.id, connection=queue_on).return_value() == "ok after 3 failures"
    status = runner.invoke(args=["jobs", "status"])
    assert "default=0" in status.output and "failed=0" in status.output


def test_requeue_all(app, queue_on, work):
    jobs.dispatch(FLAKY, 10)
    jobs.dispatch(FLAKY, 10)
    work()
    assert jobs.queue_depths()["failed"] == 2
    result = app.test_cli_runner().invoke(args=["jobs", "requeue", "--all"])
    assert "requeued 2 jobs" in result.output
    assert jobs.queue_depths()["default"] == 2


def test_slow_jobs_have_their_own_queue(app, queue_on):
    jobs.dispatch("marketplace.jobs.tasks:retrain_recommender", key="matching.retrain")
    jobs.dispatch("marketplace.jobs.tasks:close_due_campaigns", key="campaigns.close_due")
    depths = jobs.queue_depths()
    assert depths["slow"] == 1 and depths["default"] == 1 and depths["scheduled"] == 0


def test_ping_names_an_unreachable_redis(app, queue_on):
    assert jobs.ping() is None
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    assert jobs.ping().startswith("redis unavailable")
    assert jobs.queue_depths() == {}


def test_commands_without_a_queue_say_so(app, db):
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code != 0 and "REDIS_URL" in result.output


def test_no_jobs_thread_when_a_queue_is_configured():
    app = flask.Flask("probe")
    app.config.update(RUN_JOBS_IN_PROCESS=True, REDIS_URL="redis://127.0.0.1:6379/9",
                      JOBS_QUEUE_ENABLED=True)
    assert start_jobs(app) is None
