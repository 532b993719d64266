# make run / make test work on a fresh machine: the venv is created and the
# project installed on first use, and reinstalled when pyproject.toml changes.

PYTHON ?= python3
VENV ?= .venv
PY = $(VENV)/bin/python
STAMP = $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help run sandbox lint test bench chaos clean clean-data browser

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install -e '.[dev]'
	touch $@

run: $(STAMP) ## start the embedded stack, worker and API (extra options: ARGS=...)
	$(VENV)/bin/banjian run $(ARGS)

sandbox: $(STAMP) ## start a throwaway training center with a movable clock
	$(VENV)/bin/banjian run --sandbox $(ARGS)

lint: $(STAMP) ## ruff, mypy --strict and the import layers (lint-imports)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-logo

# The dashboard's page is tested in Debian's Chromium; installed once, with sudo when not root.
browser: ## install Chromium for the page's tests, when missing
	@test -x /usr/bin/chromium || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; }

# pytest exits 5 when it collects nothing; that fails the target like any other error.
test: lint browser ## lint, then the whole test suite against real servers
	$(VENV)/bin/pytest -q -p no:cacheprovider

bench: $(STAMP) ## run the benchmarks, if there are any
	@if [ -d benchmarks ]; then $(PY) -m benchmarks; else echo "no benchmarks yet"; fi

chaos: $(STAMP) ## the fault suite: kill the worker, PostgreSQL, Temporal and the API under load
	$(PY) -m benchmarks chaos

clean: ## remove the venv and caches (keeps the data in .banjian/)
	rm -rf $(VENV) build .mypy_cache .ruff_cache .pytest_cache .import_linter_cache .hypothesis *.egg-info
	find . \( -path ./.banjian -o -path ./.git \) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

clean-data: ## delete .banjian/: every case, projection and history of the embedded stack
	rm -rf .banjian
