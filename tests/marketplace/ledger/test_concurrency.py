"""L3: concurrent ledger operations with crashes, killed connections and lost replies
(RELIABILITY.md §1.8 item 3).

``WORKERS`` threads each run ``OPS_PER_WORKER`` random operations — issue (a single transfer
budget → voucher), hold (voucher → receivable), post (all or part of a hold), void, reverse (of an
issue) — against a few shared voucher accounts, holds and issues, so that they race for the same
funds and resolve the same holds. Every operation carries a client-generated idempotency key; on
any error the client retries the same request with the same key (a refusal — a ``LedgerError`` —
is an answer, not an error). Faults injected:

* an exception after the ledger write, before the commit (rolled back, then retried);
* a lost acknowledgement: a committed request whose answer is thrown away and which is sent again;
  the answer must be ``replayed=True`` with the same transfer;
* on PostgreSQL, a chaos thread that ``pg_terminate_backend``s worker backends that are
  ``idle in transaction`` (each worker has its own engine whose connections carry the
  ``application_name`` ``l3-worker-<n>``; SQLite has no backends to kill).

At the end every figure of the summary line must be 0; ``queries.verify_committed`` covers the
per-transfer and per-account checks. ``LEDGER_SEED`` sets the seed (printed); ``LEDGER_L3_WORKERS``
and ``LEDGER_L3_OPS`` the size (CI: 8 × 150; nightly: 16 × 500).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from marketplace.ledger import operations as ops
from marketplace.ledger import queries
from marketplace.ledger.errors import LedgerError
from marketplace.ledger.models import (
    Asset,
    HoldStatus,
    LedgerAccount,
    LedgerEntry,
    LedgerTransfer,
)

SEED = int(os.environ.get("LEDGER_SEED", "20261201"))
WORKERS = int(os.environ.get("LEDGER_L3_WORKERS", "8"))
OPS_PER_WORKER = int(os.environ.get("LEDGER_L3_OPS", "150"))
MAX_ATTEMPTS = 60  # per request; a request still unanswered after this many is "abandoned"
P_ABORT = 0.12  # exception after the ledger write, before the commit
P_LOST_ACK = 0.10  # committed, but the answer is lost and the request sent again
RACE_WINDOW = 4  # post/void/reverse pick among the oldest 4 open holds / reversible issues
P_KILL = 0.25  # the chaos thread kills each idle-in-transaction worker backend it sees with this
P_THINK = 0.30  # the request does other work (1–4 ms) inside its transaction before committing
MIX = (("issue", 18), ("hold", 30), ("post", 11), ("post_part", 10), ("void", 12),
       ("reverse", 9))

BUDGET = "programme:1:layer:1:budget"
VOUCHERS = [f"enterprise:{n}:voucher:programme:1" for n in range(1, 6)]
RECEIVABLES = [f"provider:{n}:receivable" for n in range(1, 4)]
FIRST_ISSUE = 3_000  # fen per voucher before the run: little, so that holds overspend


class InjectedFault(Exception):
    """Raised between the ledger write and the commit: the transaction is rolled back."""


@dataclass
class Shared:
    """What the clients know of each other's committed work: open holds and reversible issues."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    holds: dict[int, int] = field(default_factory=dict)  # hold id -> amount
    issues: set[int] = field(default_factory=set)

    def pick(self, rng: random.Random, pool: str):
        """One of the oldest few: clients often go for the same hold or issue and race."""
        with self.lock:
            items = sorted(self.holds.items() if pool == "holds" else self.issues)
        return rng.choice(items[:RACE_WINDOW]) if items else None

    def add_hold(self, hold_id: int, amount: int) -> None:
        with self.lock:
            self.holds[hold_id] = amount

    def drop_hold(self, hold_id: int) -> None:
        with self.lock:
            self.holds.pop(hold_id, None)

    def add_issue(self, transfer_id: int) -> None:
        with self.lock:
            self.issues.add(transfer_id)

    def drop_issue(self, transfer_id: int) -> None:
        with self.lock:
            self.issues.discard(transfer_id)


