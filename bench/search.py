"""Search benchmark: index build throughput, index size and query latency of listings.search.

Run from the repository root:  .venv/bin/python -m bench.search  [--sizes 10000,100000]
[--queries 300] [--procs N] [--no-single] [--keep DIR] [--seed N]

Builds synthetic catalogues (bench/catalogue.py; generation is not timed) with the same
``search.rebuild()`` that ``flask listings reindex`` uses, then runs 1-, 2- and 3-word queries
through the same ``search.search()`` as the search page (relevance order, page 1 of 20, facets
on), with and without a kind filter, on a warm searcher; the same again with facets off. Prints the
figures and compares them with the targets. With --procs > 1 (the default on a multi-core machine)
the catalogue is also built once with one process, for information. A benchmark: it never fails
(exit status 0).
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


def run_case(index_dir: Path, queries: list[tuple[str, str]], *, n: int, kind_filter: bool,
             facets: bool) -> dict:
    requests = [search.SearchRequest(text=text, kind=kind if kind_filter else None, facets=facets)
                for text, kind in queries]
    first = []
    for request in requests:  # warm: searcher open, per-reader caches, the analyser's caches
        start = time.perf_counter()
        search.search(index_dir, request)
        first.append((time.perf_counter() - start) * 1000.0)
    times, totals = [], []
    gc.collect()
    for i in range(n):
        request = requests[i % len(requests)]
        start = time.perf_counter()
        result = search.search(index_dir, request)
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
    print(f"build    {count:,} docs in {build_s:.1f}s = {rate:,.0f} docs/s (procs={args.procs}); "
          f"index {size_mb:.1f} MB in {segments} segment(s)", flush=True)
    single = None
    if args.procs > 1 and not args.no_single:  # for information: `flask listings reindex`'s default
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
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    print("Search benchmark (listings/search.py)")
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
    try:
        results = [bench_size(size, args, base) for size in sizes]
    finally:
        search.close_searchers()
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    summary(results)
    print(f"\nload average at the end: {load()} — other processes running make the figures worse")
    print(f"total run time {time.perf_counter() - started:.0f}s"
          + (f"; indexes kept in {base}" if args.keep else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
