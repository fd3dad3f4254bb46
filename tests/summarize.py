"""Print how many tests ran on each database backend, and the total (read from JUnit XML)."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def counts(path: Path) -> dict[str, int]:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in suites:
        for key in total:
            total[key] += int(suite.get(key, 0))
    total["passed"] = total["tests"] - total["failures"] - total["errors"] - total["skipped"]
    return total


def main(paths: list[str]) -> int:
    grand = {"passed": 0, "failed": 0, "skipped": 0}
    ok = True
    for name in paths:
        path = Path(name)
        if not path.exists():
            print(f"{path.stem}: no results (the run did not complete)")
            ok = False
            continue
        c = counts(path)
        failed = c["failures"] + c["errors"]
        print(f"{path.stem}: {c['passed']} passed, {failed} failed, {c['skipped']} skipped")
        grand["passed"] += c["passed"]
        grand["failed"] += failed
        grand["skipped"] += c["skipped"]
        ok = ok and failed == 0 and c["tests"] > 0
    print(f"total: {grand['passed']} passed, {grand['failed']} failed, {grand['skipped']} skipped")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
