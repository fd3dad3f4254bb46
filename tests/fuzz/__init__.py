"""F2: atheris (libFuzzer for Python) on the parsers and validators (RELIABILITY.md §5.3, §6).

``python -m tests.fuzz`` runs every target in ``targets.py`` for ``-max_total_time=60`` seconds
each (``make check-hard``); ``python -m tests.fuzz all --seconds 5`` is the smoke run the normal
suite does (tests/fuzz/test_fuzz_smoke.py). One line per target: runs, exec/s, coverage and
features, crashes, seed, elapsed. A crash leaves its reproducer in test-results/fuzz/.
"""
