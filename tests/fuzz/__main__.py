"""Run the fuzz targets one after another and print one figure line each.

    python -m tests.fuzz                    # 60 s per target (make check-hard)
    python -m tests.fuzz all --seconds 5    # the smoke run of the normal suite (every target
                                            # in one process, the first byte picks one)
    python -m tests.fuzz money --seconds 10 # one target

Exit status 1 when any target crashed (the reproducer is in test-results/fuzz/)."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-results" / "fuzz"
# the targets of tests/fuzz/targets.py (not imported here: the import costs seconds); "all"
# runs them all in one process
TARGETS = ("money", "patent_number", "search_query", "upload_sniffing", "redirect_target",
           "dates_and_codes")
_STATUS = re.compile(r"^#(\d+)\s+(\w+)\s+cov: (\d+) ft: (\d+).*?exec/s: (\d+)", re.M)


@dataclass
class Outcome:
    target: str
    runs: int
    exec_per_s: int
    cov: int
    ft: int
    crashes: int
    seed: int
    elapsed: float
    detail: str = ""
    split: str = ""

    def line(self) -> str:
        split = f" ({self.split})" if self.split else ""
        return (f"F2 atheris {self.target}: {self.runs} runs{split}, {self.exec_per_s} exec/s, "
                f"cov {self.cov}, ft {self.ft}, crashes {self.crashes}; seed {self.seed}, "
                f"elapsed {self.elapsed:.1f}s")


def run_target(target: str, seconds: int, seed: int) -> Outcome:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    corpus = ARTIFACTS / f"corpus-{target}"
    corpus.mkdir(exist_ok=True)
    started = time.perf_counter()
    command = [sys.executable, "-m", "tests.fuzz.run_one", target, str(corpus),
               f"-max_total_time={seconds}", f"-seed={seed}", "-timeout=20", "-rss_limit_mb=2048",
               f"-artifact_prefix={ARTIFACTS}/{target}-", "-print_final_stats=1"]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=seconds * 3 + 120)
    elapsed = time.perf_counter() - started
    output = done.stderr + done.stdout
    statuses = _STATUS.findall(output)
    runs, _, cov, ft, speed = statuses[-1] if statuses else ("0", "", "0", "0", "0")
    crashed = done.returncode != 0
    detail = ""
    if crashed:
        marker = output.find("=== Uncaught Python exception")
        detail = output[marker if marker >= 0 else -3000:][:3000]
    splits = re.findall(r"^runs by target: (.*)$", output, re.M)
    return Outcome(target, int(runs), int(speed), int(cov), int(ft), int(crashed), seed,
                   elapsed, detail, splits[-1] if splits else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz")
    parser.add_argument("targets", nargs="*", help="default: all")
    parser.add_argument("--seconds", type=int, default=60, help="per target (default 60)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", 20261201)))
    args = parser.parse_args(argv)
    names = args.targets or list(TARGETS)
    crashes = 0
    for name in names:
        outcome = run_target(name, args.seconds, args.seed)
        print(outcome.line(), flush=True)
        if outcome.crashes:
            print(outcome.detail, flush=True)
        crashes += outcome.crashes
    print(f"F2 atheris: {len(names)} targets, crashes {crashes}, {args.seconds}s each; "
          f"seed {args.seed}", flush=True)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
