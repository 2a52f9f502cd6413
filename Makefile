# Council Priority Planner. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
# A Python 3.12+ for the venv: $(PYTHON) if given, else python3.13/3.12/python3 on PATH,
# else the newest 3.12+ that pyenv has installed.
PYTHON ?= $(shell for c in python3.13 python3.12 python3; do \
	  p=$$(command -v $$c 2>/dev/null) && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; exit; }; \
	done; \
	root=$$(pyenv root 2>/dev/null || echo $$HOME/.pyenv); \
	for p in $$(ls -d $$root/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; exit; }; \
	done)

# The lock: every package pinned with its hashes, compiled from pyproject.toml by `make lock`.
# requirements/main.txt is what the app runs on (the Dockerfile); requirements/dev.txt adds the
# test and lint tools (make install, CI). Both are universal: Python 3.12 and 3.13, any platform.
LOCK_MAIN := requirements/main.txt
LOCK_DEV := requirements/dev.txt
UV_COMPILE = $(VENV)/bin/uv pip compile pyproject.toml --universal --python-version 3.12 \
	--generate-hashes --custom-compile-command "make lock" --quiet $(LOCK_ARGS)

.PHONY: help run test worker beat lint format bench bench-load install assets clean lock

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# A new lock rebuilds the venv from nothing, so it holds exactly what the lock says.
$(VENV)/.installed: $(LOCK_DEV)
	@if [ -z "$(PYTHON)" ]; then \
	  echo "No Python 3.12 or newer found. Install one (e.g. 'pyenv install 3.12'," \
	       "or your OS package python3.12), or run 'make PYTHON=/path/to/python3.12 ...'."; \
	  exit 1; fi
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK_DEV)
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

static/build/app.css: node_modules/.installed $(wildcard static/scss/*.scss)
	npm run build

install: $(VENV)/.installed node_modules/.installed ## Create .venv from the lock and install npm packages

# Keeps the pins already in the lock where pyproject.toml still allows them; to move on, run
# e.g. `make lock LOCK_ARGS=--upgrade` (everything) or `LOCK_ARGS="--upgrade-package django"`.
# A lock file is only replaced if its text changes, so an unchanged lock keeps the venv.
lock: $(VENV)/.installed ## Re-resolve pyproject.toml into the hashed lock (requirements/*.txt)
	cp $(LOCK_MAIN) $(LOCK_MAIN).new && $(UV_COMPILE) -o $(LOCK_MAIN).new
	@cmp -s $(LOCK_MAIN) $(LOCK_MAIN).new && rm $(LOCK_MAIN).new \
	  || { mv $(LOCK_MAIN).new $(LOCK_MAIN); echo "updated $(LOCK_MAIN)"; }
	cp $(LOCK_DEV) $(LOCK_DEV).new && $(UV_COMPILE) --extra dev -c $(LOCK_MAIN) -o $(LOCK_DEV).new
	@cmp -s $(LOCK_DEV) $(LOCK_DEV).new && rm $(LOCK_DEV).new \
	  || { mv $(LOCK_DEV).new $(LOCK_DEV); echo "updated $(LOCK_DEV)"; }

assets: static/build/app.css ## Build the CSS from GOV.UK Frontend's Sass

run: install assets ## Serve the demo at http://127.0.0.1:8000 (SQLite, eager Celery)
	DEBUG=true $(PY) manage.py migrate --no-input
	DEBUG=true $(PY) manage.py seed_demo
	DEBUG=true $(PY) manage.py runserver 127.0.0.1:8000

# Tests load settings with DEBUG on (no SECRET_KEY or HTTPS redirect needed); Django's test
# runner still runs them with DEBUG off. DATABASE_URL and REDIS_URL pick the real services.
# pytest-xdist runs the suite on XDIST workers, each with its own test database (named with a
# _gw0, _gw1... suffix). With --dist loadgroup the browser (e2e) and integration tests form one
# group that a single worker runs in order (tests/conftest.py marks them), while the other
# workers share out the rest. `PYTEST_ARGS="-n 0"` runs everything in one process.
XDIST ?= -n 2 --dist loadgroup
test: install assets ## Run the whole test suite (PYTEST_ARGS="tests/x.py -k y" for a subset)
	DEBUG=true $(PY) -m pytest $(XDIST) $(PYTEST_ARGS)

worker: install ## Run a Celery worker (and the ranking sweep) against REDIS_URL
	@test -n "$$REDIS_URL" || { echo "Set REDIS_URL, e.g. redis://127.0.0.1:6379/0"; exit 1; }
	$(VENV)/bin/celery -A planner worker --beat --loglevel=INFO --concurrency=2

# One line per check; .pre-commit-config.yaml has a hook for each. mypy loads the settings
# (django-stubs), hence DEBUG=true: no SECRET_KEY needed. Its config is in pyproject.toml.
lint: install ## ruff check, format check and mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DEBUG=true $(VENV)/bin/mypy

format: install ## Apply ruff fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install assets ## Run the benchmarks in bench/ (needs DATABASE_URL for PostgreSQL)
	@# Every bench runs; a missed target (non-zero exit) is named at the end and fails the target.
	@failed=""; for b in bench/*.py; do case "$$(basename $$b)" in __init__.py|common.py|load*.py) continue;; esac; \
	  echo "== $$b"; $(PY) $$b || failed="$$failed $$b"; done; \
	  if [ -n "$$failed" ]; then echo "Missed a target or failed:$$failed"; exit 1; fi

# Minutes, not seconds: starts gunicorn, Celery and beat, seeds 380 councils and runs Locust
# (bench/load.py). BENCH_LOAD_ARGS scales it, e.g. "--councils 20 --users 10 --seconds 20";
# "--web 2 --workers 2" is the scale-out run. Not part of `make bench` or `make test`.
bench-load: install assets ## Load-test a production-like stack with Locust (needs PostgreSQL and Redis)
	$(PY) bench/load.py $(BENCH_LOAD_ARGS)

clean: ## Remove the venv, node_modules, built assets and the demo database
	rm -rf $(VENV) node_modules static/build staticfiles db.sqlite3
