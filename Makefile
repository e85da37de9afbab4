# Two commands do all set-up on a fresh machine with Python 3.11+ and make:
#   make run    the main job on the embedded PostgreSQL
#   make test   the test suite (real PostgreSQL, embedded unless DATABASE_URL is set)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export STRATA_HOME ?= $(CURDIR)/.strata
export DAGSTER_HOME := $(STRATA_HOME)/dagster

.PHONY: install run test lint dev db-down clean gen-types bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/strata db up
	$(BIN)/strata sample $(STRATA_HOME)/sample
	$(BIN)/strata seed $(STRATA_HOME)/sample/reference
	$(BIN)/strata load $(STRATA_HOME)/sample/export.json
	$(BIN)/strata billig seed
	$(BIN)/strata billig refresh
	$(BIN)/strata status
	@echo ""
	@echo "Next steps:"
	@echo "  make dev                          Dagster's UI on http://127.0.0.1:3000 (assets, checks, runs, the drop-folder sensor)"
	@echo "  $(BIN)/strata errors YYYY-MM      a layer's analyst errors (--json for a file)"
	@echo "  $(BIN)/strata load EXPORT         validate and load your own export (.json or .7z)"
	@echo "  $(BIN)/strata --help              every command"

test: install
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# Lint, format, types and the import contracts (pyproject.toml): CI runs it after the tests.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

dev: install
	$(BIN)/strata db up
	$(BIN)/dagster dev -w workspace.yaml

db-down: install
	$(BIN)/strata db down

clean:
	-$(BIN)/strata db down
	rm -rf $(STRATA_HOME)

# Regenerate pipelines/contract/export_models.py from schema/export.schema.json (datamodel-code-generator + ruff,
# pinned in the dev extra, which the test extra includes); a test fails when the module is stale.
gen-types: install
	$(BIN)/python -m pipelines.contract.generate_models

# Measure every stage against plain COPY and dlt on a ≥1 GB generated export (cached in bench-data/,
# gitignored); not part of `make test`. BENCH_PASSPORTS / BENCH_LAYERS shrink it while developing.
$(VENV)/.bench-installed: pyproject.toml | $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test,bench]'
	touch $@

bench: $(VENV)/.bench-installed
	$(BIN)/python -m bench

# The UI end to end (tests/assets/test_ui_e2e.py, ~1 min: dagster dev + daemon on the embedded server, a layer
# launched through GraphQL); kept out of `make test` for speed, run by CI after it.
.PHONY: e2e screenshot
e2e: install
	STRATA_E2E=1 $(BIN)/python -m pytest -q tests/assets/test_ui_e2e.py

# docs/asset-graph.png for the README (needs chromium: apt-get install chromium).
screenshot: install
	$(BIN)/python docs/screenshot.py
