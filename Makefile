# The workbook's commands. `make run` and `make test` set up .venv themselves when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-install when the dependency list changes; the stamp keeps repeated runs instant.
STAMP := $(VENV)/.workbook-installed
KERNEL := workbook

.PHONY: help setup run test notebooks lab bench clean

help:
	@echo "make run        run every notebook on the embedded synthetic data (results in runs/)"
	@echo "make test       run the whole test suite (unit, end-to-end, nbval)"
	@echo "make notebooks  re-execute the committed notebooks in place (outputs nbval compares)"
	@echo "make lab        open JupyterLab on notebooks/ (http://127.0.0.1:8888)"
	@echo "make bench      print the benchmark figures"

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
# One kernel, registered inside the venv: JupyterLab, papermill and nbval all run this interpreter.
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (MLOps workbook)" >/dev/null
# Build matplotlib's font cache now, or its first-use notice lands in a notebook's stderr.
	MPLBACKEND=Agg $(BIN)/python -c "import matplotlib.pyplot" 2>/dev/null
	touch $(STAMP)

# Two notebooks at a time (these machines have 2 cores): 04, the longest, beside 01-03 and 05 -> 06.
run: $(STAMP)
	$(BIN)/workbook run --jobs 2

# Two workers (these machines have 2 cores); one file or notebook per worker keeps each notebook's cells in
# order on one kernel and each module's fixtures in one process.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

notebooks: $(STAMP)
	$(BIN)/workbook run --in-place --jobs 2

lab: $(STAMP)
	$(BIN)/jupyter lab --ip 127.0.0.1 --notebook-dir notebooks

bench: $(STAMP)
	$(BIN)/python benchmarks/run_workbook.py

clean:
	rm -rf runs .pytest_cache
