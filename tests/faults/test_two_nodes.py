"""Two app servers over one PostgreSQL database and one Redis, as in the scale-out deployment.

Two gunicorn processes (two workers each) on different ports, each with its own instance folder,
search index folder and model folder (nodes share no disk), share a scratch PostgreSQL database,
the secret key and Redis (``REDIS_URL=redis://127.0.0.1:6379/14``, flushed before and after), with
``SEARCH_BACKEND=postgres``.

* 20 signed-in SME browsers, ten on each server, open the booking form of the same free slot and
  confirm it at the same moment: exactly one booking is made, the other 19 get the form back
  with a message (400), none a 5xx; the database holds exactly one slot-holding booking there,
  and ``flask ledger verify`` passes;
* a listing edited through one server is found at once by search through the other.

PostgreSQL pass only (SQLite cannot be shared by two nodes).
"""

from __future__ import annotations

import re
import threading
import uuid
from collections import Counter

import pytest
import redis
import sqlalchemy as sa

from bench.appserver import LAB, SME, AppServer, WebUser, form_values, server_env

from .conftest import BACKEND, build_world

REDIS_URL = "redis://127.0.0.1:6379/14"
CLIENTS = 20

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(BACKEND != "postgresql", reason="two nodes need PostgreSQL"),
]


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    shared = {"REDIS_URL": REDIS_URL, "SEARCH_BACKEND": "postgres",
              "JOBS_QUEUE_PREFIX": "czx-two-nodes"}
    workdir = tmp_path_factory.mktemp("two-nodes")
    world = build_world(workdir, extra_env=shared)
    servers = []
    try:
        for name in ("a", "b"):
            folder = workdir / f"node-{name}"
            env = server_env(world.url, folder, shared)
            servers.append(AppServer(env, 2, log_path=workdir / f"gunicorn-{name}.log").start())
        yield world, servers
    finally:
        for server in servers:
            server.stop()
        world.scratch.drop()
        client.flushdb()
        client.close()


def test_twenty_bookings_of_one_slot_across_two_servers_make_exactly_one(nodes, request):
    world, servers = nodes
    slot = next((s for s in world.plan["slots"] if s["programme_id"] != "self"),
                world.plan["slots"][0])
    users, forms = [], []
    for i in range(CLIENTS):
        user = WebUser(servers[i % 2].url, SME, timeout=60)
        user.login()
        users.append(user)
        forms.append(user.booking_form(slot))
    barrier = threading.Barrier(CLIENTS)
    answers = [None] * CLIENTS

    def confirm(i: int) -> None:
        barrier.wait(timeout=60)
        answers[i] = users[i].post_booking(slot, forms[i])

    threads = [threading.Thread(target=confirm, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    outcomes = Counter((i % 2, a.outcome, a.status) for i, a in enumerate(answers))
    messages = Counter(a.message for a in answers if a.outcome == "refused")
    engine = world.scratch.engine()
    with engine.connect() as conn:
        held = conn.execute(sa.text(
            "SELECT id FROM bookings WHERE instrument_id = :i AND request_key IN :keys"
        ).bindparams(sa.bindparam("keys", expanding=True)),
            {"i": slot["instrument_id"], "keys": [f["request_key"] for f in forms]}).scalars().all()
    engine.dispose()
    verify = world.scratch.flask("ledger", "verify", check=False)
    line = (f"faults/two-nodes bookings: {CLIENTS} confirmations of one slot (instrument "
            f"{slot['instrument_id']} {slot['day']} {slot['start']}–{slot['end']}, "
            f"{'vouchers' if slot['programme_id'] != 'self' else 'self-paid'}) over servers "
            f":{servers[0].port} and :{servers[1].port}: "
            + ", ".join(f"server {'ab'[n]} {o} {s} ×{c}" for (n, o, s), c in sorted(outcomes.items()))
            + f"; bookings in the database {len(held)}; messages {dict(messages)}; "
            f"ledger verify: {(verify.stdout.strip().splitlines() or ['?'])[0]}")
    print(line)
    from tests.marketplace.bookings.concurrency import report

    report(request, "faults-two-nodes-bookings", line)
    ok = [a for a in answers if a.outcome == "ok"]
    assert len(ok) == 1
    assert sum(1 for a in answers if a.outcome == "refused" and a.status == 400) == CLIENTS - 1
    assert all(a.message for a in answers if a.outcome == "refused")
    assert held == [ok[0].record_id]
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_an_edit_through_one_server_is_found_by_search_through_the_other(nodes, request):
    world, servers = nodes
    a, b = servers
    word = "quokkatron" + uuid.uuid4().hex[:6]
    editor = WebUser(a.url, LAB)
    editor.login()
    mine = editor.get("/my/listings").text
    published = {lid for lid, _kind in world.plan["listings"]}
    listing_id = next(int(m) for m in re.findall(r'href="/listings/(\d+)"', mine)
                      if int(m) in published)
    reader = WebUser(b.url, SME)
    before = reader.get("/search", params={"q": word})
    assert before.status_code == 200 and f'/listings/{listing_id}"' not in before.text

    page = editor.get(f"/listings/{listing_id}/edit")
    values = form_values(page.text)
    values["description"] = (values.get("description") or "") + f" 新增服务 {word}"
    saved = editor.session.post(f"{a.url}/listings/{listing_id}/edit", data=values,
                                allow_redirects=False, timeout=30)
    assert saved.status_code == 302, saved.text[:2000]
    found = reader.get("/search", params={"q": word})
    hit = found.status_code == 200 and f'/listings/{listing_id}"' in found.text
    line = (f"faults/two-nodes search: listing #{listing_id} edited through :{a.port} "
            f"(description + {word!r}); search through :{b.port} before: "
            f"{'found' if f'/listings/{listing_id}' in before.text else 'not found'}, "
            f"right after: {'found' if hit else 'NOT found'} ({found.status_code})")
    print(line)
    from tests.marketplace.bookings.concurrency import report

    report(request, "faults-two-nodes-search", line)
    assert hit
