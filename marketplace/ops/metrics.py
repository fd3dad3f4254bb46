"""Prometheus metrics for ``/metrics``.

- ``http_request_duration_seconds{route,method,status}``: a histogram per URL rule endpoint
  (``catalogue.detail``, not ``/listings/17``; ``<unmatched>`` for 404s), recorded after each
  request;
- ``jobs_queue_depth{queue}``, ``jobs_scheduled{queue}`` and ``jobs_failed{queue}``: RQ jobs
  waiting, scheduled for a retry and in the failed (dead-letter) registry, per queue of
  marketplace/jobs (``default``, ``slow``), read from Redis at scrape time (0 without REDIS_URL),
  and ``jobs_queue_up`` (1 when Redis answered);
- ``ledger_verify_ok``, ``ledger_verify_breaks``, ``ledger_verify_transfers``,
  ``ledger_verify_last_run_timestamp_seconds``: the last ``flask ledger verify`` result, kept in
  ``<instance>/ops/ledger-verify.json``; a scrape finding it older than
  LEDGER_VERIFY_INTERVAL_MINUTES starts one recomputation in a background thread and answers at
  once with the figure it has (the scrape stays cheap).

Several gunicorn workers: set PROMETHEUS_MULTIPROC_DIR (an empty directory, wiped before each
start) in the environment of gunicorn; every worker then writes its samples there, any worker's
``/metrics`` aggregates them, and gunicorn.conf.py's ``child_exit`` tidies a dead worker's files.
Without it each process has its own plain registry (fine for one process).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path

from flask import Flask, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

DEFAULT_QUEUE_NAMES = ("default",)
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUEST_DURATION = Histogram(
    "http_request_duration_seconds", "Time to answer a request, by route endpoint",
    ["route", "method", "status"], buckets=BUCKETS)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


def register_request_metrics(app: Flask) -> None:
    @app.after_request
    def observe_request(response):
        started = g.get("request_started")
        if started is not None:
            rule = request.url_rule
            route = rule.endpoint if rule is not None else "<unmatched>"
            REQUEST_DURATION.labels(route, request.method, str(response.status_code)).observe(
                time.perf_counter() - started)
        return response


# ---------------------------------------------------------------------------------------------
# job queues
def queue_names(app: Flask) -> dict[str, str]:
    """{label: RQ queue name}: the jobs package's queues (marketplace/jobs/queue.py) when it
    declares them, else RQ's "default"."""
    try:
        from marketplace.jobs import queue as jobs_queue

        return {kind: jobs_queue.queue_name(app, kind) for kind in jobs_queue.QUEUE_KINDS}
    except (ImportError, AttributeError):
        return {name: name for name in DEFAULT_QUEUE_NAMES}


def read_queue_depths(app: Flask) -> tuple[bool | None, dict[str, tuple[int, int, int]]]:
    """(Redis answered?, {queue: (waiting, scheduled, failed)}); (None, zeros) without Redis.
    Its own client with short timeouts: a scrape must not hang on a dead Redis."""
    names = queue_names(app)
    zeros = {label: (0, 0, 0) for label in names}
    redis_url = app.config.get("REDIS_URL")
    if not redis_url:
        return None, zeros
    from rq import Queue
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry

    from marketplace.ops.health import redis_connection

    depths = {}
    client = redis_connection(redis_url)
    try:
        for label, name in names.items():
            queue = Queue(name, connection=client)
            depths[label] = (queue.count, ScheduledJobRegistry(queue=queue).count,
                             FailedJobRegistry(queue=queue).count)
    except Exception as exc:
        log.warning("metrics: job queue unreadable: %s", exc.__class__.__name__)
        return False, zeros
    finally:
        client.close()
    return True, depths


# ---------------------------------------------------------------------------------------------
# ledger verify status
_refresh_lock = threading.Lock()
_refresh_thread: threading.Thread | None = None


def ledger_state_path(instance_path: str) -> Path:
    return Path(instance_path) / "ops" / "ledger-verify.json"


