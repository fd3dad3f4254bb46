"""Recommender benchmark: training time, model memory, recommendation latency, offline evaluation.

Run from the repository root:  .venv/bin/python -m bench.matching  [--small] [--requests 1000]
[--users 2000] [--no-eval] [--seed N]

Generates the synthetic marketplace of ``matching/synthetic.py`` (5,000 enterprises × 50,000
listings × 200,000 interactions; ``--small``: 500 × 5,000 × 20,000), trains
``matching.model.Recommender`` on all of it, measures the artifact (size on disk, memory of the
model loaded in a fresh process), the latency of ``recommend`` for one enterprise over all
listings and of ``parties_for_item``, then runs ``matching.evaluate.evaluate`` (time-based split,
recall@10, NDCG@10, coverage against content-only, most-popular and random). Needs no database.
A benchmark: it never fails (exit status 0).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import pickle
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

import numpy as np

from bench import cpu_name
from matching import evaluate as evaluation
from matching import synthetic
from matching.records import NEGATIVE_KINDS, Context, Party, Scored

TARGETS = {"generate_s": 60.0, "train_s": 300.0, "memory_mb": 1024.0, "p99_ms": 50.0}
FULL = (5000, 50000, 200000)
SMALL = (500, 5000, 20000)


def machine() -> list[str]:
    cpu = cpu_name()
    versions = []
    for package in ("numpy", "scipy", "scikit-learn", "joblib"):
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} ?")
    return [f"date     {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
            f"machine  {cpu}; {os.cpu_count()} cores; {platform.system()} {platform.release()}",
            f"python   {platform.python_version()}; " + ", ".join(versions)]


def load() -> str:
    try:
        one, five, _fifteen = os.getloadavg()
    except OSError:
        return "?"
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


def rss_mb() -> float:
    """Current resident set size of this process (Linux /proc; 0 elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def percentile(values: list[float], pct: float) -> float:
    return float(np.percentile(values, pct)) if values else float("nan")


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


_LOADER = """
import gc, json, sys, time
from pathlib import Path
def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
import matching.model
try:
    from matching import store
except ImportError:
    store = None
import joblib
gc.collect()
before = rss()
started = time.perf_counter()
model = store.load(Path(sys.argv[1])) if store is not None else joblib.load(sys.argv[1])
seconds = time.perf_counter() - started
gc.collect()
print(json.dumps({"before": before, "after": rss(), "seconds": seconds}))
"""


def save_and_measure(model, directory: Path) -> dict:
    """Write the artifact, then load it in a fresh process and measure its memory there."""
    try:
        from matching import store
    except ImportError:
        store = None
    started = time.perf_counter()
    if store is not None:
        path = Path(store.save(model, directory))
    else:
        import joblib

        path = directory / "recommender.joblib"
        joblib.dump(model, path)
    save_s = time.perf_counter() - started
    result = {"path": str(path), "disk_mb": path.stat().st_size / 1e6, "save_s": save_s,
              "pickle_mb": len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)) / 1e6}
    completed = subprocess.run([sys.executable, "-c", _LOADER, str(path)], capture_output=True,
                               text=True, cwd=Path(__file__).resolve().parents[1], check=False)
    if completed.returncode == 0 and completed.stdout.strip():
        figures = json.loads(completed.stdout.strip().splitlines()[-1])
        result.update(loaded_mb=figures["after"] - figures["before"], load_s=figures["seconds"])
    else:
        result.update(loaded_mb=float("nan"), load_s=float("nan"),
                      load_error=(completed.stderr.strip().splitlines() or ["?"])[-1])
    return result


class _Oracle:
    """Ranks the candidates by the generator's hidden score (synthetic.Truth.scores)."""

    def __init__(self, truth, candidates):
        self.truth = truth
        self.ids = np.asarray([i.id for i in candidates])
        self.owners = np.asarray([i.owner_id for i in candidates])

    def recommend(self, party, *, context=None, k=10, mode="hybrid"):
        scores = self.truth.scores(party.id - 1)[self.ids - 1]
        blocked = self.owners == party.id
        if context is not None and context.excluded_item_ids:
            blocked |= np.isin(self.ids, np.fromiter(context.excluded_item_ids, dtype=np.int64))
        scores = np.where(blocked, -np.inf, scores)
        top = np.argpartition(-scores, k)[:k] if len(scores) > k else np.arange(len(scores))
        top = top[np.argsort(-scores[top])]
        return [Scored(id=int(self.ids[j]), score=float(scores[j]), evidence=()) for j in top]


