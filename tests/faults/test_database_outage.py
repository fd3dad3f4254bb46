"""PostgreSQL stops for a few seconds while gunicorn serves: 503 with a message, then recovery by
itself.

A throw-away cluster (``pgcluster.ThrowawayCluster``, never the shared one on 5432) holds a
scratch copy of the demo; gunicorn runs two workers over it. Client threads request pages that
need the database (a listing page and search, anonymous; "my bookings", signed in), the liveness
and readiness probes, without pause. The cluster is stopped (``pg_ctl stop -m fast``: open
connections are cut) for ``OUTAGE_SECONDS`` and started again; gunicorn is not touched.

* while the database is down, every page that needs it answers 503 with the bilingual message and
  a Retry-After header, never a 500 or a dropped connection; /healthz stays 200, /readyz says 503;
* a booking confirmed during the outage gets the 503 too, and the same form sent again once the
  database is back makes the booking (once);
* after the start every route answers 200 again within ``RECOVERY_LIMIT`` seconds, with the same
  gunicorn master and workers (no restart), and ``flask ledger verify`` passes.

Runs on the PostgreSQL pass of the suite only (it brings its own cluster; running it on the
SQLite pass as well would only repeat it).
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import requests

from bench.appserver import SME, AppServer, Scratch, WebUser, plan_world

from .conftest import BACKEND
from .pgcluster import ThrowawayCluster

OUTAGE_SECONDS = 4.0
RECOVERY_LIMIT = 30.0
MESSAGE = "系统暂时无法连接数据库"

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(BACKEND != "postgresql", reason="PostgreSQL pass only (own cluster)"),
]


@pytest.fixture(scope="module")
def outage_world(tmp_path_factory):
    cluster = ThrowawayCluster().create()
    workdir = tmp_path_factory.mktemp("outage")
    scratch = None
    try:
        scratch = Scratch("postgresql", workdir, pg_url=cluster.url, prefix="czx_outage")
        scratch.prepare()
        plan = plan_world(scratch.url, workdir, booker=SME)
        yield cluster, scratch, plan
    finally:
        try:
            if scratch is not None and cluster.is_running():
                scratch.drop()
        finally:
            cluster.remove()  # stops it (it holds the scratch database) and deletes its folder


def test_stopped_database_gives_503_with_a_message_and_the_app_recovers_by_itself(outage_world,
                                                                                   request):
    cluster, scratch, plan = outage_world
    listing_id = plan["listings"][0][0]
    routes = {"listing page": (False, f"/listings/{listing_id}"),
              "search": (False, "/search?q=%E6%89%AB%E6%8F%8F%E7%94%B5%E9%95%9C"),
              "my bookings": (True, "/bookings/"),
              "healthz": (False, "/healthz"), "readyz": (False, "/readyz")}
    records: list[tuple] = []
    stop = threading.Event()
    phase = {"down_at": None, "up_at": None}

    server = AppServer(scratch.env, 2, log_path=scratch.workdir / "gunicorn-outage.log")
    with server:
        master, workers = server.process.pid, sorted(server.worker_pids())
        clients = []
        for _ in range(4):
            user = WebUser(server.url, SME, timeout=20)
            user.login()
            clients.append((requests.Session(), user))
        booker = WebUser(server.url, SME, timeout=20)
        booker.login()
        slot = plan["slots"][0]
        form = booker.booking_form(slot)

        def client(index: int) -> None:
            anonymous, user = clients[index]
            names = list(routes)
            i = index
            while not stop.is_set():
                name = names[i % len(names)]
                i += 1
                signed_in, path = routes[name]
                session = user.session if signed_in else anonymous
                sent = time.monotonic()
                try:
                    response = session.get(server.url + path, timeout=20, allow_redirects=False)
                    status, text = response.status_code, response.text
                    retry_after = response.headers.get("Retry-After")
                except requests.RequestException as error:
                    status, text, retry_after = type(error).__name__, "", None
                records.append((sent, time.monotonic(), name, status, MESSAGE in text,
                                retry_after))
                time.sleep(0.02)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(len(clients))]
        for thread in threads:
            thread.start()
        time.sleep(2.0)
        cluster.stop("fast")
        phase["down_at"] = time.monotonic()
        time.sleep(OUTAGE_SECONDS / 2)
        during = booker.post_booking(slot, form)
        time.sleep(OUTAGE_SECONDS / 2)
        phase["up_at"] = time.monotonic()
        cluster.start()
        started = time.monotonic()
        # recovered: every route has answered 200 since the start, twice in a row
        recovered_at = None
        while time.monotonic() - started < RECOVERY_LIMIT + 5:
            time.sleep(0.2)
            recent = [r for r in records if r[0] >= started]
            good = Counter(r[2] for r in recent if r[3] == 200)
            if all(good[name] >= 2 for name in routes):
                recovered_at = max(r[1] for r in recent)
                break
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        after = booker.post_booking(slot, form)
        again = booker.post_booking(slot, form)
        same_processes = server.process.poll() is None and server.process.pid == master \
            and sorted(server.worker_pids()) == workers
    verify = scratch.flask("ledger", "verify", check=False)

    down = [r for r in records if r[0] >= phase["down_at"] and r[1] <= phase["up_at"]]
    by_route = {name: Counter(r[3] for r in down if r[2] == name) for name in routes}
    needing_db = [r for r in down if r[2] not in ("healthz", "readyz")]
    bad = [r for r in needing_db if r[3] != 503 or not r[4] or not r[5]]
    late = [r for r in records if recovered_at and r[0] > recovered_at and r[3] != 200]
    recovery = (recovered_at - started) if recovered_at else None
    line = (f"faults/database-outage [own cluster :{cluster.port}]: {len(records)} requests, "
            f"{len(down)} during the {OUTAGE_SECONDS:g} s outage: "
            + "; ".join(f"{name} {dict(c)}" for name, c in by_route.items())
            + f"; 503 without message/Retry-After or other status {len(bad)}; booking during "
            f"outage {during.status}, after {after.outcome} #{after.record_id}, again "
            f"{again.outcome} #{again.record_id}; recovered "
            + (f"{recovery:.1f} s after the start" if recovery is not None else "NOT")
            + f"; non-200 after recovery {len(late)}; same gunicorn processes {same_processes}; "
            f"ledger verify: {(verify.stdout.strip().splitlines() or ['?'])[0]}")
    print(line)
    from tests.marketplace.bookings.concurrency import report

    report(request, "faults-database-outage", line)
    assert needing_db, "no request reached the server while the database was down"
    assert not bad, f"answers during the outage that are not a 503 with a message: {bad[:5]}"
    assert set(by_route["healthz"]) <= {200}
    assert set(by_route["readyz"]) <= {503}
    assert during.status == 503
    assert after.outcome == "ok" and again.outcome == "ok" and again.record_id == after.record_id
    assert recovery is not None and recovery <= RECOVERY_LIMIT
    assert not late, f"errors after the recovery: {late[:5]}"
    assert same_processes, "gunicorn was restarted or lost workers"
    assert verify.returncode == 0, verify.stdout + verify.stderr
