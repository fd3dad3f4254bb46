"""``flask jobs …``: the RQ worker, the scheduler, queue depths and the dead-letter list."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

jobs_group = AppGroup("jobs", help="Background jobs on the Redis queue (REDIS_URL).")


def _app_with_queue():
    from marketplace.jobs import queue_configured

    app = current_app._get_current_object()
    if not queue_configured(app):
        raise click.ClickException(
            "no queue: set REDIS_URL (and leave JOBS_QUEUE_ENABLED on); without it jobs run "
            "in-process")
    return app


@jobs_group.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then exit.")
@click.option("--simple", is_flag=True,
              help="Run jobs in this process instead of a forked work horse per job.")
@click.option("--name", default=None, help="Worker name (default: host and pid).")
def worker_command(burst, simple, name):
    """Run an RQ worker on the default and slow queues (retries with backoff, failed list)."""
    from rq import SimpleWorker, Worker

    from marketplace.jobs import queue

    app = _app_with_queue()
    _check_database()
    worker_class = SimpleWorker if simple else Worker
    worker = worker_class(queue.queues(app), connection=queue.redis_for(app), name=name)
    worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


def _check_database() -> None:
    """Fail at start, not at the first job, when the database is unreachable. (The pooled
    connection this leaves is not reused by the forked work horses: see queue.perform.)"""
    import sqlalchemy as sa

    from marketplace.extensions import db

    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception as exc:
        raise click.ClickException(f"database unreachable: {exc.__class__.__name__}") from None
    finally:
        db.session.remove()


@jobs_group.command("scheduler")
@click.option("--once", is_flag=True, help="Enqueue what is due now, then exit.")
def scheduler_command(once):
    """Enqueue the periodic jobs (campaign deadlines, quotas, bookings, digests, retraining,
    integrity scan); safe to run on several hosts."""
    from marketplace.jobs import schedule

    app = _app_with_queue()
    if once:
        enqueued = schedule.tick(app)
        click.echo("enqueued: " + (", ".join(enqueued) if enqueued else "nothing (claimed)"))
        return
    schedule.run(app)


@jobs_group.command("status")
def status_command():
    """Jobs waiting per queue, retries scheduled, failed jobs."""
    from marketplace.jobs import queue

    app = _app_with_queue()
    click.echo(" ".join(f"{name}={count}" for name, count in queue.depths(app).items()))


@jobs_group.command("failed")
def failed_command():
    """List the failed jobs (retries used up): id, when, job, last error line."""
    from marketplace.jobs import queue

    app = _app_with_queue()
    jobs = queue.failed_jobs(app)
    for job in jobs:
        result = job.latest_result()
        error = ((result.exc_string if result else None) or "").strip().splitlines()
        when = job.ended_at.isoformat(timespec="seconds") if job.ended_at else "-"
        click.echo(f"{job.id}  {when}  {job.description}  {error[-1] if error else ''}")
    click.echo(f"{len(jobs)} failed jobs")


@jobs_group.command("requeue")
@click.argument("job_id", required=False)
@click.option("--all", "everything", is_flag=True, help="Requeue every failed job.")
def requeue_command(job_id, everything):
    """Put a failed job (or all of them) back on its queue."""
    from marketplace.jobs import queue

    app = _app_with_queue()
    if bool(job_id) == everything:
        raise click.UsageError("give a job id or --all")
    done = queue.requeue_failed(app, None if everything else job_id)
    if job_id and not done:
        raise click.ClickException(f"no failed job {job_id}")
    click.echo(f"requeued {len(done)} jobs")