@dataclass
class WorkerLog:
    answers: dict[str, int] = field(default_factory=dict)  # key -> transfer id it was answered with
    counts: Counter = field(default_factory=Counter)
    rejected: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)  # database errors by kind (retried)
    samples: dict[str, str] = field(default_factory=dict)  # error kind -> one message
    failures: list[str] = field(default_factory=list)  # what breaks the guarantees, explained
    crashed: BaseException | None = None


LOST_CONNECTION = ("terminating connection", "server closed the connection",
                   "connection is closed", "consuming input failed", "connection is lost")


def _classify(error: BaseException, backend: str) -> str:
    orig = getattr(error, "orig", None)
    state = getattr(orig, "sqlstate", None)
    if state in ("40P01", "40001"):
        return "deadlock"
    text = str(error).lower()
    if backend == "sqlite" and ("database is locked" in text or "busy" in text):
        return "deadlock"  # SQLite's form of a lock conflict: BEGIN IMMEDIATE must prevent it
    if isinstance(error, sa.exc.IntegrityError):
        return "integrity_unexplained"  # a constraint the operation did not answer for
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return "connection_lost"
    if state in ("57P01", "57P02", "57P03") or any(sign in text for sign in LOST_CONNECTION):
        return "connection_lost"  # killed by the chaos thread, seen before the pool noticed
    if isinstance(error, sa.exc.DBAPIError | sa.exc.InvalidRequestError):
        return f"db:{type(orig or error).__name__}"
    return f"other:{type(error).__name__}"


