# Developer and CI entry points. GNU make; recipes use tabs.
#
#   make run     install if needed, migrate, seed demo data, serve on 127.0.0.1:8000
#   make test    install if needed, run pytest (browser tests excluded)
#   make bench   run every bench/bench_*.py
#   make lint    ruff check + ruff format --check
#   make messages  refresh locale/zh_Hans from the sources, then compile
#   make vendor  npm ci, then copy ECharts into stats/static/stats/vendor/ (committed: no CDN)
#
# Variables (override on the command line: make test PYTEST_ARGS=tests/test_i18n.py):
#   PY              interpreter that creates .venv (default python3)
#   PYTEST_MARKERS  pytest -m expression (default "not browser"; CI's browser run sets "browser")
#   PYTEST_ARGS     extra pytest arguments and paths; a -m given here wins over PYTEST_MARKERS
#   BENCH_ARGS      arguments for bench/run.py (names of benchmarks to run)

PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
MANAGE := $(PYTHON) manage.py
STAMP := $(VENV)/.installed

PYTEST_MARKERS ?= not browser
PYTEST_ARGS ?=
BENCH_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install run test bench lint format messages clean distclean vendor

help:
	@echo "make run | test | bench | lint | format | messages | vendor | install | clean | distclean"

# The stamp is newer than pyproject.toml once the venv holds what pyproject asks for,
# so a second `make install` does nothing.
install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PYTHON) || $(PY) -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(MANAGE) migrate --noinput
	@if command -v msgfmt >/dev/null 2>&1 && [ -d locale ]; then \
		$(MANAGE) compilemessages --ignore=$(VENV) --ignore=var; \
	else \
		echo "msgfmt or locale/ missing: using the committed .mo files"; \
	fi
	@# seed_demo is idempotent and prints the demo logins every time.
	@if $(MANAGE) help seed_demo >/dev/null 2>&1; then \
		$(MANAGE) seed_demo; \
	else \
		echo "seed_demo is not available yet: create a user with 'manage.py createsuperuser'"; \
	fi
	$(MANAGE) runserver 127.0.0.1:8000

# pytest exits 5 when it collected no test; a test run that ran nothing is a failure.
test: $(STAMP)
	@$(PYTHON) -m pytest -m "$(PYTEST_MARKERS)" $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then \
		echo "make test: pytest collected no tests (exit 5); failing" >&2; exit 1; \
	fi; \
	exit $$rc

bench: $(STAMP)
	$(PYTHON) bench/run.py $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: $(STAMP)
	@mkdir -p locale
	$(MANAGE) makemessages -l zh_Hans --ignore=$(VENV) --ignore=var --no-obsolete
	$(MANAGE) compilemessages -l zh_Hans --ignore=$(VENV) --ignore=var

# Front-end libraries come from npm (package-lock.json pins them) and are committed as
# static files, so the platform runs on a closed network with no CDN and no node at run time.
vendor:
	npm ci --no-audit --no-fund
	@mkdir -p stats/static/stats/vendor
	cp node_modules/echarts/dist/echarts.min.js stats/static/stats/vendor/echarts.min.js

clean:
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	rm -rf .pytest_cache .ruff_cache .hypothesis *.egg-info build var/static

# Also removes the virtualenv and var/ (the development database and uploads).
distclean: clean
	rm -rf $(VENV) var
