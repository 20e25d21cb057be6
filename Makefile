# Two entry points for a fresh machine: `make demo` and `make test`.
# Both create .venv and install what is missing first.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install demo demo-reset test browser lint bench chaos clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Restart-safe: samples go in only once, pending reviews survive, the reviewer token stays.
demo: install
	$(VENV)/bin/triage up --demo

# The demo from empty: deletes the workflows and the mail (.data/*.db) first.
demo-reset: install
	$(VENV)/bin/triage up --demo --reset

# The dashboard's browser tests drive Debian's chromium; install it when we can.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "note: /usr/bin/chromium missing (apt-get install chromium): browser tests will fail"; fi; \
	fi

test: install browser
	$(PY) -m pytest $(PYTEST_ARGS)

# Benchmarks, each against a baseline measured in the same run: BENCH_SIZE=short
# (about 10 minutes) or full (10,000 pending reviews: about half an hour).
BENCH_SIZE ?= short
bench: install
	$(PY) -m bench --size $(BENCH_SIZE) --json-dir bench/results

# Chaos run with exact accounting (bench/chaos/): CHAOS_MESSAGES emails through worker
# kill -9s, a dev-server restart, socket, REST and LLM faults; exits 1 on any mismatch.
CHAOS_MESSAGES ?= 1000
chaos: install
	$(PY) -m bench.chaos --messages $(CHAOS_MESSAGES) --json bench/results/chaos.json

# Lint, format and types (settings in pyproject.toml); every check runs, and any
# finding fails the target. CI runs it before the tests.
lint: install
	@status=0; \
	$(PY) -m ruff check . || status=1; \
	$(PY) -m ruff format --check . || status=1; \
	$(PY) -m mypy || status=1; \
	exit $$status

clean:
	rm -rf $(VENV) .data artifacts .pytest_cache .mypy_cache .ruff_cache