class Worker:
    def __init__(self, index: int, engine_url: sa.URL, backend: str, shared: Shared,
                 start: threading.Barrier):
        self.index, self.backend, self.shared, self.start = index, backend, shared, start
        self.name = f"l3-worker-{index}"
        self.url = engine_url
        self.rng = random.Random(f"{SEED}:{index}")
        self.log = WorkerLog()

    # one request: the operation, its fields fixed once, sent until it gets an answer
    def request(self, n: int):
        rng = self.rng
        kinds, weights = zip(*MIX, strict=True)
        kind = rng.choices(kinds, weights)[0]
        key = f"{self.name}:{n}"
        if kind in ("post", "post_part", "void"):
            picked = self.shared.pick(rng, "holds")
            if picked is None:
                kind = "hold"
            else:
                hold_id, held = picked
                amount = rng.randint(1, held) if kind == "post_part" else None
                if kind == "void":
                    return kind, key, hold_id, lambda s: ops.void(s, key, hold_id)
                return kind, key, hold_id, lambda s: ops.post(s, key, hold_id, amount=amount)
        if kind == "reverse":
            target = self.shared.pick(rng, "issues")
            if target is None:
                kind = "issue"
            else:
                return kind, key, target, lambda s: ops.reverse(s, key, target, "issued in error")
        if kind == "issue":
            voucher, amount = rng.choice(VOUCHERS), rng.randint(500, 4_000)
            legs = [(BUDGET, -amount), (voucher, amount)]
            return kind, key, None, lambda s: ops.transfer(s, key, legs, "issue vouchers",
                                                           reference=("quota", voucher))
        debit, credit = rng.choice(VOUCHERS), rng.choice(RECEIVABLES)
        amount = rng.randint(100, 2_500)
        booking = ("booking", key) if rng.random() < 0.7 else None
        return "hold", key, None, lambda s: ops.hold(s, key, debit, credit, amount, "booking",
                                                     reference=booking)

    def send(self, session_box: list, call, *, maybe_committed: bool):
        """Send one request until it is answered: ("accept", transfer id, replayed, ambiguous,
        amount) or ("reject", code, None, ambiguous, None); ``ambiguous``: some attempt's commit
        failed, so that attempt may have committed."""
        rng, log = self.rng, self.log
        for _attempt in range(MAX_ATTEMPTS):
            session = session_box[0]
            log.counts["attempts"] += 1
            committing = False
            try:
                result = call(session)
                transfer_id, replayed = result.transfer.id, result.replayed
                amount = result.transfer.amount  # read before the commit expires it
                if rng.random() < P_ABORT:
                    log.counts["injected_aborts"] += 1
                    raise InjectedFault
                if rng.random() < P_THINK:
                    time.sleep(rng.uniform(0.001, 0.004))
                committing = True
                session.commit()
            except LedgerError as error:
                self._rollback(session_box)
                return "reject", error.code, None, maybe_committed, None
            except InjectedFault:
                self._rollback(session_box)
                continue
            except Exception as error:  # noqa: BLE001 — any error: roll back, retry the same key
                kind = _classify(error, self.backend)
                log.errors[kind] += 1
                log.samples.setdefault(kind, f"{type(error).__name__}: {str(error)[:300]}")
                if committing:
                    maybe_committed = True
                self._rollback(session_box)
                time.sleep(rng.uniform(0, 0.002))
                continue
            return "accept", transfer_id, replayed, maybe_committed, amount
        log.counts["abandoned"] += 1
        return "abandoned", None, None, maybe_committed, None

    def _rollback(self, session_box: list) -> None:
        try:
            session_box[0].rollback()
        except Exception as error:  # noqa: BLE001 — a dead connection: start a new session
            self.log.errors[f"rollback:{type(error).__name__}"] += 1
            bind = session_box[0].bind
            with contextlib.suppress(Exception):
                session_box[0].close()
            session_box[0] = Session(bind)

    def run(self) -> None:
        log = self.log
        options = {"pool_size": 1, "max_overflow": 0, "pool_pre_ping": True}
        url = self.url
        if self.backend == "postgresql":
            url = url.update_query_dict({"application_name": self.name})
        else:
            options = {"connect_args": {"timeout": 30}}
        engine = sa.create_engine(url, **options)
        session_box = [Session(engine)]
        try:
            self.start.wait(timeout=60)
            for n in range(1, OPS_PER_WORKER + 1):
                self.one(session_box, n)
        except BaseException as error:  # noqa: BLE001 — reported by the test, not by the thread
            log.crashed = error
        finally:
            with contextlib.suppress(Exception):
                session_box[0].close()
            engine.dispose()

    def one(self, session_box: list, n: int) -> None:
        log, shared = self.log, self.shared
        kind, key, target, call = self.request(n)
        log.counts["ops"] += 1
        outcome, value, replayed, ambiguous, amount = self.send(session_box, call,
                                                                maybe_committed=False)
        if outcome == "abandoned":
            return
        if outcome == "reject":
            log.rejected[value] += 1
            if value == "hold_already_resolved":
                shared.drop_hold(target)
            elif value == "already_reversed":
                shared.drop_issue(target)
            return
        if replayed and not ambiguous:  # a write that outlived its rollback, or a stray key
            log.counts["unexpected_replays"] += 1
            log.failures.append(f"{key}: answered replayed with no earlier commit")
        elif replayed:
            log.counts["real_lost_replies"] += 1  # a commit that failed on the wire had landed
        log.counts["committed"] += 1
        self.record(key, value)
        if kind == "hold":
            shared.add_hold(value, amount)
        elif kind == "issue":
            shared.add_issue(value)
        elif kind in ("post", "post_part", "void"):
            shared.drop_hold(target)
        elif kind == "reverse":
            shared.drop_issue(target)

        if self.rng.random() < P_LOST_ACK:  # the answer never reached the client: send again
            log.counts["lost_ack_retries"] += 1
            again = self.send(session_box, call, maybe_committed=True)
            if again[0] != "accept" or not again[2] or again[1] != value:
                log.counts["lost_ack_retries_not_exists"] += 1
                log.failures.append(f"{key}: lost-ack retry answered {again[:3]}, "
                                    f"first answer was transfer #{value}")
            else:
                self.record(key, again[1])

    def record(self, key: str, transfer_id: int) -> None:
        first = self.log.answers.setdefault(key, transfer_id)
        if first != transfer_id:
            self.log.counts["duplicate_answers"] += 1
            self.log.failures.append(f"{key}: answered #{first}, then #{transfer_id}")


