# PIP Companion: `make run` serves the demo, `make test` runs the whole suite.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
PORT ?= 5000
PYTEST_ARGS ?= -n 2

.PHONY: run demo-code test typecheck test-sqlite test-postgresql translations translations-compile clean lighthouse

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# The app refuses to start unless PIPCOMPANION_ENV names its environment; the demo is development,
# whatever the shell says.
run demo-code: export PIPCOMPANION_ENV := development

run: $(VENV)/.installed translations-compile
	$(FLASK) db upgrade
	$(FLASK) load-demo
	@echo "Serving on http://127.0.0.1:$(PORT)"
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# The code the demo therapist's and admin's authenticator app would show now.
demo-code: $(VENV)/.installed
	@$(FLASK) demo-code

# Types first (mypy, settings in pyproject.toml); the suite on SQLite; then on PostgreSQL too
# when TEST_DATABASE_URL is set.
test: typecheck test-sqlite
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgresql; fi

typecheck: $(VENV)/.installed-dev
	$(VENV)/bin/mypy

test-sqlite: $(VENV)/.installed-dev translations-compile
	$(PY) -m pytest $(PYTEST_ARGS)

test-postgresql: $(VENV)/.installed-dev translations-compile
	PIP_TEST_BACKEND=postgresql $(PY) -m pytest $(PYTEST_ARGS)

# Extract every string from Python and templates, merge it into each catalog, and say how complete
# each is (translations/STATUS.md).
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel -q extract --ignore-dirs=".* __pycache__" -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k plural_texts:1,2 --no-location --sort-output -o translations/messages.pot .
	$(VENV)/bin/pybabel -q update --no-fuzzy-matching --ignore-obsolete -i translations/messages.pot -d translations
	$(PY) scripts/translation_status.py

translations-compile: $(VENV)/.installed
	$(VENV)/bin/pybabel -q compile --use-fuzzy -d translations

clean:
	rm -rf $(VENV) instance .pytest_cache

# Security checks: bandit over the package, pip-audit over the pinned requirements; exits 2 when
# pip-audit could not reach its vulnerability data (never a clean result it did not check).
.PHONY: audit
audit: $(VENV)/.installed-dev
	$(PY) scripts/audit.py

# Lighthouse 12.2.3 (mobile), signed in, median of 3 runs; see BENCHMARKS.md.
lighthouse: $(VENV)/.installed-dev translations-compile
	$(PY) scripts/lighthouse.py

# Load benchmark (see BENCHMARKS.md): seeds the bench databases, serves the app and a hello app with
# gunicorn on 127.0.0.1 and measures them with wrk. `make bench BENCH_ARGS="--backend sqlite"`.
BENCH_ARGS ?= --backend postgresql

.PHONY: bench
bench: $(VENV)/.installed
	$(PY) -m bench.run $(BENCH_ARGS)
