"""One target under atheris, in its own process (libFuzzer can run once per process):
``python -m tests.fuzz.run_one <target> [libFuzzer flags]``."""

from __future__ import annotations

import sys

import atheris


def main() -> None:
    name, flags = sys.argv[1], sys.argv[2:]
    from tests.fuzz.targets import TARGETS

    atheris.Setup([sys.argv[0], *flags], TARGETS[name])
    atheris.Fuzz()


if __name__ == "__main__":
    main()
