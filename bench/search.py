"""Search benchmark: index build throughput, index size and query latency of listings.search.

Run from the repository root:  .venv/bin/python -m bench.search  [--sizes 10000,100000]
[--queries 300] [--procs N] [--no-single] [--keep DIR] [--seed N] [--backend whoosh|postgres]
[--database-url URL]

Builds synthetic catalogues (bench/catalogue.py; generation is not timed) with the same
``search.rebuild()`` that ``flask listings reindex`` uses, then runs 1-, 2- and 3-word queries
through the same ``search.search()`` as the search page (relevance order, page 1 of 20, facets
on), with and without a kind filter, on a warm searcher; the same again with facets off. Prints the
figures and compares them with the targets. With --procs > 1 (the default on a multi-core machine)
the catalogue is also built once with one process, for information. A benchmark: it never fails
(exit status 0).

``--backend postgres`` measures the PostgreSQL backend (listings/pg_search.py) instead: the same
catalogue written to ``search_documents`` in a scratch database on the server (created and dropped
by the run; the table without its foreign key to listings), the same queries through
``pg_search.search_documents()``, one transaction per query. The targets are the Whoosh ones.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

from bench import cpu_name
from bench.catalogue import QUERIES, CatalogueGenerator
from listings import search

TARGETS = {  # size: (min build docs/s or None, max p99 ms)
    100_000: (2000.0, 50.0),
    10_000: (None, 10.0),
}


def machine() -> list[str]:
    cpu = cpu_name()
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:
        available = os.cpu_count()
    versions = []
    for package in ("Whoosh-Reloaded", "rjieba", "pypinyin"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} ?")
    return [f"date     {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
            f"machine  {cpu}; {os.cpu_count()} cores ({available} usable); {platform.system()} "
            f"{platform.release()}",
            f"python   {platform.python_version()} ({platform.python_implementation()}); "
            + ", ".join(versions)]


def dir_size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * pct / 100.0
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class PostgresIndex:
    """The PostgreSQL backend's table in a scratch database (``--backend postgres``)."""

    def __init__(self, server_url: str):
        import uuid

        import sqlalchemy as sa

        from marketplace.config import normalize_database_url

        self.server = sa.create_engine(normalize_database_url(server_url),
                                       isolation_level="AUTOCOMMIT")
        self.name = f"bench_search_{uuid.uuid4().hex[:8]}"
        with self.server.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{self.name}"')
        self.engine = sa.create_engine(self.server.url.set(database=self.name))
        self.session = None

    def create_table(self) -> None:
        """search_documents as the migration makes it, without the foreign key to listings
        (the synthetic catalogue has no listings rows)."""
        import sqlalchemy as sa

        from listings.pg_search import TABLE

        metadata = sa.MetaData()
        table = sa.Table(TABLE.name, metadata, *[
            sa.Column(c.name, sa.Integer() if c.name == "id" else c.type, primary_key=c.primary_key, nullable=c.nullable,
                      autoincrement=False) for c in TABLE.columns])
        for index in TABLE.indexes:
            sa.Index(index.name, *[table.c[c.name] for c in index.columns],
                     **index.dialect_kwargs)
        with self.engine.begin() as conn:
            conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            metadata.drop_all(conn)
            metadata.create_all(conn)

    def rebuild(self, documents) -> int:
        from sqlalchemy.orm import Session

        from listings import pg_search

        self.create_table()
        with Session(self.engine) as session:
            count = pg_search.rebuild(session, documents)
            session.commit()
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE search_documents")
        self.open()
        return count

    def open(self) -> None:
        from sqlalchemy.orm import Session

        self.close()
        self.session = Session(self.engine)

    def search(self, request):
        from listings import pg_search

        try:
            return pg_search.search_documents(self.session, request)
        finally:
            self.session.rollback()  # one transaction per request, as the app does

    def size_mb(self) -> float:
        with self.engine.connect() as conn:
            return conn.exec_driver_sql(
                "SELECT pg_total_relation_size('search_documents')").scalar() / 1e6

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None

    def drop(self) -> None:
        self.close()
        self.engine.dispose()
        with self.server.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.server.dispose()


def _search(target, request):
    if isinstance(target, PostgresIndex):
        return target.search(request)
    return search.search(target, request)


