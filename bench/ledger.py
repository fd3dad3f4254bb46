"""Ledger benchmark: voucher transfers per second through marketplace.ledger.operations.

Run from the repository root:  .venv/bin/python -m bench.ledger  [--seconds 10]
[--clients 1,4,16] [--backends postgresql,sqlite] [--mode processes|threads|both] [--pg-url URL]
[--no-pgbench] [--profile]

For each backend it builds a throw-away database with the real migrations (PostgreSQL: a database
created on the ``--pg-url`` server and dropped at the end; SQLite: a temporary file), opens a
voucher programme (one budget, ``--vouchers`` enterprise voucher accounts funded from it,
``--providers`` provider receivable accounts), then runs ``--seconds`` of the booking mix with
1, 4 and 16 clients. By default each client is a process of its own, like a web worker: its own
app, engine and connection (``--mode threads``: threads of this process, sharing one GIL). Each
commits every business operation on its own, as a request would: issue (a single transfer
budget → voucher), hold (voucher → receivable), post (all or part of one of its holds) or void.
After each run ``queries.verify_committed`` checks every ledger invariant over what was committed.

Beside it, on the same PostgreSQL server, ``pgbench`` (TPC-B-like default script, scale 10, in a
scratch database created and dropped here) gives a yardstick: what the server and this machine do
with a plain C client and five statements per transaction. A benchmark: it never fails (exit 0).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import io
import logging
import multiprocessing
import os
import platform
import pstats
import queue
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench import cpu_name

DEFAULT_PG_URL = "postgresql+psycopg://127.0.0.1:5432/test"
BUDGET = "programme:1:layer:1:budget"
# the booking mix: an officer issues now and then; enterprises book, bookings complete or cancel
MIX = (("issue", 10), ("hold", 45), ("post", 30), ("void", 15))
MAX_OPEN_HOLDS = 25  # per client: beyond this it resolves before booking again
TARGET_RATIO = 0.50  # ledger ops/s at 4 clients ÷ pgbench tps at 4 clients


# ---------------------------------------------------------------------------------------------
# the machine (as bench/search.py prints it)
def machine_lines(versions: list[str]) -> list[str]:
    cpu = cpu_name()
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:
        available = os.cpu_count()
    return [f"date     {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
            f"machine  {cpu}; {os.cpu_count()} cores ({available} usable); {platform.system()} "
            f"{platform.release()}",
            f"python   {platform.python_version()} ({platform.python_implementation()}); "
            + ", ".join(versions)]


def load() -> str:
    try:
        one, five, _fifteen = os.getloadavg()
    except OSError:
        return "?"
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100.0
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def backend_cpu(pid: int) -> float | None:
    """CPU seconds a local process has used so far (None: not a postgres process of this
    machine, e.g. a remote server)."""
    try:
        proc = Path(f"/proc/{pid}")
        if "postgres" not in (proc / "comm").read_text():
            return None
        fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ServerCPU(threading.Thread):
    """Samples the CPU time of the PostgreSQL backends that serve one database (a server on this
    machine only) while a run goes on: what the server spends, beside the clients."""

    def __init__(self, url, database: str, interval: float = 0.2):
        super().__init__(name="server-cpu", daemon=True)
        self.url = sa.make_url(url).set(database=database)
        self.database, self.interval = database, interval
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool,
                                  isolation_level="AUTOCOMMIT")
        query = sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :database "
                        "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
        try:
            with engine.connect() as conn:
                while True:
                    for pid in conn.execute(query, {"database": self.database}).scalars():
                        if (cpu := backend_cpu(pid)) is not None:
                            self.first.setdefault(pid, cpu)
                            self.last[pid] = cpu
                    if self.stop.wait(self.interval):
                        break
        except sa.exc.DBAPIError:
            pass
        finally:
            engine.dispose()

    def finish(self) -> float | None:
        """Backend CPU seconds during the run (``None`` if the server is not local)."""
        self.stop.set()
        self.join(timeout=10)
        return sum(self.last[pid] - self.first[pid] for pid in self.last) if self.last else None


def voucher_code(n: int) -> str:
    return f"enterprise:{n}:voucher:programme:1"


def provider_code(n: int) -> str:
    return f"provider:{n}:receivable"


# ---------------------------------------------------------------------------------------------
# databases
class Backend:
    """A throw-away database on one backend, migrated to head inside a ``create_app`` context."""

    def __init__(self, name: str, args, workdir: Path):
        self.name, self.args, self.workdir = name, args, workdir
        self.server = None
        if name == "postgresql":
            from marketplace.config import normalize_database_url

            self.server_url = sa.make_url(normalize_database_url(args.pg_url))
            self.server = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT")
            self.database = f"bench_ledger_{uuid.uuid4().hex[:10]}"
            with self.server.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{self.database}"')
            self.url = self.server_url.set(database=self.database).render_as_string(
                hide_password=False)
        else:
            self.url = f"sqlite:///{workdir / 'ledger-bench.sqlite'}"
        try:
            self.app = self._app()
        except BaseException:
            self._drop()
            raise

    def _app(self):
        from flask_migrate import upgrade

        from marketplace import create_app
        from marketplace.config import TestConfig

        os.environ.setdefault("INSTANCE_PATH", str(self.workdir / "instance"))
        pool = max(self.args.client_counts) + 2
        options = {"pool_size": pool, "max_overflow": 4}
        if self.name == "postgresql":
            if self.args.pre_ping:  # else create_app's own: idle connections only (dbpool)
                options["pool_pre_ping"] = True
        else:
            options["connect_args"] = {"timeout": 30}
        self.config = {
            **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
            "SQLALCHEMY_DATABASE_URI": self.url,
            "SQLALCHEMY_ENGINE_OPTIONS": options,
            "SEARCH_INDEX_DIR": str(self.workdir / "search-index"),
            "MODEL_DIR": str(self.workdir / "models"),
            "SERVER_NAME": None,
        }
        app = create_app(self.config)
        logging.disable(logging.INFO)  # alembic's "Running upgrade …" lines
        try:
            with app.app_context():
                upgrade()
        finally:
            logging.disable(logging.NOTSET)
        return app

    @property
    def engine(self) -> sa.Engine:
        from marketplace.extensions import db

        with self.app.app_context():
            return db.engine

    def close(self) -> None:
        from marketplace.extensions import db

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        self._drop()

    def _drop(self) -> None:
        if self.server is not None:
            with self.server.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            self.server.dispose()


def server_version(args) -> str:
    from marketplace.config import normalize_database_url

    engine = sa.create_engine(normalize_database_url(args.pg_url))
    try:
        with engine.connect() as conn:
            version = conn.exec_driver_sql("SHOW server_version").scalar()
            settings = dict(conn.exec_driver_sql(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('fsync', 'synchronous_commit', 'shared_buffers', 'max_connections')").all())
        return (f"PostgreSQL {version} at {engine.url.host}:{engine.url.port or 5432} "
                f"(fsync={settings.get('fsync')}, synchronous_commit="
                f"{settings.get('synchronous_commit')}, shared_buffers="
                f"{int(settings.get('shared_buffers', 0)) * 8 // 1024} MB)")
    except sa.exc.OperationalError as error:
        return f"PostgreSQL unreachable at {args.pg_url}: {error.orig}"
    finally:
        engine.dispose()


# ---------------------------------------------------------------------------------------------
# the chart of accounts and the workload
def open_chart(engine: sa.Engine, args) -> None:
    from marketplace.ledger import operations as ops
    from marketplace.ledger.models import Asset

    with Session(engine) as session:
        ops.open_account(session, BUDGET, Asset.VOUCHER, "budget", allow_negative=True)
        for n in range(1, args.vouchers + 1):
            ops.open_account(session, voucher_code(n), Asset.VOUCHER, "voucher")
        for n in range(1, args.providers + 1):
            ops.open_account(session, provider_code(n), Asset.VOUCHER, "receivable")
        for n in range(1, args.vouchers + 1):  # the first issue to every enterprise (not timed)
            ops.transfer(session, f"setup:issue:{n}", [(BUDGET, -args.funding),
                                                       (voucher_code(n), args.funding)],
                         "issue vouchers", reference=("quota", n))
        session.commit()


@dataclass
class ClientStats:
    ops: Counter = field(default_factory=Counter)  # committed, by operation
    latencies: dict = field(default_factory=dict)  # operation -> [seconds]
    rejected: Counter = field(default_factory=Counter)  # ledger rejections, by code
    errors: Counter = field(default_factory=Counter)  # database errors, by class
    replayed: int = 0
    cpu: float = 0.0  # CPU seconds of this client (its thread, or its whole process)
    began: float = 0.0  # time.perf_counter() (CLOCK_MONOTONIC: one clock for every process)
    ended: float = 0.0
    crashed: str | None = None  # a client process that died: why


def client(engine: sa.Engine, args, run: str, index: int, start, stats: ClientStats,
           profile: cProfile.Profile | None, cpu_clock=time.thread_time) -> None:
    """One client: after ``start`` (a barrier) it runs the mix for ``args.seconds``, each
    operation one transaction of its own session, and fills ``stats``."""
    from marketplace.ledger import operations as ops
    from marketplace.ledger.errors import LedgerError

    rng = random.Random(f"{args.seed}:{run}:{index}")
    kinds, weights = zip(*MIX, strict=True)
    holds: list[tuple[int, int]] = []  # this client's open holds: (id, amount)
    n = 0
    with Session(engine) as session:
        session.connection()  # connect (and ping) before the clock starts, as pgbench does
        session.commit()
        start.wait()
        stats.began = time.perf_counter()
        deadline = stats.began + args.seconds
        cpu_started = cpu_clock()
        if profile is not None:
            profile.enable()
        while time.perf_counter() < deadline:
            kind = rng.choices(kinds, weights)[0]
            if kind in ("post", "void") and not holds:
                kind = "hold"
            elif kind == "hold" and len(holds) >= MAX_OPEN_HOLDS:
                kind = "post"
            n += 1
            key = f"bench:{run}:{index}:{n}"
            began = time.perf_counter()
            try:
                if kind == "issue":
                    enterprise = rng.randint(1, args.vouchers)
                    amount = rng.randint(10_000, 200_000)
                    result = ops.transfer(session, key, [(BUDGET, -amount),
                                                         (voucher_code(enterprise), amount)],
                                          "issue vouchers", reference=("quota", enterprise))
                elif kind == "hold":
                    result = ops.hold(session, key, voucher_code(rng.randint(1, args.vouchers)),
                                      provider_code(rng.randint(1, args.providers)),
                                      rng.randint(100, 50_000), "booking",
                                      reference=("booking", f"{run}-{index}-{n}"))
                else:
                    hold_id, held = holds.pop(rng.randrange(len(holds)))
                    if kind == "void":
                        result = ops.void(session, key, hold_id, memo="booking cancelled")
                    elif rng.random() < 0.5:
                        result = ops.post(session, key, hold_id)
                    else:
                        result = ops.post(session, key, hold_id, amount=rng.randint(1, held))
                made = (result.transfer.id, result.transfer.amount)  # read before the commit
                session.commit()
            except LedgerError as error:
                session.rollback()
                stats.rejected[error.code] += 1
                continue
            except sa.exc.DBAPIError as error:
                session.rollback()
                stats.errors[type(error.orig).__name__] += 1
                continue
            stats.latencies.setdefault(kind, []).append(time.perf_counter() - began)
            stats.ops[kind] += 1
            stats.replayed += result.replayed
            if kind == "hold":
                holds.append(made)
        if profile is not None:
            profile.disable()
        stats.cpu = cpu_clock() - cpu_started
        stats.ended = time.perf_counter()


def client_process(config: dict, args, run: str, index: int, start, results,
                   profile_path: str | None) -> None:
    """A client process, like a web worker: its own app, engine and connection; its figures go
    back to the parent through ``results`` (a queue)."""
    stats = ClientStats()
    try:
        from marketplace import create_app
        from marketplace.extensions import db

        app = create_app({**config, "SQLALCHEMY_ENGINE_OPTIONS": {
            **config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_size": 1, "max_overflow": 2}})
        with app.app_context():
            engine = db.engine
            profile = new_profile(args) if profile_path else None
            try:
                client(engine, args, run, index, start, stats, profile,
                       cpu_clock=time.process_time)
            finally:
                engine.dispose()
            if profile is not None:
                profile.dump_stats(profile_path)
    except BaseException as error:  # noqa: BLE001 — reported by the parent
        stats.crashed = f"{type(error).__name__}: {error}"
        with contextlib.suppress(threading.BrokenBarrierError, AssertionError):
            start.abort()
    results.put((index, stats))


@dataclass
class RunResult:
    backend: str
    mode: str  # processes or threads
    clients: int
    elapsed: float
    ops: Counter
    latencies: dict
    rejected: Counter
    errors: Counter
    breaks: int
    verdict: str
    cpu: float  # client CPU seconds, all clients together
    server_cpu: float | None  # CPU seconds of the PostgreSQL backends serving the clients
    load: str  # the load average right after the run

    @property
    def rate(self) -> float:
        return sum(self.ops.values()) / self.elapsed


def new_profile(args) -> cProfile.Profile:
    """cProfile with wall time (default: where the client waits, too) or the process's CPU time
    (``--profile-clock cpu``: only what the client spends itself)."""
    if args.profile_clock == "cpu":
        return cProfile.Profile(time.process_time)
    return cProfile.Profile()


def run_threads(backend: Backend, args, run: str, clients: int,
                profile: cProfile.Profile | None) -> list[ClientStats]:
    engine = backend.engine
    stats = [ClientStats() for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    threads = [threading.Thread(target=client, name=f"ledger-client-{i}",
                                args=(engine, args, run, i, start, stats[i],
                                      profile if i == 0 else None))
               for i in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join()
    return stats


def run_processes(backend: Backend, args, run: str, clients: int, profile_path: str | None,
                  monitor: ServerCPU | None) -> list[ClientStats]:
    context = multiprocessing.get_context(args.start_method)
    backend.engine.dispose()  # no pooled connection is inherited by a forked child
    start = context.Barrier(clients + 1)
    results = context.Queue()
    processes = [context.Process(target=client_process, name=f"ledger-client-{i}",
                                 args=(backend.config, args, run, i, start, results,
                                       profile_path if i == 0 else None))
                 for i in range(clients)]
    for process in processes:
        process.start()
    if monitor is not None:
        monitor.start()  # only now: a thread running while the parent forks could deadlock a child
    with contextlib.suppress(threading.BrokenBarrierError):
        start.wait(timeout=120 + 5 * clients)  # spawned processes import the app first
    stats: list[ClientStats] = []
    for _ in processes:
        try:
            stats.append(results.get(timeout=args.seconds + 120)[1])
        except queue.Empty:
            break
    for process in processes:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
    missing = clients - len(stats)
    if missing:
        stats += [ClientStats(crashed="no answer from the client process")] * missing
    return stats


def run_clients(backend: Backend, args, clients: int, mode: str) -> RunResult:
    from marketplace.ledger.queries import verify_committed

    run = f"{backend.name[:2]}{mode[0]}{clients}"
    profile = profile_path = None
    if args.profile and clients == 1:
        if mode == "threads":
            profile = new_profile(args)
        else:
            profile_path = str(backend.workdir / f"profile-{run}.prof")
    monitor = ServerCPU(backend.url, backend.database) if backend.name == "postgresql" else None
    if mode == "threads":
        if monitor is not None:
            monitor.start()
        stats = run_threads(backend, args, run, clients, profile)
    else:
        stats = run_processes(backend, args, run, clients, profile_path, monitor)
    server_cpu = monitor.finish() if monitor is not None else None
    ran = [s for s in stats if s.ended > 0]
    elapsed = (max(s.ended for s in ran) - min(s.began for s in ran)) if ran else float("nan")

    total = ClientStats()
    for s in stats:
        total.cpu += s.cpu
        total.ops.update(s.ops)
        total.rejected.update(s.rejected)
        total.errors.update(s.errors)
        for kind, values in s.latencies.items():
            total.latencies.setdefault(kind, []).extend(values)
    crashed = Counter(s.crashed for s in stats if s.crashed)
    report = verify_committed(backend.engine)
    result = RunResult(backend.name, mode, clients, elapsed, total.ops, total.latencies,
                       total.rejected, total.errors, len(report.breaks), report.verdict(limit=3),
                       total.cpu, server_cpu, load())
    lat = result.latencies
    cells = "  ".join(f"{kind} {result.ops[kind]:>5} ({percentile(lat[kind], 50) * 1000:.1f}/"
                      f"{percentile(lat[kind], 99) * 1000:.1f} ms)"
                      for kind, _ in MIX if kind in lat)
    print(f"{backend.name:<11}{clients:>3} {mode:<9} {result.rate:>8.1f} ops/s  "
          f"{sum(result.ops.values()):>6} ops in {elapsed:.1f}s   {cells}", flush=True)
    committed = max(1, sum(result.ops.values()))
    extra = [f"client CPU {result.cpu / committed * 1000:.2f} ms/op "
             f"({result.cpu / elapsed:.0%} of one core)"]
    if result.server_cpu is not None:
        extra.append(f"server CPU {result.server_cpu / committed * 1000:.2f} ms/op "
                     f"({result.server_cpu / elapsed:.0%})")
    extra.append(f"load {result.load}")
    if result.rejected:
        extra.append(f"rejected {dict(sorted(result.rejected.items()))}")
    if result.errors:
        extra.append(f"database errors {dict(sorted(result.errors.items()))}")
    if crashed:
        extra.append(f"CLIENTS CRASHED {dict(crashed)}")
    extra.append(f"invariant breaks {result.breaks} — {result.verdict}")
    print(f"{'':<14}{'; '.join(extra)}", flush=True)
    if profile is not None or (profile_path and os.path.exists(profile_path)):
        out = io.StringIO()
        source = profile if profile is not None else profile_path
        ranked = pstats.Stats(source, stream=out).sort_stats(args.profile_sort)
        if args.profile_dump:
            ranked.dump_stats(args.profile_dump)
        ranked.print_stats(args.profile_lines)
        print(f"--- cProfile of the single client ({mode}) on {backend.name} "
              f"({args.profile_sort}, top {args.profile_lines}) ---")
        print("\n".join(out.getvalue().splitlines()[:args.profile_lines + 10]))
    return result


def bench_backend(name: str, args, workdir: Path, floor: dict[int, float]) -> list[RunResult]:
    print(f"\n=== {name} ===", flush=True)
    started = time.perf_counter()
    try:
        backend = Backend(name, args, workdir)
    except sa.exc.OperationalError as error:
        print(f"{name}: cannot create the database: {error.orig}")
        return []
    try:
        engine = backend.engine
        open_chart(engine, args)
        print(f"schema by the migrations, {args.vouchers} vouchers funded with "
              f"{args.funding / 100:,.0f} CNY each, {args.providers} providers: "
              f"{time.perf_counter() - started:.1f}s (not measured)", flush=True)
        print(f"{'backend':<11}{'':>3} clients   {'ops/s':>8}        committed      "
              "per operation: count (p50/p99 latency)")
        results = [run_clients(backend, args, clients, mode)
                   for mode in args.modes for clients in args.client_counts]
        if name == "postgresql" and not args.no_floor:
            from bench.floor import bench_floor

            floor.update(bench_floor(backend, args))
        return results
    finally:
        backend.close()


# ---------------------------------------------------------------------------------------------
# pgbench on the same server
def pgbench_available() -> str | None:
    try:
        out = subprocess.run(["pgbench", "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def bench_pgbench(args) -> dict[int, float]:
    from marketplace.config import normalize_database_url

    print("\n=== pgbench (same PostgreSQL server) ===", flush=True)
    version = pgbench_available()
    if version is None:
        print("pgbench is not installed (Debian: apt-get install postgresql-contrib; `make bench` "
              "does that); no yardstick this run")
        return {}
    url = sa.make_url(normalize_database_url(args.pg_url))
    server = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    database = f"bench_pgbench_{uuid.uuid4().hex[:10]}"
    env = {**os.environ, "PGHOST": url.host or "127.0.0.1", "PGPORT": str(url.port or 5432)}
    if url.username:
        env["PGUSER"] = url.username
    if url.password:
        env["PGPASSWORD"] = url.password
    results: dict[int, float] = {}
    try:
        with server.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
        started = time.perf_counter()
        init = subprocess.run(["pgbench", "-i", "-s", str(args.pgbench_scale), "-q", database],
                              env=env, capture_output=True, text=True)
        if init.returncode != 0:
            print(f"pgbench -i failed: {init.stderr.strip()[-500:]}")
            return {}
        print(f"{version}; pgbench -i -s {args.pgbench_scale}: "
              f"{time.perf_counter() - started:.1f}s (not measured)", flush=True)
        for clients in args.client_counts:
            threads = min(clients, 2)
            command = ["pgbench", "-c", str(clients), "-j", str(threads), "-T",
                       str(max(1, round(args.seconds))), database]
            monitor = ServerCPU(url, database)
            monitor.start()
            out = subprocess.run(command, env=env, capture_output=True, text=True)
            server_cpu = monitor.finish()
            match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out.stdout)
            if out.returncode != 0 or not match:
                print(f"{' '.join(command[:-1])}: failed: {(out.stderr or out.stdout)[-500:]}")
                continue
            results[clients] = float(match.group(1))
            latency = re.search(r"latency average = ([0-9.]+) ms", out.stdout)
            failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
            done = re.search(r"number of transactions actually processed: (\d+)", out.stdout)
            print(f"pgbench -c {clients:<2} -j {threads} -T {command[6]}: "
                  f"{results[clients]:>8.1f} tps"
                  + (f", latency average {latency.group(1)} ms" if latency else "")
                  + (f", {failed.group(1)} failed" if failed else "")
                  + (f"; server CPU {server_cpu / int(done.group(1)) * 1000:.2f} ms/transaction"
                     if server_cpu is not None and done and int(done.group(1)) else "")
                  + f"; load {load()}", flush=True)
    finally:
        with server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        server.dispose()
    return results


# ---------------------------------------------------------------------------------------------
def machine_and_versions(args) -> list[str]:
    versions = []
    for package in ("SQLAlchemy", "psycopg", "Flask-SQLAlchemy"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} ?")
    import sqlite3

    lines = machine_lines(versions + [f"SQLite {sqlite3.sqlite_version}"])
    if "postgresql" in args.backend_names or not args.no_pgbench:
        lines.append(f"database {server_version(args)}")
    return lines


def summary(results: list[RunResult], pgbench: dict[int, float], floor: dict[int, float],
            args) -> None:
    print("\n=== summary: ledger operations per second (mix "
          + ", ".join(f"{kind} {weight}%" for kind, weight in MIX) + ") ===")
    print(f"{'backend':<22}" + "".join(f"{f'{c} clients':>12}" for c in args.client_counts)
          + f"{'breaks':>8}")
    for name in args.backend_names:
        for mode in args.modes:
            rows = {r.clients: r for r in results if r.backend == name and r.mode == mode}
            if not rows:
                continue
            print(f"{f'{name} {mode}':<22}"
                  + "".join(f"{rows[c].rate:>12.1f}" if c in rows else f"{'-':>12}"
                            for c in args.client_counts)
                  + f"{sum(r.breaks for r in rows.values()):>8}")
    if floor:
        print(f"{'floor (yardstick)':<22}" + "".join(f"{floor[c]:>12.1f}" if c in floor
                                                     else f"{'-':>12}" for c in args.client_counts))
    if pgbench:
        print(f"{'pgbench tps':<22}" + "".join(f"{pgbench[c]:>12.1f}" if c in pgbench
                                               else f"{'-':>12}" for c in args.client_counts))
    print()
    for mode in args.modes:
        pg4 = next((r for r in results if r.backend == "postgresql" and r.clients == 4
                    and r.mode == mode), None)
        if pg4 and 4 in pgbench:
            ratio = pg4.rate / pgbench[4]
            print(f"ratio ({mode}): project ledger ops/s at 4 clients ÷ pgbench tps at 4 clients "
                  f"= {pg4.rate:.1f} / {pgbench[4]:.1f} = {ratio:.0%} "
                  f"(target >= {TARGET_RATIO:.0%})")
        else:
            print(f"ratio ({mode}): needs the PostgreSQL ledger run and pgbench at 4 clients")
    if 4 in floor and 4 in pgbench:
        print(f"floor: one stored-function call + COMMIT per hold, from Python, at 4 clients ÷ "
              f"pgbench = {floor[4]:.1f} / {pgbench[4]:.1f} = {floor[4] / pgbench[4]:.0%} "
              "(what no Python ledger client can beat on this machine)")
    breaks = sum(r.breaks for r in results)
    print(f"invariant breaks (queries.verify_committed after every run): {breaks} "
          f"in {len(results)} runs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ledger",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="seconds per measurement (default 10)")
    parser.add_argument("--clients", default="1,4,16",
                        help="comma-separated client counts (default 1,4,16)")
    parser.add_argument("--mode", default="processes",
                        help="clients as processes (one per client, like web workers; the "
                             "default), threads (all in this process, one GIL) or both")
    parser.add_argument("--threads", action="store_true", help="the same as --mode threads")
    parser.add_argument("--start-method", default=None, choices=("fork", "spawn", "forkserver"),
                        help="multiprocessing start method of the client processes "
                             "(default: fork where available, else spawn)")
    parser.add_argument("--backends", default="postgresql,sqlite",
                        help="postgresql, sqlite or both (default postgresql,sqlite)")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL,
                        help=f"PostgreSQL server for the scratch databases ({DEFAULT_PG_URL})")
    parser.add_argument("--vouchers", type=int, default=200, help="enterprise voucher accounts")
    parser.add_argument("--providers", type=int, default=50, help="provider receivable accounts")
    parser.add_argument("--funding", type=int, default=100_000_000,
                        help="first issue per voucher, fen (default 1,000,000 CNY)")
    parser.add_argument("--no-pgbench", action="store_true", help="skip the pgbench yardstick")
    parser.add_argument("--no-floor", action="store_true",
                        help="skip the floor yardstick (bench/floor.py: the hold as one "
                             "PL/pgSQL call per transaction)")
    parser.add_argument("--pgbench-scale", type=int, default=10, help="pgbench -i -s (10)")
    parser.add_argument("--pre-ping", action="store_true",
                        help="PostgreSQL: SQLAlchemy's pool_pre_ping on every checkout (the app "
                             "pings only connections idle for DB_PING_IDLE_SECONDS)")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the single-client run and print the top functions")
    parser.add_argument("--profile-sort", default="cumulative",
                        help="pstats sort key for --profile (cumulative, tottime, …)")
    parser.add_argument("--profile-lines", type=int, default=30,
                        help="functions shown by --profile (30)")
    parser.add_argument("--profile-clock", choices=("wall", "cpu"), default="wall",
                        help="--profile measures wall time (default) or CPU time")
    parser.add_argument("--profile-dump", metavar="FILE", default=None,
                        help="also save the --profile statistics to FILE (pstats format)")
    parser.add_argument("--seed", default="20261126", help="workload seed")
    args = parser.parse_args(argv)
    args.client_counts = [int(c) for c in args.clients.split(",") if c.strip()]
    mode = "threads" if args.threads else args.mode
    args.modes = ["processes", "threads"] if mode == "both" else [mode]
    if set(args.modes) - {"processes", "threads"}:
        parser.error(f"--mode: processes, threads or both, not {args.mode}")
    if args.start_method is None:
        methods = multiprocessing.get_all_start_methods()
        args.start_method = "fork" if "fork" in methods else "spawn"
    args.backend_names = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(args.backend_names) - {"postgresql", "sqlite"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")

    print("Ledger benchmark (marketplace/ledger/operations.py)")
    for line in machine_and_versions(args):
        print(line)
    print(f"load     {load()} (load average before the run)")
    print(f"settings seconds={args.seconds:g} clients={args.clients} backends={args.backends} "
          f"vouchers={args.vouchers} providers={args.providers} seed={args.seed} "
          f"mode={','.join(args.modes)}"
          + (f" start_method={args.start_method}" if "processes" in args.modes else "")
          + (" pool_pre_ping=on" if args.pre_ping else ""))
    print("one operation = one database transaction through the ledger's own functions "
          "(issue: transfer budget → voucher; hold voucher → receivable; post all or part of it; "
          "void it), each client with its own connection (as processes: its own app and engine "
          "too)")

    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="bench-ledger-"))
    results: list[RunResult] = []
    floor: dict[int, float] = {}
    try:
        for name in args.backend_names:
            results += bench_backend(name, args, workdir, floor)
        pgbench = {} if args.no_pgbench else bench_pgbench(args)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    summary(results, pgbench, floor, args)
    print(f"\nload average at the end: {load()} — other processes running make the figures worse")
    print(f"total run time {time.perf_counter() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
