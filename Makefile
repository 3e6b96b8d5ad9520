# The workbook's commands. `make run` and `make test` set up .venv themselves when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Every package at an exact version with its hashes (`make lock`); .venv holds exactly this.
LOCK := requirements.lock
# The installer, a PyPI wheel installed into the venv first; pip installs the same lock when uv cannot be had.
UV_VERSION := 0.13.9
# Re-install when the lock, pyproject or the kernel spec (setup_env.py) changes; the stamp keeps repeated runs
# instant.
STAMP := $(VENV)/.workbook-installed
# The upgrade lane: the newest releases within pyproject's bounds, no lock (`make test-latest`).
LATEST := .venv-latest
LOCKTOOL := lib/workbook/lockfile.py
# One line, before anything else, when the Python is too old (the venv's own if it exists, else $(PYTHON)).
CHECK_PYTHON = py=$(1)/bin/python; test -x $$py || py=$(PYTHON); $$py -c 'import os, sys; old = sys.prefix == os.path.abspath("$(1)"); sys.exit(0 if sys.version_info >= (3, 11) else "make: the workbook needs Python 3.11 or newer, and %s is Python %s: %srun make PYTHON=python3.11 (or newer)" % (sys.executable, sys.version.split()[0], "rm -rf $(1), then " if old else ""))'
# The Python that checks the lock before anything is installed: the venv's once it exists.
CHECK_PY = $$(test -x $(BIN)/python && echo $(BIN)/python || echo $(PYTHON))

.PHONY: help setup run test test-latest lock notebooks solutions lab bench clean

help:
	@echo "make run          run every notebook on the embedded synthetic data (results in runs/)"
	@echo "make test         run the whole test suite (unit, end-to-end, nbval)"
	@echo "make notebooks    re-execute the committed notebooks in place (outputs nbval compares), solutions too"
	@echo "make solutions    re-execute only the worked solutions in notebooks/solutions/ in place"
	@echo "make lab          open JupyterLab on notebooks/ (http://127.0.0.1:8888)"
	@echo "make bench        print the benchmark figures"
	@echo "make lock         re-resolve $(LOCK): the newest releases within pyproject's bounds (KEEP=1: keep pins)"
	@echo "make test-latest  the whole test suite on the newest releases, without the lock (in $(LATEST)/)"

setup: $(STAMP)

$(STAMP): pyproject.toml $(LOCK) lib/workbook/setup_env.py
	@$(call CHECK_PYTHON,$(VENV))
	@$(CHECK_PY) $(LOCKTOOL) check
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
# No uv and no index: one line and stop, rather than pip retrying every package.
	@$(BIN)/python -m pip install --quiet --retries 1 uv==$(UV_VERSION) 2>/dev/null \
	  || { $(BIN)/python $(LOCKTOOL) reachable \
	       && echo "uv $(UV_VERSION) could not be installed: installing the same lock with pip (slower)"; }
# sync: exactly the lock, removing what it no longer holds; then the workbook itself, its dependencies being the lock.
	@if [ -x $(BIN)/uv ]; then \
	  $(BIN)/uv pip sync --quiet --python $(BIN)/python --require-hashes --compile-bytecode $(LOCK) \
	  && $(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e . ; \
	else \
	  $(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK) \
	  && $(BIN)/python -m pip install --quiet --no-deps -e . ; \
	fi || $(BIN)/python $(LOCKTOOL) offline-hint
# One kernel, registered inside the venv (JupyterLab, papermill and nbval all run this interpreter), and
# matplotlib's font cache built now, or its first-use notice lands in a notebook's stderr.
	$(BIN)/workbook setup >/dev/null
# `git diff` of a notebook through nbdime (see .gitattributes). .venv/bin need not be on PATH: git runs the driver
# from the top of the working tree, so the relative path is each clone's or worktree's own .venv, and it still
# holds after the folder moves (an absolute one broke then, and every worktree shared the last setup's path).
	@git rev-parse --git-dir >/dev/null 2>&1 \
	  && git config diff.jupyternotebook.command "$(BIN)/git-nbdiffdriver diff" || true
	touch $(STAMP)

# The lock covers CPython >= 3.11 on Linux, macOS and Windows: one universal resolution,
# platform-only packages (pywin32, appnope, ...) behind markers, hashes for every file of every pin.
# `make lock` moves every pin to the newest release within pyproject's bounds; `make lock KEEP=1` keeps the
# current pins and only resolves what pyproject.toml changed. Then `make notebooks` and review the diff.
lock:
	@$(call CHECK_PYTHON,$(VENV))
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile --quiet pyproject.toml --universal --python-version 3.11 --generate-hashes \
	  $(if $(KEEP),,--upgrade) --custom-compile-command "make lock" -o $(LOCK)
	@$(BIN)/python $(LOCKTOOL) header
	@$(BIN)/python $(LOCKTOOL) check && echo "$(LOCK) written: review git diff $(LOCK), then make notebooks"

# Two notebooks at a time (these machines have 2 cores): 04, the longest, beside 01-03 and 05 -> 06.
run: $(STAMP)
	$(BIN)/workbook run --jobs 2

# Two workers (these machines have 2 cores); one file or notebook per worker keeps each notebook's cells in
# order on one kernel and each module's fixtures in one process.
# TESTS=path narrows either suite, e.g. make test-latest TESTS=tests/unit.
test: $(STAMP)
	$(BIN)/ruff check --quiet lib tests benchmarks
	$(BIN)/python -m pytest -n 2 --dist loadfile $(TESTS)

# The upgrade lane (also weekly in CI): a separate venv with the newest releases pyproject allows, no lock;
# prints which versions differ from the lock, then runs the whole suite. .venv is left alone.
test-latest:
	@$(call CHECK_PYTHON,$(LATEST))
	@test -x $(LATEST)/bin/python || $(PYTHON) -m venv $(LATEST)
	@$(LATEST)/bin/python -m pip install --quiet uv==$(UV_VERSION)
	$(LATEST)/bin/uv pip install --quiet --python $(LATEST)/bin/python --upgrade -e . \
	  || $(LATEST)/bin/python $(LOCKTOOL) offline-hint
	$(LATEST)/bin/workbook setup --display-name "Python (MLOps workbook, latest)" >/dev/null
	@$(LATEST)/bin/python $(LOCKTOOL) diff
# The notebooks' one-line version notice is off here: the lane reports changed outputs itself.
	WORKBOOK_VERSION_NOTICE=off $(LATEST)/bin/python -m pytest -n 2 --dist loadfile $(TESTS)

notebooks: $(STAMP)
	$(BIN)/workbook run --in-place --jobs 2
	$(MAKE) solutions

# The worked solutions are NN_*_solutions.ipynb in their own folder, so `workbook run` (which looks only in
# notebooks/) never runs them as part of the workbook. Their MLflow runs go to a throwaway store, removed
# afterwards: the 05 solution registers a `challenger`, and a learner's own store must not get it.
solutions: $(STAMP)
	@store=$$(mktemp -d); \
	MLFLOW_TRACKING_URI="sqlite:///$$store/mlflow.db" $(BIN)/workbook run --in-place --jobs 2 --notebooks-dir notebooks/solutions; \
	status=$$?; rm -rf "$$store"; exit $$status

# JupyterLab refuses to run as root (the usual user inside a container) without --allow-root; asked only then.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root)

lab: $(STAMP)
	$(BIN)/jupyter lab --ip 127.0.0.1 --notebook-dir notebooks $(ALLOW_ROOT)

bench: $(STAMP)
	$(BIN)/python benchmarks/run_workbook.py

clean:
	rm -rf runs .pytest_cache