def run_case(index_dir, queries: list[tuple[str, str]], *, n: int, kind_filter: bool,
             facets: bool) -> dict:
    requests = [search.SearchRequest(text=text, kind=kind if kind_filter else None, facets=facets)
                for text, kind in queries]
    first = []
    for request in requests:  # warm: searcher open, per-reader caches, the analyser's caches
        start = time.perf_counter()
        _search(index_dir, request)
        first.append((time.perf_counter() - start) * 1000.0)
    times, totals = [], []
    gc.collect()
    for i in range(n):
        request = requests[i % len(requests)]
        start = time.perf_counter()
        result = _search(index_dir, request)
        times.append((time.perf_counter() - start) * 1000.0)
        totals.append(result.total)
    return {"p50": percentile(times, 50), "p99": percentile(times, 99), "max": max(times),
            "mean": statistics.fmean(times), "hits": statistics.fmean(totals),
            "first_p50": percentile(first, 50), "first_max": max(first)}


def bench_size(size: int, args, base: Path) -> dict:
    print(f"\n=== {size:,} listings ===", flush=True)
    started = time.perf_counter()
    documents = list(CatalogueGenerator(args.seed).documents(size))
    chars = sum(len(" ".join(filter(None, [d.title_zh, d.title_en, d.summary, d.body,
                                             " ".join(d.tags)]))) for d in documents)
    print(f"generated in {time.perf_counter() - started:.1f}s (not measured); "
          f"{chars / size:.0f} characters of text per listing", flush=True)
    if args.backend == "postgres":
        index_dir = args.pg
        gc.collect()
        started = time.perf_counter()
        count = index_dir.rebuild(documents)
        build_s = time.perf_counter() - started
        size_mb = index_dir.size_mb()
        rate = count / build_s
        print(f"build    {count:,} rows in {build_s:.1f}s = {rate:,.0f} docs/s (one process, "
              f"analysis in Python, then VACUUM ANALYZE); table and indexes {size_mb:.1f} MB",
              flush=True)
    else:
        index_dir = base / str(size)
        if index_dir.exists():
            shutil.rmtree(index_dir)
        search.close_searchers()
        gc.collect()
        started = time.perf_counter()
        count = search.rebuild(index_dir, documents, procs=args.procs)
        build_s = time.perf_counter() - started
        size_mb = dir_size_mb(index_dir)
        rate = count / build_s
        segments = len(list(index_dir.glob("*.seg")))
        print(f"build    {count:,} docs in {build_s:.1f}s = {rate:,.0f} docs/s "
              f"(procs={args.procs}); index {size_mb:.1f} MB in {segments} segment(s)",
              flush=True)
    single = None
    if args.backend == "whoosh" and args.procs > 1 and not args.no_single:  # for information: `flask listings reindex`'s default
        single_dir = base / f"{size}-procs1"
        started = time.perf_counter()
        search.rebuild(single_dir, documents, procs=1)
        single = count / (time.perf_counter() - started)
        search.close_searchers()
        shutil.rmtree(single_dir, ignore_errors=True)
        print(f"build    procs=1: {single:,.0f} docs/s (for information)", flush=True)

    del documents
    gc.collect()
    cases, browse = [], None
    if not args.queries:  # build only
        search.close_searchers()
        return {"size": size, "count": count, "build_s": build_s, "rate": rate, "mb": size_mb,
                "single": single, "cases": cases, "browse": browse}
    print(f"{'query':<24}{'facets':>7}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'mean hits':>11}"
          f"   first run p50/max ms")
    for facets in (True, False):
        for words in (1, 2, 3):
            for kind_filter in (False, True):
                label = f"{words}-word" + (" + kind filter" if kind_filter else "")
                figures = run_case(index_dir, QUERIES[words], n=args.queries,
                                   kind_filter=kind_filter, facets=facets)
                figures.update(label=label, facets=facets, words=words, kind=kind_filter)
                cases.append(figures)
                print(f"{label:<24}{'on' if facets else 'off':>7}{figures['p50']:>9.2f}"
                      f"{figures['p99']:>9.2f}{figures['max']:>9.1f}{figures['hits']:>11,.0f}"
                      f"   {figures['first_p50']:.1f}/{figures['first_max']:.1f}", flush=True)
    # For information (not a target): the search page opened without words (newest first).
    browse = run_case(index_dir, [("", "")], n=max(50, args.queries // 3), kind_filter=False,
                      facets=True)
    print(f"{'browse (no words)':<24}{'on':>7}{browse['p50']:>9.2f}{browse['p99']:>9.2f}"
          f"{browse['max']:>9.1f}{browse['hits']:>11,.0f}", flush=True)
    search.close_searchers()
    print(f"memory   peak RSS of this process {peak_rss_mb():.0f} MB (catalogue, index caches)")
    return {"size": size, "count": count, "build_s": build_s, "rate": rate, "mb": size_mb,
            "single": single, "cases": cases, "browse": browse}


def peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load() -> str:
    try:
        one, five, _fifteen = os.getloadavg()
    except OSError:
        return "?"
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


def summary(results: list[dict]) -> None:
    print("\n=== summary (query latency: relevance order, page 1 of 20; p50/p99 in ms) ===")
    header = (f"{'listings':>9} {'build docs/s':>12} {'build s':>8} {'index MB':>9} "
              + " ".join(f"{f'{w}w':>5}{'+kind' if k else '':<5}" for w in (1, 2, 3)
                         for k in (False, True)))
    print(header)
    for result in results:
        for facets in (True, False):
            cells = []
            for case in result["cases"]:
                if case["facets"] == facets:
                    cells.append(f"{case['p50']:>4.1f}/{case['p99']:<5.1f}")
            single = f"procs=1: {result['single']:,.0f}" if result.get("single") else ""
            prefix = (f"{result['size']:>9,} {result['rate']:>12,.0f} {result['build_s']:>8.1f} "
                      f"{result['mb']:>9.1f}" if facets else f"{'':>9} {single:>12} {'':>8} {'':>9}")
            print(prefix + " " + " ".join(f"{c:>10}" for c in cells)
                  + ("   facets on" if facets else "   facets off"))

    print("\n=== targets ===")
    for result in results:
        build_target, p99_target = TARGETS.get(result["size"], (None, None))
        facet_cases = [c for c in result["cases"] if c["facets"]]
        worst = max(facet_cases, key=lambda c: c["p99"]) if facet_cases else None
        if build_target is not None:
            verdict = "PASS" if result["rate"] >= build_target else "MISS"
            print(f"{verdict}  {result['size']:,}: build {result['rate']:,.0f} docs/s "
                  f"(target >= {build_target:,.0f})")
        if p99_target is not None and worst is not None:
            verdict = "PASS" if worst["p99"] <= p99_target else "MISS"
            print(f"{verdict}  {result['size']:,}: worst query p99 {worst['p99']:.1f} ms, "
                  f"{worst['label']}, facets on (target <= {p99_target:.0f} ms)")
        if build_target is None and p99_target is None:
            print(f"  -   {result['size']:,}: no target")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000",
                        help="comma-separated catalogue sizes (default 10000,100000)")
    parser.add_argument("--queries", type=int, default=300,
                        help="timed queries per case (300; 0: build only)")
    parser.add_argument("--procs", type=int, default=min(2, os.cpu_count() or 1),
                        help="indexing processes for rebuild() (default: min(2, cores))")
    parser.add_argument("--no-single", action="store_true",
                        help="with --procs > 1, skip the extra single-process build")
    parser.add_argument("--keep", metavar="DIR", help="build the indexes in DIR and keep them")
    parser.add_argument("--seed", type=int, default=20261126, help="catalogue seed")
    parser.add_argument("--backend", choices=("whoosh", "postgres"), default="whoosh",
                        help="the search backend to measure (postgres: listings/pg_search.py in "
                             "a scratch database on --database-url, dropped at the end)")
    parser.add_argument("--database-url", default=os.environ.get(
        "TEST_DATABASE_URL", "postgresql+psycopg://127.0.0.1:5432/test"),
        help="PostgreSQL server for --backend postgres (default $TEST_DATABASE_URL or "
             "127.0.0.1:5432/test)")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    print("Search benchmark (" + ("listings/pg_search.py, PostgreSQL" if args.backend == "postgres"
                                   else "listings/search.py, Whoosh") + ")")
    for line in machine():
        print(line)
    print(f"load     {load()} (load average before the run)")
    print(f"settings sizes={','.join(map(str, sizes))} queries/case={args.queries} "
          f"procs={args.procs} seed={args.seed}")

    if args.keep:
        base = Path(args.keep).resolve()
        base.mkdir(parents=True, exist_ok=True)
    else:
        base = Path(tempfile.mkdtemp(prefix="bench-search-"))
    started = time.perf_counter()
    args.pg = PostgresIndex(args.database_url) if args.backend == "postgres" else None
    try:
        results = [bench_size(size, args, base) for size in sizes]
    finally:
        search.close_searchers()
        if args.pg is not None:
            args.pg.drop()
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    summary(results)
    print(f"\nload average at the end: {load()} — other processes running make the figures worse")
    print(f"total run time {time.perf_counter() - started:.0f}s"
          + (f"; indexes kept in {base}" if args.keep else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
