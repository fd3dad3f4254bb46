"""SIGKILL an app worker in the middle of booking and pledge requests (RELIABILITY.md §1.8 item 4,
at the process level).

gunicorn runs two sync workers over the scratch database (the run's backend). Client threads,
each a signed-in SME browser, book free slots (voucher-paid where the demo programme covers the
instrument, else self-paid) and pledge money to live campaigns by bank transfer, through the
real forms (CSRF token, request key). A chaos thread SIGKILLs a random worker again and again
while they do; gunicorn starts a new one. A request that got no answer (the connection died
with its worker) or a 5xx is sent again with the same form values, as a person pressing the
button again would, until it gets an answer.

Then, with the server stopped:
* ``flask ledger verify`` passes (the ledger's invariants and the business checks: holds vs
  bookings, budgets, overlaps, pledges vs escrow and payments);
* nothing lost: every request answered with success (a redirect to the new booking or pledge)
  is in the database, with its request key, slot or amount, and every pledge has its payment;
* nothing doubled: a request sent again after a lost answer made one record, not two.

``FAULTS_SEED`` sets the seed (printed); ``FAULTS_KILLS`` the number of kills (default 6).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from bench.appserver import SME, AppServer, WebUser

from .conftest import BACKEND

CLIENTS = 8
RETRIES = 30


@pytest.mark.faults
def test_killed_workers_leave_nothing_half_written_and_lose_no_answered_request(world, request):
    seed = int(os.environ.get("FAULTS_SEED") or random.randrange(1_000_000))
    kills_wanted = int(os.environ.get("FAULTS_KILLS") or 6)
    rng = random.Random(seed)
    slots = list(world.plan["slots"])
    campaigns = world.plan["campaigns"]
    assert slots and campaigns, "the demo offers nothing to book or back"
    next_slot = iter(slots)
    slot_lock = threading.Lock()
    records: list[dict] = []
    answers: Counter = Counter()
    stop = threading.Event()
    kills: list[int] = []
    in_flight, in_flight_lock = [0], threading.Lock()

    server = AppServer(world.env, 2, log_path=world.workdir / "gunicorn-kills.log")
    started = time.monotonic()
    with server:
        users = []
        for _ in range(CLIENTS):
            user = WebUser(server.url, SME, timeout=30)
            user.login()
            users.append(user)

        def send(post, form):
            """The request, sent again after a lost answer until it gets one."""
            for attempt in range(1, RETRIES + 1):
                with in_flight_lock:
                    in_flight[0] += 1
                try:
                    answer = post(form)
                finally:
                    with in_flight_lock:
                        in_flight[0] -= 1
                answers[answer.outcome if answer.outcome != "failed" else
                        f"failed ({answer.status or answer.message})"] += 1
                if answer.outcome != "failed":
                    return answer, attempt
                time.sleep(0.2)
            return answer, RETRIES

        def fetch(open_form):
            for _ in range(RETRIES):
                try:
                    return open_form()
                except Exception:  # noqa: BLE001 — the page died with its worker: open it again
                    answers["form page lost"] += 1
                    time.sleep(0.2)
            raise AssertionError("the form page never came back")

        def client(index: int) -> None:
            user, local = users[index], random.Random(seed + index)
            while not stop.is_set():
                if local.random() < 0.7:
                    with slot_lock:
                        slot = next(next_slot, None)
                    if slot is None:
                        return
                    form = fetch(lambda slot=slot: user.booking_form(slot))
                    answer, attempts = send(lambda f, slot=slot: user.post_booking(slot, f), form)
                    records.append({"kind": "booking", "key": form["request_key"], "slot": slot,
                                    "answer": answer, "attempts": attempts})
                else:
                    campaign_id = local.choice(campaigns)
                    amount = local.randrange(1, 500)
                    form = fetch(lambda c=campaign_id: user.pledge_form(c, str(amount)))
                    answer, attempts = send(lambda f, c=campaign_id: user.post_pledge(c, f), form)
                    records.append({"kind": "pledge", "key": form["request_key"],
                                    "campaign_id": campaign_id, "amount_fen": amount * 100,
                                    "answer": answer, "attempts": attempts})

        threads = [threading.Thread(target=client, args=(i,), name=f"client-{i}")
                   for i in range(CLIENTS)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        for _ in range(kills_wanted):
            time.sleep(rng.uniform(0.2, 0.8))
            deadline = time.monotonic() + 10  # strike while a booking or pledge is being posted
            while in_flight[0] == 0 and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(rng.uniform(0, 0.03))
            pid = server.kill_worker(rng, busy=True)
            if pid is not None:
                kills.append(pid)
            # let the service recover (a new worker boots) and answer a few requests first
            served = sum(answers.values())
            deadline = time.monotonic() + 30
            while (len(server.worker_pids()) < 2 or sum(answers.values()) < served + CLIENTS) \
                    and time.monotonic() < deadline:
                time.sleep(0.05)
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
        assert not [t.name for t in threads if t.is_alive()], "client threads hung"
        log = server.log_tail(200_000)
    elapsed = time.monotonic() - started

    verify = world.scratch.flask("ledger", "verify", check=False)
    outcomes = Counter((r["kind"], r["answer"].outcome) for r in records)
    lost, doubled, unpaid = _lost_and_doubled(world.scratch.engine(), records)
    sigkills_seen = log.count("SIGKILL") + log.count("signal 9")
    line = (f"faults/worker-kills [{BACKEND}] seed={seed}: kills {len(kills)} (master saw "
            f"{sigkills_seen}), requests {sum(answers.values())} "
            f"({', '.join(f'{k} {v}' for k, v in sorted(answers.items()))}); business requests "
            f"{len(records)}: " + ", ".join(f"{k} {o} {n}" for (k, o), n in sorted(outcomes.items()))
            + f"; re-sent after a lost answer {sum(1 for r in records if r['attempts'] > 1)}; "
            f"lost {len(lost)}, doubled {len(doubled)}, pledges without payment {unpaid}; "
            f"ledger verify: {verify.stdout.strip().splitlines()[0] if verify.stdout.strip() else verify.stderr[-300:]}"
            f"; {elapsed:.1f} s")
    print(line)
    _report(request, line)
    assert len(kills) == kills_wanted
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert not lost, f"answered with success but not in the database: {lost[:5]}"
    assert not doubled, f"one request, several records: {doubled[:5]}"
    assert unpaid == 0
    assert outcomes[("booking", "ok")] > 0 and outcomes[("pledge", "ok")] > 0
    gave_up = [r for r in records if r["answer"].outcome == "failed"]
    assert not gave_up, f"requests that never got an answer: {gave_up[:3]}"


def _lost_and_doubled(engine, records):
    lost, doubled = [], []
    with engine.connect() as conn:
        bookings = {key: rows for key, rows in _by_key(conn, "bookings", "instrument_id")}
        pledges = {key: rows for key, rows in _by_key(conn, "campaign_pledges", "amount_fen")}
        unpaid = conn.execute(sa.text(
            "SELECT count(*) FROM campaign_pledges p LEFT JOIN payments m ON m.id = p.payment_id "
            "WHERE m.id IS NULL")).scalar()
    engine.dispose()
    for record in records:
        table = bookings if record["kind"] == "booking" else pledges
        rows = table.get(record["key"], [])
        if len(rows) > 1:
            doubled.append(record)
        if record["answer"].outcome != "ok":
            continue
        expected = (record["slot"]["instrument_id"] if record["kind"] == "booking"
                    else record["amount_fen"])
        if not any(row_id == record["answer"].record_id and value == expected
                   for row_id, value in rows):
            lost.append(record)
    return lost, doubled, unpaid


def _by_key(conn, table: str, column: str):
    grouped: dict[str, list] = {}
    for key, row_id, value in conn.execute(sa.text(f"SELECT request_key, id, {column} FROM {table}")):
        grouped.setdefault(key, []).append((row_id, value))
    return grouped.items()


def _report(request, line: str) -> None:
    from tests.marketplace.bookings.concurrency import report

    report(request, "faults-worker-kills-" + BACKEND, line)
