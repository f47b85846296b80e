# Synchrony — two commands do all the set-up: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_LINK_MODE := copy
# Two workers for two cores; each has its own test database and Celery queue.
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: run test install lint format check-deploy bench bench-launches bench-metrics clean

## make run — install what is needed, migrate, load the demo when empty, start web + worker + beat.
run: install
	$(PY) -m synchrony.lib.devserver

## make test — install what is needed (Chromium too) and run the whole suite on PostgreSQL and Redis.
test: install chromium
	$(PY) -m pytest $(PYTEST_ARGS)

install: $(VENV)/.synced static/vendor/.copied

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# --inexact keeps uv itself (and pip) in the environment it manages.
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --inexact --quiet
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# Front-end packages are copied from the npm lockfile's install; never committed.
# Swagger UI serves /api/docs/ (its CSS names its source map, which collectstatic resolves).
static/vendor/.copied: node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/htmx-ext-sse/dist/sse.min.js static/vendor/htmx-ext-sse.min.js
	mkdir -p static/vendor/swagger-ui
	cp node_modules/swagger-ui-dist/{swagger-ui-bundle.js,swagger-ui-standalone-preset.js,swagger-ui.css,swagger-ui.css.map,favicon-32x32.png} static/vendor/swagger-ui/
	@touch $@

.PHONY: chromium
chromium:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy synchrony
	$(VENV)/bin/hadolint Dockerfile

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Production settings must pass Django's deployment checks.
check-deploy: install
	DEBUG=false SECRET_KEY=$$($(PY) -c "import secrets; print(secrets.token_urlsafe(64))") \
	  ALLOWED_HOSTS=synchrony.example.com SITE_URL=https://synchrony.example.com \
	  $(PY) manage.py check --deploy --fail-level WARNING

## make bench — issue 3's speed figures on a generated data set, into benchmarks/results/ (see benchmarks/README.md).
bench: install chromium
	$(PY) -m benchmarks.run

## make bench-launches — issue 4's launch timing: the real worker and beat fire 3 rounds of 100 launches × 10 webhooks (about 6 min; see benchmarks/README.md).
bench-launches: install
	$(PY) -m benchmarks.launches

## make bench-metrics — issue 6's figures: 1,000,000 samples through the API (batches of 10,000) and through CSV, the dashboard's p95 beside a floor (about 10 min; see benchmarks/metrics.py).
bench-metrics: install
	$(PY) -m benchmarks.metrics

clean:
	rm -rf $(VENV) node_modules static/vendor
