# aspel-licensing: `make run` serves the demo, `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
DATABASE ?= sqlite:///var/aspel-licensing.db
LISTEN ?= 127.0.0.1:50051
GEN_DIR := client/aspel/licensing/v1
PROTOS := $(wildcard protos/aspel/licensing/v1/*.proto)

.PHONY: install run test lint typecheck proto proto-check pytest clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	mkdir -p var
	$(BIN)/aspel-licensing-server --database $(DATABASE) migrate
	$(BIN)/aspel-licensing-server --database $(DATABASE) seed-demo --if-empty
	@echo
	@echo "Serving on $(LISTEN). Try it from another terminal:"
	@echo "  . .venv/bin/activate"
	@echo "  aspel-licensing --server $(LISTEN) login demo     # password: demo-aspel-2026"
	@echo "  aspel-licensing --server $(LISTEN) subscriptions"
	@echo "  grpcurl -plaintext $(LISTEN) list"
	@echo "Ctrl-C stops the server (in-flight calls are drained)."
	@echo
	$(BIN)/aspel-licensing-server --database $(DATABASE) --listen $(LISTEN) serve

# Regenerates the committed stubs. The google/type and google/rpc protos come
# from googleapis-common-protos, already a dependency.
proto: $(STAMP)
	$(PY) scripts/gen_protos.py

proto-check: $(STAMP)
	$(PY) scripts/gen_protos.py --check

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck proto-check pytest

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