class Chaos(threading.Thread):
    """Kills worker backends that sit ``idle in transaction`` (PostgreSQL only)."""

    def __init__(self, url: sa.URL):
        super().__init__(name="l3-chaos", daemon=True)
        self.url = url
        self.stop = threading.Event()
        self.rng = random.Random(f"{SEED}:chaos")
        self.killed = 0
        self.crashed: BaseException | None = None

    def run(self) -> None:
        engine = sa.create_engine(self.url.update_query_dict({"application_name": "l3-chaos"}),
                                  isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with engine.connect() as conn:
                while not self.stop.is_set():
                    pids = conn.execute(sa.text(
                        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND application_name LIKE 'l3-worker-%' "
                        "AND state = 'idle in transaction'")).scalars().all()
                    for pid in pids:
                        if self.rng.random() < P_KILL:
                            killed = conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"),
                                                  {"pid": pid}).scalar()
                            self.killed += bool(killed)
                    self.stop.wait(self.rng.uniform(0.01, 0.06))
        except BaseException as error:  # noqa: BLE001
            self.crashed = error
        finally:
            engine.dispose()


def _open_chart(session) -> None:
    ops.open_account(session, BUDGET, Asset.VOUCHER, "budget", allow_negative=True)
    for code in VOUCHERS:
        ops.open_account(session, code, Asset.VOUCHER, "voucher")
    for code in RECEIVABLES:
        ops.open_account(session, code, Asset.VOUCHER, "receivable")
    for n, code in enumerate(VOUCHERS, 1):
        ops.transfer(session, f"setup:issue:{n}", [(BUDGET, -FIRST_ISSUE), (code, FIRST_ISSUE)],
                     "issue vouchers")
    session.commit()


def _figures(session, report: queries.VerifyReport, logs: list[WorkerLog]) -> dict[str, int]:
    """The must-be-zero figures, from the database (cached counters, entries) and ``verify``."""
    A, E, T = LedgerAccount, LedgerEntry, LedgerTransfer  # noqa: N806
    breaks = Counter(b.check for b in report.breaks)
    unbalanced = Counter("pending" if "pending" in b.detail else "posted"
                         for b in report.breaks if b.check == "unbalanced")
    posted_sum, debits, credits = session.execute(sa.select(
        sa.func.coalesce(sa.func.sum(A.posted_balance), 0),
        sa.func.coalesce(sa.func.sum(A.pending_debits), 0),
        sa.func.coalesce(sa.func.sum(A.pending_credits), 0))).one()
    posted_entries = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(E.amount), 0)).where(~E.pending))
    open_pending = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(E.amount), 0)).join(T, E.transfer_id == T.id)
        .where(E.pending, T.status == HoldStatus.PENDING))
    overdrawn = session.scalar(sa.select(sa.func.count()).select_from(A).where(
        ~A.allow_negative, A.posted_balance - A.pending_debits < 0))
    negative = session.scalar(sa.select(sa.func.count()).select_from(A).where(sa.or_(
        A.pending_debits < 0, A.pending_credits < 0,
        sa.and_(~A.allow_negative, A.posted_balance < 0))))
    resolved_twice = session.scalar(sa.select(sa.func.count()).select_from(
        sa.select(T.pending_id).where(T.pending_id.is_not(None)).group_by(T.pending_id)
        .having(sa.func.count() > 1).subquery()))
    twice_in_verify = 0  # verify's hold_state break: "<status>, <n> held; <p> posts, <v> voids…"
    for b in report.breaks:
        resolutions = re.search(r"(\d+) posts, (\d+) voids", b.detail)
        if b.check == "hold_state" and resolutions and sum(map(int, resolutions.groups())) > 1:
            twice_in_verify += 1

    # every transfer made by the run is the answer some client got for its key, and vice versa
    answers = {key: tid for log in logs for key, tid in log.answers.items()}
    stored = dict(session.execute(sa.select(T.idempotency_key, T.id)
                                  .where(T.idempotency_key.like("l3-worker-%"))).all())
    unanswered = [key for key in stored if key not in answers]
    mismatched = [key for key, tid in answers.items() if stored.get(key) != tid]
    return {
        "imbalance_posted": abs(posted_sum) + abs(posted_entries) + unbalanced["posted"],
        "imbalance_pending": abs(debits - credits) + abs(open_pending) + unbalanced["pending"],
        "overdrawn_vouchers": overdrawn + breaks["overdrawn"],
        "negative_counters": negative,
        "account_vs_fold_mismatch": sum(n for check, n in breaks.items()
                                        if check.endswith("_mismatch")
                                        and check != "reversal_mismatch"),
        "holds_resolved_twice": resolved_twice + twice_in_verify,
        "duplicate_transfers_on_retry": (len(unanswered) + len(mismatched)
                                         + sum(log.counts["duplicate_answers"] for log in logs)),
        "deadlocks": sum(log.errors["deadlock"] for log in logs),
        "lost_ack_retries_not_exists": sum(log.counts["lost_ack_retries_not_exists"]
                                           for log in logs),
        # beyond RELIABILITY's list: a first answer "replayed" although no earlier attempt of
        # that request could have committed (an injected abort that did not roll back)
        "unexpected_replays": sum(log.counts["unexpected_replays"] for log in logs),
    }