def time_calls(calls, n: int) -> dict:
    for call in calls[: min(20, len(calls))]:  # warm-up
        call()
    gc.collect()
    times = []
    for i in range(n):
        call = calls[i % len(calls)]
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000.0)
    return {"p50": percentile(times, 50), "p99": percentile(times, 99), "max": max(times),
            "n": n}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matching",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true",
                        help="500 × 5,000 × 20,000 instead of 5,000 × 50,000 × 200,000")
    parser.add_argument("--requests", type=int, default=1000,
                        help="timed requests per latency case (default 1000)")
    parser.add_argument("--users", type=int, default=2000,
                        help="test users sampled by the evaluation (default 2000)")
    parser.add_argument("--no-eval", action="store_true", help="skip the offline evaluation")
    parser.add_argument("--seed", type=int, default=0, help="generator seed")
    args = parser.parse_args(argv)
    n_parties, n_items, n_interactions = SMALL if args.small else FULL

    print("Recommender benchmark (matching/model.py on matching/synthetic.py)")
    for line in machine():
        print(line)
    print(f"load     {load()} (load average before the run)")
    print(f"settings {n_parties:,} parties × {n_items:,} items × {n_interactions:,} interactions; "
          f"seed={args.seed}; requests/case={args.requests}; evaluation users={args.users}")
    started_all = time.perf_counter()
    figures: dict = {}

    started = time.perf_counter()
    parties, items, interactions, _truth = synthetic.generate(n_parties, n_items, n_interactions,
                                                              seed=args.seed)
    figures["generate_s"] = time.perf_counter() - started
    kinds: dict[str, int] = {}
    for x in interactions:
        kinds[x.kind] = kinds.get(x.kind, 0) + 1
    print(f"\ngenerate {figures['generate_s']:.1f}s (target < {TARGETS['generate_s']:.0f}s); "
          + ", ".join(f"{k} {v:,}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])),
          flush=True)

    from matching.model import Recommender

    now = synthetic.DEFAULT_NOW
    gc.collect()
    rss_before = rss_mb()
    started = time.perf_counter()
    model = Recommender.fit(parties, items, interactions, now=now,
                            neighbours=synthetic.neighbours(), random_state=args.seed)
    figures["train_s"] = time.perf_counter() - started
    gc.collect()
    figures["rss_delta_mb"] = rss_mb() - rss_before
    print(f"train    {figures['train_s']:.1f}s (target < {TARGETS['train_s']:.0f}s); RSS of this "
          f"process +{figures['rss_delta_mb']:.0f} MB after training (model and what it keeps)",
          flush=True)
    metadata_ = getattr(model, "metadata", {}) or {}
    if metadata_.get("features"):
        print(f"features {', '.join(map(str, metadata_['features']))}")

    with tempfile.TemporaryDirectory(prefix="bench-matching-") as directory:
        artifact = save_and_measure(model, Path(directory))
    figures.update(artifact)
    loaded = artifact["loaded_mb"]
    print(f"artifact {artifact['disk_mb']:.1f} MB on disk (saved in {artifact['save_s']:.1f}s), "
          f"pickle {artifact['pickle_mb']:.1f} MB; loaded in a fresh process: "
          f"+{loaded:.0f} MB RSS in {artifact['load_s']:.1f}s (target < "
          f"{TARGETS['memory_mb']:.0f} MB)"
          + (f"; load failed: {artifact['load_error']}" if "load_error" in artifact else ""),
          flush=True)

    # Latency: known parties with their own history excluded (as the service does), a party
    # unknown to the model (profile only), a kind filter, and the provider side.
    rng = np.random.default_rng(args.seed + 7)
    seen: dict[int, set[int]] = {}
    for x in interactions:
        if x.kind not in NEGATIVE_KINDS:
            seen.setdefault(x.party_id, set()).add(x.item_id)
    sample = [parties[i] for i in rng.choice(len(parties), size=min(len(parties), 500),
                                             replace=False)]
    contexts = {p.id: Context(excluded_item_ids=frozenset(seen.get(p.id, ()))) for p in sample}
    strangers = [Party(id=10_000_000 + i, industry=p.industry, district=p.district,
                       words=p.words, text=p.text) for i, p in enumerate(sample[:200])]
    probe_items = [items[i] for i in rng.choice(len(items), size=min(len(items), 500),
                                                replace=False)]
    cases = [
        ("recommend, hybrid (known party)",
         [lambda p=p: model.recommend(p, context=contexts[p.id], k=10) for p in sample]),
        ("recommend, hybrid, kind=instrument",
         [lambda p=p: model.recommend(p, context=contexts[p.id], k=10, kinds={"instrument"})
          for p in sample]),
        ("recommend, hybrid (unknown party)",
         [lambda p=p: model.recommend(p, k=10) for p in strangers]),
        ("recommend, content only",
         [lambda p=p: model.recommend(p, context=contexts[p.id], k=10, mode="content")
          for p in sample]),
        ("parties_for_item",
         [lambda i=i: model.parties_for_item(i, k=10) for i in probe_items]),
    ]
    print(f"\nlatency over {n_items:,} items / {n_parties:,} parties, k=10, "
          f"{args.requests} timed requests per case (after 20 warm-up calls)")
    print(f"{'case':<38}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    latency = {}
    for label, calls in cases:
        result = time_calls(calls, args.requests)
        latency[label] = result
        print(f"{label:<38}{result['p50']:>9.2f}{result['p99']:>9.2f}{result['max']:>9.1f}",
              flush=True)
    figures["latency"] = latency
    cases.clear()
    model = None  # the evaluation trains its own model
    gc.collect()

    report = None
    if not args.no_eval:
        print(f"\nevaluation (matching/evaluate.py: time-based split at the 80th percentile, "
              f"≤ {args.users:,} test users)", flush=True)
        started = time.perf_counter()
        report = evaluation.evaluate(parties, items, interactions, max_users=args.users,
                                     seed=args.seed, neighbours=synthetic.neighbours(),
                                     random_state=args.seed)
        print(report.table())
        print(f"evaluation took {time.perf_counter() - started:.0f}s", flush=True)
        # A yardstick, not a system: the generator's own hidden score(p, i), under the same split,
        # candidates and exclusions. No recommender can expect to do better on this data.
        ceiling = evaluation.evaluate(parties, items, interactions, max_users=args.users,
                                      seed=args.seed, systems=("hybrid",),
                                      recommender=lambda _p, candidates, _t, now: _Oracle(
                                          _truth, candidates))
        oracle = ceiling.systems["hybrid"]
        print(f"{'oracle (hidden score)':<18}{oracle.recall:>11.4f}{oracle.ndcg:>10.4f}"
              f"{oracle.coverage:>10.4f}{oracle.users:>8,}   <- the generator's own score, "
              f"the ceiling on this data")
        figures["oracle_ndcg"] = oracle.ndcg

    print("\n=== targets ===")
    print(f"{verdict(figures['generate_s'] < TARGETS['generate_s'])}  generation "
          f"{figures['generate_s']:.1f}s (target < {TARGETS['generate_s']:.0f}s)")
    print(f"{verdict(figures['train_s'] < TARGETS['train_s'])}  training "
          f"{figures['train_s']:.1f}s (target < {TARGETS['train_s']:.0f}s)")
    print(f"{verdict(loaded == loaded and loaded < TARGETS['memory_mb'])}  loaded model "
          f"{loaded:.0f} MB (target < {TARGETS['memory_mb']:.0f} MB)")
    main_case = latency["recommend, hybrid (known party)"]
    worst = max(latency.items(), key=lambda kv: kv[1]["p99"])
    print(f"{verdict(main_case['p99'] < TARGETS['p99_ms'])}  recommend p99 "
          f"{main_case['p99']:.1f} ms (target < {TARGETS['p99_ms']:.0f} ms); slowest case: "
          f"{worst[0]} p99 {worst[1]['p99']:.1f} ms")
    if report is not None:
        popular = report.best_popular()
        for baseline in (popular, "content-only"):
            if baseline is None:
                continue
            gain = report.improvement("hybrid", baseline)
            print(f"{verdict(gain is not None and gain > 0)}  hybrid vs {baseline} NDCG@10 "
                  + ("n/a" if gain is None else f"{gain:+.1f}%") + " (target > 0)")
    print(f"\nload average at the end: {load()} — other processes running make the figures worse")
    print(f"total run time {time.perf_counter() - started_all:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
