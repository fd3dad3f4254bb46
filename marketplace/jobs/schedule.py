"""``flask jobs scheduler``: enqueues the periodic jobs on the queue, each once per period.

Time is cut into slots of each job's period; the first scheduler to claim a slot in Redis
(``SET <prefix>:schedule:<name>:<slot> NX``) enqueues the job, so several schedulers (one per
host, for availability) never double-enqueue, and the job's key keeps a job that is still waiting
from being queued again. A scheduler that starts enqueues every job at once (its slot is new),
which is what a restart after downtime wants: each job catches up on what became due.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from marketplace.jobs import queue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    target: str
    period_setting: str
    default_seconds: int

    def period(self, app) -> int:
        return max(1, int(app.config.get(self.period_setting) or self.default_seconds))


PERIODIC = (
    Periodic("campaigns.close_due", "marketplace.jobs.tasks:close_due_campaigns",
             "JOBS_INTERVAL_SECONDS", 60),
    Periodic("vouchers.expire", "marketplace.jobs.tasks:expire_quotas",
             "JOBS_QUOTA_EXPIRY_SECONDS", 3600),
    Periodic("bookings.sweep", "marketplace.jobs.tasks:sweep_bookings",
             "JOBS_BOOKINGS_SWEEP_SECONDS", 600),
    Periodic("matching.digest", "marketplace.jobs.tasks:send_digests", "JOBS_HOURLY_SECONDS", 3600),
    Periodic("matching.retrain", "marketplace.jobs.tasks:retrain_recommender",
             "JOBS_HOURLY_SECONDS", 3600),
    Periodic("integrity.scan", "marketplace.jobs.tasks:scan_integrity", "JOBS_HOURLY_SECONDS", 3600),
    Periodic("catalogue.prune", "marketplace.jobs.tasks:prune_catalogue_changes",
             "JOBS_HOURLY_SECONDS", 3600),
    Periodic("mail.requeue_lost", "marketplace.jobs.tasks:requeue_lost_mail",
             "JOBS_BOOKINGS_SWEEP_SECONDS", 600),
)


def tick(app, now: float | None = None) -> list[str]:
    """Enqueue every periodic job whose current slot no scheduler has claimed; their names."""
    now = time.time() if now is None else now
    connection = queue.redis_for(app)
    enqueued = []
    for job in PERIODIC:
        period = job.period(app)
        slot = int(now // period)
        claim = f"{queue.prefix(app)}:schedule:{job.name}:{slot}"
        if not connection.set(claim, "1", nx=True, ex=period * 2):
            continue
        queue.enqueue(app, job.target, key=job.name)
        enqueued.append(job.name)
    if enqueued:
        log.info("scheduler enqueued %s", ", ".join(enqueued))
    return enqueued


def run(app, stop: threading.Event | None = None, every: float | None = None) -> None:
    """Tick until ``stop`` is set (or forever), every few seconds; Redis errors are logged and
    retried, never fatal."""
    stop = stop or threading.Event()
    every = every or min(5.0, min(job.period(app) for job in PERIODIC))
    log.info("scheduler started: %s", ", ".join(f"{j.name} every {j.period(app)}s"
                                                 for j in PERIODIC))
    while not stop.is_set():
        try:
            tick(app)
        except Exception:
            log.exception("scheduler tick failed; trying again")
        stop.wait(every)