def test_concurrent_operations_with_faults_keep_every_invariant(app, db, figures):
    backend = db.engine.dialect.name
    _open_chart(db.session)
    db.session.close()
    url = db.engine.url
    shared = Shared()
    start = threading.Barrier(WORKERS + 1)
    workers = [Worker(i, url, backend, shared, start) for i in range(1, WORKERS + 1)]
    threads = [threading.Thread(target=w.run, name=w.name) for w in workers]
    chaos = Chaos(url) if backend == "postgresql" else None

    for thread in threads:
        thread.start()
    start.wait(timeout=60)
    started = time.monotonic()
    if chaos is not None:
        chaos.start()
    for thread in threads:
        thread.join(timeout=300)
    elapsed = time.monotonic() - started
    if chaos is not None:
        chaos.stop.set()
        chaos.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a worker did not finish"
    logs = [w.log for w in workers]
    crashed = [(w.name, repr(w.log.crashed)) for w in workers if w.log.crashed is not None]
    assert not crashed, crashed
    assert chaos is None or chaos.crashed is None, repr(chaos.crashed)

    report = queries.verify_committed(db.engine)
    with Session(db.engine) as session:
        zero = _figures(session, report, logs)

    total = sum((log.counts for log in logs), Counter())
    rejected = sum((log.rejected for log in logs), Counter())
    errors = sum((log.errors for log in logs), Counter())
    failures = [f for log in logs for f in log.failures]
    figures["L3"] = (
        f"L3 ledger concurrency ({backend}): "
        + ", ".join(f"{name}={value}" for name, value in zero.items())
        + f" | workers={WORKERS}, ops={total['ops']}, committed={total['committed']}, "
        f"attempts={total['attempts']}, backends killed="
        + (f"{chaos.killed}" if chaos is not None else "n/a (SQLite)")
        + f", injected aborts={total['injected_aborts']}, "
        f"lost-ack retries={total['lost_ack_retries']}, "
        f"real lost replies answered replayed={total['real_lost_replies']}, "
        f"abandoned={total['abandoned']}, retried errors {dict(sorted(errors.items()))}, "
        f"rejections by reason {dict(sorted(rejected.items()))}, "
        f"transfers={report.transfers}, verify breaks={len(report.breaks)}, "
        f"elapsed={elapsed:.1f}s, seed={SEED}")
    print(figures["L3"])

    assert zero == dict.fromkeys(zero, 0), figures["L3"]
    assert report.ok, report.verdict()
    assert not failures, failures[:10]
    assert total["abandoned"] == 0
    assert total["ops"] == WORKERS * OPS_PER_WORKER
    # only lost connections (and rolling back on one) may be retried: a warning (an error under
    # filterwarnings), an IntegrityError the ledger did not answer for or a bug would show here
    samples = {kind: text for log in logs for kind, text in log.samples.items()}
    retriable = ("connection_lost", "rollback:") if chaos is not None else ()
    unexpected = {kind: samples[kind] for kind in errors if not kind.startswith(retriable)}
    assert not unexpected, unexpected
    # the faults were really injected (a run that injects nothing proves nothing)
    assert total["injected_aborts"] > 0 and total["lost_ack_retries"] > 0
    if chaos is not None:
        assert chaos.killed > 0, "the chaos thread killed no backend"
