# Every target sets itself up: `make run` and `make test` work on a fresh clone.
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

# The default sample: one year from this month, with a go-live of its first month.
SAMPLE_START ?= 2025-01
SAMPLE_THROUGH ?= 2025-12
LANDING_DIR ?= data/landing

.PHONY: install manifest run test test-browser test-forecast dev docs sample clean lock

install: $(STAMP)

# Bytecode is compiled once here: where PYTHONDONTWRITEBYTECODE is set, every
# dbt and Dagster process would otherwise compile its imports again (~3 s each).
$(STAMP): requirements.lock pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(BIN)/pip install -q "uv==$(UV_VERSION)"
	$(BIN)/uv pip install -q --compile-bytecode --python $(PY) -r requirements.lock
	$(BIN)/uv pip install -q --compile-bytecode --python $(PY) --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

# dbt parses here, so nothing parses at import time in Dagster; only when a dbt
# file changed (the same function the console script calls before it loads).
manifest: $(STAMP)
	$(PY) -c "from dagster_project.dbt_project import ensure_manifest; ensure_manifest()"

$(LANDING_DIR)/accounts/partners.csv: | $(STAMP)
	$(BIN)/partner-billing sample --landing $(LANDING_DIR) --start $(SAMPLE_START)

sample: $(LANDING_DIR)/accounts/partners.csv

run: manifest sample
	BILLING_START=$${BILLING_START:-$(SAMPLE_START)} $(BIN)/partner-billing run --through $(SAMPLE_THROUGH) --landing $(LANDING_DIR)

test: manifest
	$(BIN)/pytest -q -m "not browser and not forecast" -n 2 --dist loadfile

# Four samples generated and replayed (several minutes each), their forecast backtests held to the targets.
test-forecast: manifest
	$(BIN)/pytest -q -m forecast -n 2 -rP

# Headless Chromium against a dagster dev the test starts: needs Debian's chromium (.ci/run installs it).
test-browser: manifest
	$(BIN)/pytest -q -m browser

dev: manifest
	mkdir -p .dagster_home && cp dagster.yaml .dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev

docs: manifest
	cd dbt && ../$(BIN)/dbt docs generate --profiles-dir . && ../$(BIN)/dbt docs serve --profiles-dir .

lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev -q -o requirements.lock --python-version 3.11

clean:
	rm -rf data dbt/target dbt/logs .dagster_home
