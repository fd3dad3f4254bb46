"""Load benchmark: the marketplace behind gunicorn under a realistic mix of 50 users (locust).

Run from the repository root:  .venv/bin/python -m bench.load  [--workers 2,4] [--users 50]
[--seconds 60] [--capacity-seconds 20] [--baseline-seconds 15] [--think 1,3]
[--ramp-seconds 10] [--warmup-seconds 5] [--pg-url URL] [--keep]

Builds a PostgreSQL scratch database (``CREATE DATABASE`` on ``--pg-url``, dropped at the end)
with the real migrations, the Changzhi demo (``flask demo load``) and the search index
(``flask listings reindex``), then for each worker count starts
``gunicorn --workers N wsgi:app`` on a free port (its own instance folder, search index and
model folder; RUN_JOBS_IN_PROCESS=0, RATELIMIT_ENABLED=0) and runs locust phases:

0. **one user alone** (``--baseline-seconds``, no think time): the mix's service times without
   queueing, to read the loaded figures against.
1. **mix, thinking users** (``--users`` users, ``--seconds``; each user waits ``--think``
   seconds between pages): 60 % search (the benchmark catalogue's 1–3 term Chinese/English
   queries and the filters of the search page: kind, district, voucher, sort, page 2), 25 %
   listing pages (every published demo listing a visitor may see), 10 % the officer's dashboard
   (statistics pages, office home; signed in), 5 % booking (an SME opens the booking form of a
   free slot of a bookable instrument and confirms it with the form's CSRF token and request
   key; a slot someone took first is answered 400 with a message: counted as "refused", not as
   an error). The users start evenly over ``--ramp-seconds`` (50 users arriving in the same
   instant would queue 50 requests on 2 workers: a spike of the benchmark, not of a city's
   traffic). Latency figures come from this phase.
2. **mix, no think time** (``--capacity-seconds``): the same mix as fast as the server answers.
3. **trivial route, no think time** (``--capacity-seconds``): ``/healthz`` at the same
   concurrency. Phase 2's rps as a share of phase 3's is the "realistic pages vs a trivial route"
   figure.

The tables show, per route, the share of requests the visitors' page cache answered among those
that could use it (``X-Page-Cache: hit`` of hit + miss; signed-in pages bypass it). Each gunicorn
worker has its own page cache, so more workers fill more caches.

Every phase leaves out the requests sent during its ramp and the ``--warmup-seconds`` after
it (connections opening, caches filling) and counts ``--seconds`` of steady state.

Targets: search p99 < 200 ms at ``--users`` users (phase 1); realistic rps ≥ 25 % of the trivial
route's (phases 2/3); errors 0 (5xx, connection errors, an unexpected status on a GET) in all
phases. Locust runs on the same machine as gunicorn and PostgreSQL and takes CPU from them: the
figures are for the whole machine, printed with its load average. A benchmark: exit status 0.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from importlib import metadata
from pathlib import Path

from bench import cpu_name
from bench.appserver import (BIN, DEFAULT_PG_URL, OFFICER, ROOT, SME, AppServer, Scratch,
                             WebUser, load_average, plan_world)

SEARCH_P99_TARGET_MS = 200.0
RATIO_TARGET = 0.25
TRIVIAL_PATH = "/healthz"


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100.0
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def search_params() -> list[dict]:
    """What people type and click on the search page: the catalogue bench's queries, alone and
    with the page's filters."""
    from bench.catalogue import QUERIES
    from marketplace.reference import areas

    districts = [a.code for a in areas() if not a.is_zone][:12]
    queries = [(q, kind) for terms in QUERIES.values() for q, kind in terms]
    params = []
    for i, (q, kind) in enumerate(queries):
        params.append({"q": q})
        params.append({"q": q, "kind": kind})
        params.append({"q": q, "kind": kind, "district": districts[i % len(districts)]})
        params.append({"q": q, "sort": "newest"} if i % 2 else {"q": q, "page": "2"})
        if kind == "instrument":
            params.append({"q": q, "kind": kind, "voucher": "1"})
    for kind in ("instrument", "technology", "space", "campaign"):
        params.append({"kind": kind})
        for district in districts[:4]:
            params.append({"kind": kind, "district": district})
    params.append({})
    return params


