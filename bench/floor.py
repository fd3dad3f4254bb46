"""The floor under a ledger operation from Python: a yardstick, not the project's ledger.

A throw-away PL/pgSQL function, installed in the benchmark's scratch database only, places a hold
on the ledger's own tables (idempotency-key look-up, both accounts locked in id order, funds
checked, the transfer and its two entries inserted, the counters moved — what ``hold`` does, with
no Python logic at all). Each client calls it once per transaction through a SQLAlchemy
``Session`` of the app's engine (the same options, pre-ping included) and commits: one statement
and one commit per operation, the least Python any ledger client can spend. What this rate is to
pgbench's, no Python ledger can beat on the same machine; ``bench/ledger.py`` prints both.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import multiprocessing
import queue
import random
import threading
import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

FUNCTION = """
CREATE OR REPLACE FUNCTION bench_floor_hold(p_key text, p_debit text, p_credit text,
    p_amount bigint, p_now timestamptz, OUT outcome text, OUT transfer_id int)
LANGUAGE plpgsql AS $$
DECLARE
  r record; debit_id int; credit_id int; available bigint; debit_asset text;
BEGIN
  SELECT id INTO transfer_id FROM ledger_transfers WHERE idempotency_key = p_key;
  IF FOUND THEN outcome := 'replayed'; RETURN; END IF;
  FOR r IN SELECT id, code, asset, allow_negative, posted_balance - pending_debits AS free
             FROM ledger_accounts WHERE code IN (p_debit, p_credit) ORDER BY id
           FOR NO KEY UPDATE LOOP
    IF r.code = p_debit THEN
      debit_id := r.id; debit_asset := r.asset;
      available := CASE WHEN r.allow_negative THEN NULL ELSE r.free END;
    ELSE
      credit_id := r.id;
    END IF;
  END LOOP;
  IF debit_id IS NULL OR credit_id IS NULL THEN outcome := 'unknown_account'; RETURN; END IF;
  IF available IS NOT NULL AND available < p_amount THEN
    outcome := 'insufficient_funds'; RETURN;
  END IF;
  INSERT INTO ledger_transfers (idempotency_key, fingerprint, kind, status, asset, amount, memo,
                                created_at)
  VALUES (p_key, md5(p_key), 'pending', 'pending', debit_asset, p_amount, 'floor', p_now)
  ON CONFLICT DO NOTHING RETURNING id INTO transfer_id;
  IF transfer_id IS NULL THEN outcome := 'lost_race'; RETURN; END IF;
  INSERT INTO ledger_entries (transfer_id, account_id, amount, pending)
  VALUES (transfer_id, debit_id, -p_amount, true), (transfer_id, credit_id, p_amount, true);
  UPDATE ledger_accounts SET pending_debits = pending_debits + p_amount WHERE id = debit_id;
  UPDATE ledger_accounts SET pending_credits = pending_credits + p_amount WHERE id = credit_id;
  outcome := 'ok';
END $$
"""
CALL = sa.text("SELECT outcome, transfer_id FROM bench_floor_hold(:key, :debit, :credit, "
               ":amount, :now)")


def _client(config: dict, args, index: int, start, results) -> None:
    from bench.ledger import provider_code, voucher_code
    from marketplace import create_app
    from marketplace.extensions import db

    done = failed = 0
    cpu = began = ended = 0.0
    try:
        app = create_app({**config, "SQLALCHEMY_ENGINE_OPTIONS": {
            **config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_size": 1, "max_overflow": 2}})
        rng = random.Random(f"{args.seed}:floor:{index}")
        with app.app_context(), Session(db.engine) as session:
            session.execute(sa.text("SELECT 1"))
            session.commit()  # connected before the clock starts, as pgbench does
            start.wait(timeout=120)
            began, cpu_started = time.perf_counter(), time.process_time()
            deadline = began + args.seconds
            while time.perf_counter() < deadline:
                row = session.execute(CALL, {
                    "key": f"floor:{index}:{done + failed}:{time.time_ns()}",
                    "debit": voucher_code(rng.randint(1, args.vouchers)),
                    "credit": provider_code(rng.randint(1, args.providers)),
                    "amount": 1, "now": dt.datetime.now(dt.UTC)}).one()
                session.commit()
                if row.outcome == "ok":
                    done += 1
                else:
                    failed += 1
            cpu, ended = time.process_time() - cpu_started, time.perf_counter()
            db.engine.dispose()
    except BaseException:  # noqa: BLE001 — a client that failed reports nothing done
        with contextlib.suppress(threading.BrokenBarrierError, AssertionError):
            start.abort()
    results.put((done, failed, cpu, began, ended))


def bench_floor(backend, args) -> dict[int, float]:
    """Holds/s of the floor function at each client count (client processes), on ``backend``'s
    PostgreSQL database (the ledger's schema and the benchmark's chart already in it)."""
    with backend.engine.begin() as conn:
        conn.exec_driver_sql(FUNCTION)
    backend.engine.dispose()
    context = multiprocessing.get_context(args.start_method)
    rates: dict[int, float] = {}
    print("floor: one stored-function call (the hold in PL/pgSQL) + COMMIT per operation from a "
          "Session of the app's engine — the least Python a ledger operation can cost")
    for clients in args.client_counts:
        start = context.Barrier(clients + 1)
        results = context.Queue()
        processes = [context.Process(target=_client, args=(backend.config, args, i, start,
                                                          results))
                     for i in range(clients)]
        for process in processes:
            process.start()
        with contextlib.suppress(threading.BrokenBarrierError):
            start.wait(timeout=120 + 5 * clients)
        figures = []
        for _ in processes:
            with contextlib.suppress(queue.Empty):
                figures.append(results.get(timeout=args.seconds + 120))
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
        ran = [f for f in figures if f[4] > 0]
        if len(ran) < clients:
            print(f"floor {clients:>2} clients: {clients - len(ran)} client(s) failed; no figure")
            continue
        done = sum(f[0] for f in ran)
        elapsed = max(f[4] for f in ran) - min(f[3] for f in ran)
        rates[clients] = done / elapsed
        print(f"floor {clients:>2} clients: {rates[clients]:>8.1f} holds/s, "
              f"{sum(f[1] for f in ran)} refused; client CPU "
              f"{sum(f[2] for f in ran) / max(1, done) * 1000:.2f} ms/op", flush=True)
    return rates
