# synchub: two commands — `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := $(PYTHON) -m uv
endif
export UV_PROJECT_ENVIRONMENT := $(VENV)
export AIRFLOW_HOME := $(CURDIR)/var/airflow
PYTEST_ARGS ?=
# the hub file `make demo` runs (hub.selfhosted.yaml: the self-hosted shops' hub)
HUB ?= hub.yaml

.PHONY: help venv demo test lint typecheck schemas airflow stop clean bench

help:
	@echo "make demo      install from uv.lock, start the sandbox, sync every connection through Airflow"
	@echo "               (HUB=hub.selfhosted.yaml: the second demo, self-hosted shops)"
	@echo "make test      run the whole test suite (SQLite, PostgreSQL, sandbox, Airflow)"
	@echo "make airflow   Airflow standalone (UI on http://127.0.0.1:8080) with the hub's DAGs"
	@echo "make stop      stop the sandbox and Airflow started by the targets above"
	@echo "make lint | typecheck | schemas | bench | clean"

# uv itself comes from PyPI when missing; everything else from the lock file.
$(VENV)/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --user uv || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --locked --extra airflow
	@touch $@

venv: $(VENV)/.synced

demo: venv
	$(BIN)/synchub validate --config $(HUB)
	$(BIN)/synchub demo --config $(HUB)

test: venv
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check synchub dags plugins tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

schemas: venv
	$(BIN)/synchub schemas --out schemas --docs docs/mappings.md

airflow: venv
	$(BIN)/python -m synchub.airflow_local start

stop:
	-@test -x $(BIN)/python && $(BIN)/python -m synchub.airflow_local stop

bench: venv
	$(UV) sync --locked --extra airflow --group bench
	$(BIN)/python bench/ingest/run.py

clean: stop
	rm -rf var
