"""/metrics: who may read it, the request histogram by route, queue depths from Redis, the
ledger verify gauges."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from marketplace.ops import metrics


def sample(text: str, name: str, **labels) -> float | None:
    """The value of one sample in Prometheus text exposition."""
    wanted = name + ("{" + ",".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
                     if labels else "")
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        if key == wanted:
            return float(value)
    return None


def scrape(client, **kwargs) -> str:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def test_loopback_may_read_metrics_but_a_proxied_request_may_not(client):
    scrape(client)
    relayed = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert relayed.status_code == 404
    remote = client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert remote.status_code == 404


def test_a_remote_scraper_needs_the_bearer_token(app, client):
    remote = {"environ_base": {"REMOTE_ADDR": "10.0.0.5"}}
    app.config["METRICS_TOKEN"] = "s3cret-token"
    try:
        assert client.get("/metrics", **remote).status_code == 404
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"},
                          **remote).status_code == 404
        scrape(client, headers={"Authorization": "Bearer s3cret-token"}, **remote)
    finally:
        app.config["METRICS_TOKEN"] = None


def test_request_latency_is_labelled_by_route_endpoint_not_path(client):
    before = sample(scrape(client), "http_request_duration_seconds_count",
                    method="GET", route="main.healthz", status="200") or 0
    client.get("/healthz")
    client.get("/healthz?x=1")
    client.get("/definitely/not/here")
    text = scrape(client)
    assert sample(text, "http_request_duration_seconds_count", method="GET",
                  route="main.healthz", status="200") == before + 2
    assert sample(text, "http_request_duration_seconds_count", method="GET",
                  route="<unmatched>", status="404") >= 1
    assert "/definitely/not/here" not in text


def test_queue_depths_are_zero_without_redis(client):
    text = scrape(client)
    assert sample(text, "jobs_queue_depth", queue="default") == 0
    assert sample(text, "jobs_failed", queue="default") == 0
    assert sample(text, "jobs_queue_up") is None


@pytest.fixture
def redis_queue(app):
    """REDIS_URL on Redis db 12 with a queue prefix of this test only (its keys and jobs deleted
    after)."""
    from redis import Redis

    from tests.redis_keys import delete_tagged

    prefix = f"czxtest{uuid.uuid4().hex[:8]}"
    saved = {key: app.config.get(key) for key in ("REDIS_URL", "JOBS_QUEUE_PREFIX")}
    app.config.update(REDIS_URL="redis://127.0.0.1:6379/12", JOBS_QUEUE_PREFIX=prefix)
    connection = Redis.from_url("redis://127.0.0.1:6379/12")
    yield connection, prefix
    app.config.update(saved)
    delete_tagged(connection, prefix)
    connection.close()


def test_queue_depth_and_dead_letters_are_read_from_redis(client, redis_queue, app):
    from rq import Queue

    connection, prefix = redis_queue
    names = metrics.queue_names(app)
    queue = Queue(names["default"], connection=connection)
    queue.enqueue("marketplace.ops.health.check_database")
    queue.enqueue("marketplace.ops.health.check_database")
    failed = queue.enqueue("marketplace.ops.health.check_database")
    queue.remove(failed)
    queue.failed_job_registry.add(failed, ttl=60, exc_string="test")
    text = scrape(client)
    assert sample(text, "jobs_queue_up") == 1
    assert sample(text, "jobs_queue_depth", queue="default") == 2
    assert sample(text, "jobs_failed", queue="default") == 1


def test_an_unreachable_redis_reports_queue_down_not_an_error(app, client):
    saved = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/12"
    try:
        text = scrape(client)
    finally:
        app.config["REDIS_URL"] = saved
    assert sample(text, "jobs_queue_up") == 0


def test_ledger_verify_cli_sets_the_gauge(app, client, instance_path):
    metrics.ledger_state_path(app.instance_path).unlink(missing_ok=True)
    assert sample(scrape(client), "ledger_verify_ok") is None  # never ran: no figure
    result = app.test_cli_runner().invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    text = scrape(client)
    assert sample(text, "ledger_verify_ok") == 1
    assert time.time() - sample(text, "ledger_verify_last_run_timestamp_seconds") < 60


def test_a_scrape_refreshes_a_stale_figure_in_the_background(app, client):
    state = metrics.record_ledger_verify(app.instance_path, ok=False, breaks=3)
    state["checked_at"] -= 3600  # an hour old
    metrics.ledger_state_path(app.instance_path).write_text(json.dumps(state))
    app.config["LEDGER_VERIFY_INTERVAL_MINUTES"] = 30
    try:
        text = scrape(client)  # answers at once with the figure it has
        assert sample(text, "ledger_verify_ok") == 0
        thread = metrics._refresh_thread
        assert thread is not None
        thread.join(timeout=30)
    finally:
        app.config["LEDGER_VERIFY_INTERVAL_MINUTES"] = 0
    text = scrape(client)
    assert sample(text, "ledger_verify_ok") == 1
    assert sample(text, "ledger_verify_breaks") == 0


def test_behind_a_trusted_proxy_client_addresses_come_from_x_forwarded_for(instance_path,
                                                                           database_url):
    from flask import request

    from tests.marketplace.ops.helpers import app_on

    app = app_on(database_url, TRUSTED_PROXIES=1)
    seen = {}

    @app.get("/_test/remote")
    def remote():
        seen["addr"] = request.remote_addr
        return "ok"

    client = app.test_client()
    assert client.get("/_test/remote", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 200
    assert seen["addr"] == "203.0.113.7"
    # nginx on the same machine relays a public request: not a loopback caller for /metrics
    assert client.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"}).status_code == 404


MULTIPROCESS_SCRIPT = """
from marketplace import create_app
from marketplace.config import TestConfig

app = create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                  "SQLALCHEMY_DATABASE_URI": "sqlite://", "SERVER_NAME": None})
client = app.test_client()
for _ in range(3):
    client.get("/healthz")
print(client.get("/metrics").get_data(as_text=True))
"""


def test_multiprocess_mode_sums_the_samples_of_every_process(tmp_path, instance_path):
    """Two processes (as two gunicorn workers) write into PROMETHEUS_MULTIPROC_DIR; the second
    one's /metrics counts the first one's requests too."""
    import os
    import subprocess
    import sys

    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory),
           "INSTANCE_PATH": str(instance_path)}
    outputs = [subprocess.run([sys.executable, "-c", MULTIPROCESS_SCRIPT], env=env, check=True,
                              capture_output=True, text=True, timeout=120).stdout
               for _ in range(2)]
    labels = {"method": "GET", "route": "main.healthz", "status": "200"}
    assert sample(outputs[0], "http_request_duration_seconds_count", **labels) == 3
    assert sample(outputs[1], "http_request_duration_seconds_count", **labels) == 6
    assert list(directory.glob("histogram_*.db"))