def sign_in_cookies(base: str, email: str, count: int) -> list[dict]:
    """``count`` signed-in sessions of ``email`` (their cookies), each with its CSRF secret set."""
    cookies = []
    for _ in range(count):
        user = WebUser(base, email)
        user.login()
        user.get("/auth/account")
        cookies.append(user.session.cookies.get_dict())
    return cookies


def run_phase(server: AppServer, plan: dict, phase: str, users: int, seconds: int,
              think: tuple[float, float], workdir: Path, tag: str, *, ramp: float = 0.0,
              warmup: float = 0.0) -> dict:
    """One locust run: ``users`` users started over ``ramp`` seconds, then ``seconds`` measured
    seconds; requests sent in the first ``ramp + warmup`` seconds are left out of the figures."""
    plan = {**plan, "phase": phase, "think": list(think), "trivial_path": TRIVIAL_PATH}
    plan_path = workdir / f"plan-{tag}-{server.workers}.json"
    results_path = workdir / f"results-{tag}-{server.workers}.json"
    plan_path.write_text(json.dumps(plan, ensure_ascii=False))
    env = {**os.environ, "LOAD_PLAN": str(plan_path), "LOAD_RESULTS": str(results_path)}
    skip = ramp + warmup
    spawn_rate = users / ramp if ramp > 0 else users
    started = time.monotonic()
    completed = subprocess.run(
        [str(BIN / "locust"), "-f", str(ROOT / "bench" / "load_users.py"), "--headless",
         "--users", str(users), "--spawn-rate", f"{spawn_rate:g}",
         "--run-time", f"{int(round(skip + seconds))}s",
         "--host", server.url, "--only-summary", "--loglevel", "ERROR", "--stop-timeout", "10"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=skip + seconds + 120)
    elapsed = time.monotonic() - started
    if not results_path.exists():
        raise RuntimeError(f"locust wrote no results ({completed.returncode}):\n"
                           f"{completed.stderr[-3000:]}")
    data = json.loads(results_path.read_text())
    records = data["records"]
    measured = [r for r in records if r[4] >= skip and r[4] < skip + seconds]
    return {"records": measured, "outcomes": data["outcomes"], "seconds": seconds,
            "elapsed": elapsed, "stderr": completed.stderr, "left_out": len(records) - len(measured),
            # errors count in every request, the left-out seconds too
            "errors_all": sum(1 for r in records if is_error(r[0], r[2], r[3]))}


def is_error(name: str, status, error) -> bool:
    if error is not None or status is None or status >= 500:
        return True
    if name == "booking request":
        return status not in (302, 400)
    return status != 200


def _hit_share(states: Counter) -> str:
    """The share of requests the visitors' page cache answered, among those that could use it."""
    usable = states["hit"] + states["miss"]
    return f"{states['hit'] / usable:.0%}" if usable else "-"


def summarize(result: dict) -> dict[str, dict]:
    by_route: dict[str, list] = defaultdict(list)
    cache_states: dict[str, Counter] = defaultdict(Counter)
    for name, ms, status, error, _sent, cached in result["records"]:
        by_route[name].append((ms, is_error(name, status, error), status))
        cache_states[name][cached] += 1
    rows = {}
    for name, items in sorted(by_route.items()):
        times = [ms for ms, _e, _s in items]
        errors = [s for _ms, e, s in items if e]
        rows[name] = {"requests": len(items), "rps": len(items) / result["seconds"],
                      "p50": percentile(times, 50), "p99": percentile(times, 99),
                      "errors": len(errors), "error_statuses": sorted({str(s) for s in errors}),
                      "hits": _hit_share(cache_states[name])}
    times = [ms for items in by_route.values() for ms, _e, _s in items]
    everything = sum(cache_states.values(), Counter())
    rows["ALL"] = {"hits": _hit_share(everything),"requests": len(times), "rps": len(times) / result["seconds"],
                   "p50": percentile(times, 50), "p99": percentile(times, 99),
                   "errors": sum(r["errors"] for r in rows.values())}
    return rows


def print_table(title: str, rows: dict[str, dict], outcomes: dict | None = None) -> None:
    print(f"\n  {title}")
    print(f"    {'route':34} {'requests':>8} {'rps':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} "
          f"{'cache hits':>10}")
    for name, row in rows.items():
        extra = f"  ({', '.join(row['error_statuses'])})" if row.get("error_statuses") else ""
        print(f"    {name:34} {row['requests']:>8} {row['rps']:>7.1f} {row['p50']:>8.1f} "
              f"{row['p99']:>8.1f} {row['errors']:>6} {row['hits']:>10}{extra}")
    if outcomes:
        print("    booking outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))


def _delete_keys(redis_url: str, tag: str) -> None:
    """The run's keys (queue, its jobs, cache, page cache) in the bench's Redis."""
    import redis

    client = redis.Redis.from_url(redis_url)
    doomed = list(client.scan_iter(match=f"*{tag}*", count=1000))
    for key in client.scan_iter(match="rq:job:*", count=1000):
        origin = client.hget(key, "origin")
        if origin and origin.decode().startswith(tag):
            doomed.append(key)
    for start in range(0, len(doomed), 1000):
        client.delete(*doomed[start:start + 1000])
    # RQ's shared set of queue names still lists the run's queues
    gone = [name for name in client.smembers("rq:queues") if tag in name.decode()]
    if gone:
        client.srem("rq:queues", *gone)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="2,4", help="gunicorn worker counts, comma-separated")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60, help="phase 1 (thinking users)")
    parser.add_argument("--capacity-seconds", type=int, default=20, help="phases 2 and 3")
    parser.add_argument("--think", default="1,3", help="phase 1 think time range, seconds")
    parser.add_argument("--baseline-seconds", type=int, default=15,
                        help="phase 0 (one user, no think time)")
    parser.add_argument("--ramp-seconds", type=float, default=10.0,
                        help="phase 1: the users start evenly over this many seconds")
    parser.add_argument("--warmup-seconds", type=float, default=5.0,
                        help="every phase: seconds after the ramp left out of the figures")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL",
                                                              "redis://127.0.0.1:6379/11"),
                        help="Redis of the scale-out shape (queue, cache, page cache); "
                             "'none': the app without Redis")
    parser.add_argument("--search-backend", default="postgres", choices=("postgres", "whoosh"))
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    think = tuple(float(x) for x in args.think.split(","))
    workers = [int(w) for w in args.workers.split(",")]

    versions = [f"{name} {metadata.version(name)}" for name in ("flask", "gunicorn", "locust",
                                                                 "sqlalchemy", "psycopg")]
    print("Load benchmark (bench/load.py)")
    print(f"  date     {time.strftime('%Y-%m-%d %H:%M %Z')}")
    print(f"  machine  {cpu_name()}; {os.cpu_count()} cores; {platform.system()} "
          f"{platform.release()}")
    print(f"  python   {platform.python_version()}; " + ", ".join(versions))
    print(f"  load     {load_average()} before the run")
    print(f"  users    {args.users}; phase 1 {args.seconds} s, think {think[0]:g}–{think[1]:g} s, "
          f"users started over {args.ramp_seconds:g} s; phases 2–3 {args.capacity_seconds} s, "
          f"no think time; figures leave out the ramp and {args.warmup_seconds:g} s of warm-up")

    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    tag = f"bench-load-{uuid.uuid4().hex[:8]}"
    extra = {"SEARCH_BACKEND": args.search_backend}
    redis_url = None if args.redis_url.lower() in ("", "none") else args.redis_url
    if redis_url:
        extra.update(REDIS_URL=redis_url, JOBS_QUEUE_PREFIX=tag, CACHE_KEY_PREFIX=f"{tag}:cache:",
                     RATELIMIT_KEY_PREFIX=f"{tag}-limits")
    print(f"  shape    PostgreSQL, search backend {args.search_backend}, "
          + (f"Redis {redis_url} (queue, cache and page cache; keys {tag}*)" if redis_url
             else "no Redis (page cache per worker process)"))
    scratch = Scratch("postgresql", workdir, pg_url=args.pg_url, prefix="bench_load",
                      extra_env=extra)
    figures = []
    try:
        started = time.monotonic()
        scratch.prepare()
        plan = plan_world(scratch.url, workdir, booker=SME)
        # enterprise needs are shown to members of verified organisations only: not to visitors
        plan = {"searches": search_params(),
                "listings": [lid for lid, kind in plan["listings"] if kind != "need"],
                "slots": plan["slots"]}
        print(f"  data     demo: {len(plan['listings'])} published listings, "
              f"{len(plan['slots'])} bookable slots, {len(plan['searches'])} search variants; "
              f"database {scratch.name} built in {time.monotonic() - started:.0f} s")
        for count in workers:
            server = AppServer(scratch.env, count, log_path=workdir / f"gunicorn-{count}.log")
            with server:
                plan["officer_cookies"] = sign_in_cookies(server.url, OFFICER, 4)
                plan["sme_cookies"] = sign_in_cookies(server.url, SME, 6)
                print(f"\n== gunicorn --workers {count} (sync), {args.users} users; "
                      f"load {load_average()}")
                warm = {"warmup": args.warmup_seconds}
                alone = run_phase(server, plan, "mix", 1, args.baseline_seconds, (0, 0), workdir,
                                  "0", **warm)
                print_table(f"phase 0: the mix, one user alone ({args.baseline_seconds} s): service "
                            "times without queueing", summarize(alone), alone["outcomes"])
                mix = run_phase(server, plan, "mix", args.users, args.seconds, think, workdir, "1",
                                ramp=args.ramp_seconds, **warm)
                mix_rows = summarize(mix)
                print_table(f"phase 1: mix, thinking users ({args.seconds} s)", mix_rows,
                            mix["outcomes"])
                fast = run_phase(server, plan, "mix", args.users, args.capacity_seconds, (0, 0),
                                 workdir, "2", **warm)
                fast_rows = summarize(fast)
                print_table(f"phase 2: mix, no think time ({args.capacity_seconds} s)", fast_rows,
                            fast["outcomes"])
                trivial = run_phase(server, plan, "trivial", args.users, args.capacity_seconds,
                                    (0, 0), workdir, "3", **warm)
                trivial_rows = summarize(trivial)
                print_table(f"phase 3: trivial route, no think time ({args.capacity_seconds} s)",
                            trivial_rows)
                search_p99 = mix_rows.get("search", {}).get("p99", float("nan"))
                ratio = fast_rows["ALL"]["rps"] / max(trivial_rows["ALL"]["rps"], 1e-9)
                errors = sum(phase["errors_all"] for phase in (alone, mix, fast, trivial))
                load_after = load_average()
                figures.append((count, search_p99, ratio, fast_rows["ALL"]["rps"],
                                trivial_rows["ALL"]["rps"], errors, load_after))
                print(f"\n  search p99 at {args.users} users: {search_p99:.0f} ms "
                      f"(target < {SEARCH_P99_TARGET_MS:.0f}) {verdict(search_p99 < SEARCH_P99_TARGET_MS)}")
                print(f"  realistic rps / trivial rps: {fast_rows['ALL']['rps']:.1f} / "
                      f"{trivial_rows['ALL']['rps']:.1f} = {ratio:.0%} (target ≥ "
                      f"{RATIO_TARGET:.0%}) {verdict(ratio >= RATIO_TARGET)}")
                print(f"  errors: {errors} in all requests of phases 0–3, ramp and warm-up included "
                      f"(target 0) {verdict(errors == 0)}")
                print(f"  load average after: {load_after}")
                if errors:
                    print("  gunicorn log tail:\n" + server.log_tail(1500))
    finally:
        if args.keep:
            print(f"\n  kept database {scratch.name} and {workdir}")
        else:
            scratch.drop()
        if redis_url:
            _delete_keys(redis_url, tag)
    print("\nSummary")
    print(f"  {'workers':>7} {'search p99':>11} {'mix rps':>8} {'trivial rps':>11} {'ratio':>6} "
          f"{'errors':>6}  verdicts (p99 / ratio / errors)   load average after")
    for count, p99, ratio, mix_rps, trivial_rps, errors, load_after in figures:
        print(f"  {count:>7} {p99:>9.0f}ms {mix_rps:>8.1f} {trivial_rps:>11.1f} {ratio:>6.0%} "
              f"{errors:>6}  {verdict(p99 < SEARCH_P99_TARGET_MS)} / "
              f"{verdict(ratio >= RATIO_TARGET)} / {verdict(errors == 0)}   {load_after}")
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001 — a benchmark reports and exits 0
        print(f"\nbench/load.py could not finish: {type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(0)
