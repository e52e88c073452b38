# Promptyard: `make run` starts the server, `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_PY := $(VENV)/.installed
STAMP_JS := console/node_modules/.installed
STATIC := src/promptyard/static/index.html
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes for the server and unit tests (the browser tests run on their own after).
TEST_JOBS ?= auto

.PHONY: run test install console lint typecheck test-py test-js e2e bench docs clean

run: install console ## install, build the console, start the server on SQLite
	$(BIN)/promptyard serve --host $(HOST) --port $(PORT) $(ARGS)

install: $(STAMP_PY)

$(STAMP_PY): pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

$(STAMP_JS): console/package.json console/package-lock.json
	cd console && npm ci --no-audit --no-fund
	touch $@

console: $(STATIC)

$(STATIC): $(STAMP_JS) $(shell find console/src console/index.html console/vite.config.* -type f 2>/dev/null)
	cd console && npm run build

lint: install $(STAMP_JS) ## ruff, mypy, tsc, eslint
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	cd console && npm run typecheck && npm run lint

test-js: $(STAMP_JS)
	cd console && npm test

test-py: install console
	@if [ -z "$$PROMPTYARD_TEST_POSTGRES_URL" ] && pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		export PROMPTYARD_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test; \
		echo "PostgreSQL found on 127.0.0.1:5432: storage and API tests run on it too"; \
	fi; \
	if [ -n "$(PYTEST_ARGS)" ]; then $(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS); else \
		$(BIN)/pytest -q -p no:cacheprovider -n $(TEST_JOBS) --ignore=tests/e2e && \
		$(BIN)/pytest -q -p no:cacheprovider tests/e2e; fi

test: lint test-js test-py ## everything CI runs

bench: install
	$(BIN)/python bench/registry_read.py
	$(BIN)/python bench/render.py

docs: install ## regenerate docs/cli.md and the Grafana dashboards (monitoring/grafana)
	$(BIN)/python scripts/gen_cli_docs.py
	$(BIN)/python scripts/gen_dashboards.py

clean:
	rm -rf $(VENV) console/node_modules src/promptyard/static/assets src/promptyard/static/index.html