def record_ledger_verify(instance_path: str, *, ok: bool, breaks: int | None = None,
                         transfers: int | None = None, source: str = "cli") -> dict:
    """Write the latest verify result (atomically: a temp file renamed over the old one)."""
    path = ledger_state_path(instance_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {"ok": ok, "breaks": breaks, "transfers": transfers, "checked_at": time.time(),
             "source": source}
    temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    temp.write_text(json.dumps(state))
    os.replace(temp, path)
    return state


def read_ledger_state(instance_path: str) -> dict | None:
    try:
        return json.loads(ledger_state_path(instance_path).read_text())
    except (OSError, ValueError):
        return None


def refresh_ledger_verify(app: Flask) -> dict | None:
    """Run the full ``verify_committed`` (ledger and business checks) and record it. Only one
    process of the machine at a time (a lock file); None when another one holds it."""
    import fcntl

    lock_path = ledger_state_path(app.instance_path).with_suffix(".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        with app.app_context():
            from marketplace.checks import ALL_CHECKS
            from marketplace.extensions import db
            from marketplace.ledger.queries import verify_committed

            report = verify_committed(db.engine, ALL_CHECKS)
        return record_ledger_verify(app.instance_path, ok=report.ok, breaks=len(report.breaks),
                                    transfers=report.transfers, source="scrape")


def _refresh_in_background(app: Flask) -> None:
    try:
        refresh_ledger_verify(app)
    except Exception:
        log.exception("metrics: ledger verify failed")


def maybe_refresh_ledger_verify(app: Flask, state: dict | None) -> threading.Thread | None:
    """Start a background verify when the recorded one is older than the interval."""
    global _refresh_thread
    minutes = app.config.get("LEDGER_VERIFY_INTERVAL_MINUTES") or 0
    if minutes <= 0:
        return None
    if state is not None and time.time() - float(state.get("checked_at") or 0) < minutes * 60:
        return None
    with _refresh_lock:
        if _refresh_thread is not None and _refresh_thread.is_alive():
            return _refresh_thread
        _refresh_thread = threading.Thread(target=_refresh_in_background, args=(app,),
                                           name="ledger-verify-metric", daemon=True)
        _refresh_thread.start()
        return _refresh_thread


# ---------------------------------------------------------------------------------------------
# the scrape
class ScrapeCollector:
    """Figures read at scrape time (queues, ledger state): gauges computed now, in any mode."""

    def __init__(self, queues: tuple[bool | None, dict[str, tuple[int, int, int]]],
                 ledger: dict | None):
        self.queues = queues
        self.ledger = ledger

    def collect(self):
        up, depths = self.queues
        waiting = GaugeMetricFamily("jobs_queue_depth", "Jobs waiting in the RQ queue",
                                    labels=["queue"])
        scheduled = GaugeMetricFamily("jobs_scheduled", "Jobs scheduled for later (retries)",
                                      labels=["queue"])
        failed = GaugeMetricFamily("jobs_failed", "Jobs in the RQ failed (dead-letter) registry",
                                   labels=["queue"])
        for name, (count, later, failures) in sorted(depths.items()):
            waiting.add_metric([name], count)
            scheduled.add_metric([name], later)
            failed.add_metric([name], failures)
        yield waiting
        yield scheduled
        yield failed
        if up is not None:
            yield GaugeMetricFamily("jobs_queue_up", "1 when Redis answered the scrape",
                                    value=1 if up else 0)
        state = self.ledger
        if state is not None:
            yield GaugeMetricFamily("ledger_verify_ok",
                                    "1 when the last ledger verify found no break, else 0",
                                    value=1 if state.get("ok") else 0)
            yield GaugeMetricFamily("ledger_verify_last_run_timestamp_seconds",
                                    "When the last ledger verify ran (Unix time)",
                                    value=float(state.get("checked_at") or 0))
            if state.get("breaks") is not None:
                yield GaugeMetricFamily("ledger_verify_breaks",
                                        "Breaks found by the last ledger verify",
                                        value=state["breaks"])
            if state.get("transfers") is not None:
                yield GaugeMetricFamily("ledger_verify_transfers",
                                        "Transfers checked by the last ledger verify",
                                        value=state["transfers"])


def render_metrics(app: Flask) -> tuple[bytes, str]:
    state = read_ledger_state(app.instance_path)
    maybe_refresh_ledger_verify(app, state)
    scrape = CollectorRegistry()
    scrape.register(ScrapeCollector(read_queue_depths(app), state))
    if multiprocess_dir():
        from prometheus_client import multiprocess

        base = CollectorRegistry()
        multiprocess.MultiProcessCollector(base)
    else:
        base = REGISTRY
    return generate_latest(base) + generate_latest(scrape), CONTENT_TYPE_LATEST
