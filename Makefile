# Changzhi Innovation Exchange — the two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_TEST_URL ?= postgresql+psycopg://127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2
TEST_WORKERS ?= 2
XDIST := -n $(TEST_WORKERS) --dist loadgroup
# the schemathesis run and the form fuzz run in make check-hard (150 + 150 cases per operation,
# the long fuzz, on both databases); make test leaves out their short versions
HARD_ONLY := --ignore=tests/hostile/test_api_schemathesis.py --ignore=tests/hostile/test_form_fuzz.py
# the browser journeys and the S1 authorization matrix drive the whole app over HTTP, the same on
# either database: make test runs them on SQLite, make check-hard on PostgreSQL
PG_IN_HARD := tests/e2e tests/security/test_authz_matrix.py
PG_HARD_ONLY := $(HARD_ONLY) $(addprefix --ignore=,$(PG_IN_HARD))
export FLASK_APP := wsgi.py

.PHONY: run test check-hard install translations setup serve postgres redis chromium test-sqlite test-postgres lint extract-messages clean bench

## run: everything from a fresh clone, then serve the demo on http://127.0.0.1:5000
run: setup serve

## test: the whole suite on SQLite, then on PostgreSQL but for PG_IN_HARD (browser journeys and
## the authorization matrix: their PostgreSQL pass is in check-hard), each run spread over
## TEST_WORKERS processes (pytest-xdist)
test: install translations postgres redis chromium
	@mkdir -p test-results
	@status=0; start=$$(date +%s); \
	$(BIN)/pytest $(XDIST) $(HARD_ONLY) --junitxml=test-results/sqlite.xml || status=$$?; \
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest $(XDIST) $(PG_HARD_ONLY) --junitxml=test-results/postgresql.xml || status=$$?; \
	$(BIN)/python tests/summarize.py test-results/sqlite.xml test-results/postgresql.xml || status=1; \
	echo "make test: $$(( $$(date +%s) - start )) s"; \
	exit $$status

## check-hard: the slow proofs CI also runs after make test: the browser journeys and the
## authorization matrix on PostgreSQL, fault injection against gunicorn servers (killed workers
## on both databases; a stopped PostgreSQL and two app nodes over one PostgreSQL and Redis),
## schemathesis with 150+150 cases per operation and the long form fuzz on both databases, and
## the atheris fuzzers (60 s per target)
check-hard: install translations postgres redis chromium
	@mkdir -p test-results
	@status=0; start=$$(date +%s); \
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest $(XDIST) $(PG_IN_HARD) --junitxml=test-results/journeys-postgresql.xml || status=$$?; \
	$(BIN)/pytest -m faults tests/faults --junitxml=test-results/faults-sqlite.xml || status=$$?; \
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest -m faults tests/faults --junitxml=test-results/faults-postgresql.xml || status=$$?; \
	FUZZ_HARD=1 $(BIN)/pytest tests/hostile --junitxml=test-results/hostile-sqlite.xml || status=$$?; \
	FUZZ_HARD=1 TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest tests/hostile --junitxml=test-results/hostile-postgresql.xml || status=$$?; \
	$(BIN)/python -m tests.fuzz || status=$$?; \
	echo "make check-hard: $$(( $$(date +%s) - start )) s"; \
	exit $$status

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	@touch $(STAMP)

install: $(STAMP)

translations: install
	@$(BIN)/pybabel compile -d marketplace/translations --statistics

setup: install translations
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load
	$(BIN)/flask vouchers expire
	$(BIN)/flask bookings sweep
	$(BIN)/flask listings reindex
	$(BIN)/flask matching train
	$(BIN)/flask ledger verify

serve:
	WORKERS=$(WORKERS) BIND=$(HOST):$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

## postgres: start the local PostgreSQL cluster when it is down (CI and fresh sessions)
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; echo "PostgreSQL did not start"; exit 1

## redis: start the local Redis when it is down (the test suite's queue, cache and rate-limit
## tests and the two-node test use it; `make run` does not need it)
redis:
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --daemonize yes \
	  --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /tmp --logfile /tmp/redis-ci.log
	@for i in $$(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && exit 0; sleep 1; done; \
	  echo "Redis did not start"; exit 1

## chromium: Debian's chromium for the browser tests (never a downloaded browser), and a CJK font
## so that screenshots show Chinese text
chromium:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi wqy; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; fi

test-sqlite: install translations redis chromium
	$(BIN)/pytest $(XDIST) $(HARD_ONLY)

test-postgres: install translations postgres redis chromium
	TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest $(XDIST) $(PG_HARD_ONLY)

## bench: the benchmarks (figures printed; no pass/fail)
bench: install postgres redis pgbench
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.search --backend postgres --sizes 10000
	$(BIN)/python -m bench.ledger
	$(BIN)/python -m bench.matching
	$(BIN)/python -m bench.office
	$(BIN)/python -m bench.load

## bench-search: search index build and query latency at 10,000 and 100,000 listings
.PHONY: bench-search bench-search-pg bench-ledger bench-matching bench-office bench-load pgbench worker scheduler
bench-search: install
	$(BIN)/python -m bench.search

## bench-search-pg: the same queries through the PostgreSQL backend (SEARCH_BACKEND=postgres)
bench-search-pg: install postgres
	$(BIN)/python -m bench.search --backend postgres --sizes 10000

## bench-load: locust replays the realistic mix (60% search, 25% listing pages, 10% dashboard,
## 5% bookings) against gunicorn with 2 and 4 workers on PostgreSQL, beside /healthz
bench-load: install postgres
	$(BIN)/python -m bench.load

## worker / scheduler: the job queue's processes (need REDIS_URL; see docs/deployment.md)
worker: install
	$(BIN)/flask jobs worker

scheduler: install
	$(BIN)/flask jobs scheduler

## bench-matching: the recommender at 5,000 enterprises x 50,000 listings x 200,000 interactions:
## training time, memory, recommendation latency and the offline evaluation table
bench-matching: install
	$(BIN)/python -m bench.matching

## bench-office: the officers' statistics pages over a year of data, SQLite and PostgreSQL
bench-office: install postgres
	$(BIN)/python -m bench.office

## bench-ledger: ledger operations/s on PostgreSQL and SQLite with 1, 4, 16 clients, beside pgbench
bench-ledger: install postgres pgbench
	$(BIN)/python -m bench.ledger

## pgbench: PostgreSQL's pgbench (the ledger benchmark's yardstick), from Debian when missing
pgbench:
	@pgbench --version >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-contrib >/dev/null; }

extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o marketplace/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching -i marketplace/translations/messages.pot -d marketplace/translations

clean:
	rm -rf $(VENV) test-results .pytest_cache
