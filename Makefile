VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?= -q

.PHONY: install run test test-sqlite test-postgres lint bench bench-scale bench-team bench-insights clean help

help:
	@echo "make run    - install, migrate, create an admin and demo data, serve on http://$(HOST):$(PORT)"
	@echo "make test   - install everything the tests need and run the suite on SQLite and PostgreSQL"
	@echo "make lint   - ruff and mypy"
	@echo "make bench  - benchmarks"
	@echo "make bench-scale - every page at 10,000 post-mortems, on SQLite and PostgreSQL (docs/benchmarks.md)"
	@echo "make bench-team - a team's day at 10,000 post-mortems: readers over 2,000+ pages, alone and while 3 people save"
	@echo "make bench-insights - theme quality on the two labelled corpora; insight speed at 1k and 10k"

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test,postgres,server]"
	touch $@

run: install
	$(BIN)/postmortem init-db
	$(BIN)/postmortem bootstrap
	@echo "Postmortem is serving on http://$(HOST):$(PORT)  (Ctrl-C stops it)"
	$(BIN)/postmortem run --host $(HOST) --port $(PORT)

test: install
	bash .ci/system-deps.sh
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: install
	@echo "=== test suite on SQLite ==="
	env -u TEST_DATABASE_URL -u DATABASE_URL $(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

test-postgres: install
	@echo "=== test suite on PostgreSQL ==="
	env -u DATABASE_URL bash .ci/with-postgres.sh $(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check postmortem tests bench
	$(BIN)/mypy

bench: install
	bash .ci/system-deps.sh
	$(BIN)/python bench/run.py

# A ten-year archive (10,000 post-mortems) generated into SQLite, then into a throwaway
# PostgreSQL; every page under wrk next to /healthz; the tables land in docs/benchmarks.md.
SCALE_ARGS ?=
bench-scale: install
	BENCH=1 bash .ci/system-deps.sh
	env -u DATABASE_URL $(BIN)/python bench/scale.py $(SCALE_ARGS)
	bash .ci/with-postgres.sh sh -c 'DATABASE_URL=$$TEST_DATABASE_URL $(BIN)/python bench/scale.py $(SCALE_ARGS)'

# A team's day at 10,000 post-mortems: readers over more than 2,000 distinct pages, alone and
# while three people save drafts, beside /healthz; each page kind's own work. SQLite, then a
# throwaway PostgreSQL; the tables land in docs/benchmarks.md.
TEAM_ARGS ?=
bench-team: install
	BENCH=1 bash .ci/system-deps.sh
	env -u DATABASE_URL $(BIN)/python bench/team.py $(TEAM_ARGS)
	bash .ci/with-postgres.sh sh -c 'DATABASE_URL=$$TEST_DATABASE_URL $(BIN)/python bench/team.py $(TEAM_ARGS)'

# Themes against the labelled corpora (bench/corpus, bench/corpus-public), and the insight job's speed at 1,000 and
# 10,000 generated post-mortems; the tables land in docs/benchmarks.md.
bench-insights: install
	env -u DATABASE_URL $(BIN)/python bench/insights.py --write

clean:
	rm -rf $(VENV) build dist *.egg-info
