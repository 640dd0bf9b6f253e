# cftf_analysis: `make help` lists the jobs.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

.PHONY: help setup report report-all figures test test-slow test-fast fuzz hostile docs lint format benchmark benchmark-corpus calibration clean update-figure-baselines

help: ## list the jobs
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-24s %s\n", $$1, $$2}'

setup: $(STAMP) ## create .venv and install the package with its dev tools

report: $(STAMP) ## build data/processed/ and figures/ from data/raw/ (the main job)
	$(VENV)/bin/cftf-analysis report

report-all: $(STAMP) ## build every bundled case, each into its own folder (the first as `make report`, the others into reports/<case id>/)
	@set -e; for id in $$($(VENV)/bin/cftf-analysis cases --ids); do \
		echo "== $$id"; $(VENV)/bin/cftf-analysis report --case "$$id"; \
	done

figures: $(STAMP) ## redraw figures/ and summary.md from the results in data/processed/ (no analysis; seconds)
	$(VENV)/bin/cftf-analysis figures

# Test workers (pytest-xdist): one per core, at most 4 (each builds the session's battery).
JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -gt 4 ] && n=4; echo $$n)
# The checks marked slow (whole-report reruns, kill-and-restart, simulations) run only with
# FULL=1, as CI does (.ci/run); `make test` without them takes under 5 minutes on 2 cores.
TEST_MARKS := $(if $(FULL),,-m "not slow")

test: $(STAMP) ## the test suite: unit, doctests, notebooks, Spark (FULL=1 adds the slow checks, as CI does)
	$(PY) -m pytest --nbmake -n $(JOBS) --dist loadfile $(TEST_MARKS) tests cftf_analysis notebooks

test-slow: $(STAMP) ## only the checks marked slow (several minutes)
	$(PY) -m pytest -n $(JOBS) --dist loadfile -m slow tests cftf_analysis

test-fast: $(STAMP) ## the quick loop: unit tests and doctests without Spark, notebooks or slow checks
	$(PY) -m pytest -q -n $(JOBS) --dist loadfile -m "not slow and not spark" tests cftf_analysis

docs: $(STAMP) ## build the documentation site into site/ (mkdocs, strict: any warning fails)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir site

update-figure-baselines: $(STAMP) ## re-render the images the visual figure test compares with (after a deliberate change)
	$(PY) -m pytest -q -m visual tests/figures --update-baselines

fuzz: $(STAMP) ## fuzz the readers with about 4,000 mutated raw and corpus files (about 15 minutes)
	CFTF_FUZZ_SCALE=20 $(PY) -m pytest tests/test_fuzz.py -q -p no:cacheprovider

hostile: $(STAMP) ## run the hostile-input cases (API and CLI); writes validation/results/hostile_inputs.md
	$(PY) validation/hostile_inputs.py

lint: $(STAMP) ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP) ## apply ruff formatting and safe fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

benchmark: $(STAMP) ## speed benchmarks: import, dates, loaders, cross-correlation, sensitivity (benchmarks/results/)
	$(PY) benchmarks/bench_import.py
	$(PY) benchmarks/bench_dates.py
	$(PY) benchmarks/bench_loaders.py
	$(PY) benchmarks/bench_crosscorr.py
	$(PY) benchmarks/bench_sensitivity.py
	$(PY) benchmarks/bench_report.py

benchmark-corpus: $(STAMP) ## corpus counting at 10M and 100M articles, each engine in its own process (long)
	$(PY) benchmarks/bench_corpus.py

calibration: $(STAMP) ## false-positive-rate simulations of every test (long, about 2 hours; validation/results/)
	$(PY) validation/calibrate_battery.py
	$(PY) validation/compare_granger_statistics.py
	$(PY) validation/latent_coverage.py
	$(PY) validation/calibrate_crosscorr_granger.py
	$(PY) validation/calibrate_count_cp_its.py

clean: ## remove generated outputs (never data/raw)
	find data/processed figures -type f ! -name .gitkeep -delete
