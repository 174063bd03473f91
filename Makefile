# aspel-licensing: `make run` serves the demo, `make test` runs every check.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
DATABASE ?= sqlite:///var/aspel-licensing.db
LISTEN ?= 127.0.0.1:50051
METRICS_LISTEN ?= 127.0.0.1:9464
GEN_DIR := client/aspel/licensing/v1
PROTOS := $(wildcard protos/aspel/licensing/v1/*.proto)

.PHONY: install run test lint typecheck proto proto-check pytest clean dist
.PHONY: tools lint-proto breaking interop
.PHONY: bench

# Both distributions, editable, at the exact versions of constraints.txt. The
# one-distribution layout before them (`aspel-licensing`) is removed first.
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt
$(STAMP): pyproject.toml client/pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(PY) -m pip uninstall --quiet --disable-pip-version-check --yes aspel-licensing 2>/dev/null || true
	$(PIP_INSTALL) -e ./client -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	mkdir -p var
	$(BIN)/aspel-licensing-server --database $(DATABASE) migrate
	$(BIN)/aspel-licensing-server --database $(DATABASE) seed-demo --if-empty
	$(BIN)/aspel-licensing-server keys generate --if-missing
	@echo
	@echo "Serving on $(LISTEN). Try it from another terminal:"
	@echo "  . .venv/bin/activate"
	@echo "  aspel-licensing --server $(LISTEN) login demo     # password: demo-aspel-2026"
	@echo "  aspel-licensing --server $(LISTEN) subscriptions"
	@echo "  grpcurl -plaintext $(LISTEN) list"
	@echo "  curl -s http://$(METRICS_LISTEN)/metrics      # Prometheus metrics"
	@echo "Email (reset codes, upgrade notices) is written to var/mail/*.eml."
	@echo "Ctrl-C stops the server (in-flight calls are drained)."
	@echo
	$(BIN)/aspel-licensing-server --database $(DATABASE) --listen $(LISTEN) --metrics-listen $(METRICS_LISTEN) serve

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

test: lint typecheck proto-check lint-proto breaking pytest

# Benchmarks (not part of `make test`): the server against a bare gRPC echo
# server on this machine. Options go in BENCH_ARGS, e.g.
#   make bench BENCH_ARGS="--subscriptions 1000,1000000 --repeat 3"
# `python -m bench --help` lists them; bench/README.md explains the figures.
BENCH_STAMP := $(VENV)/.installed-bench
BENCH_ARGS ?=

$(BENCH_STAMP): $(STAMP) pyproject.toml constraints.txt
	$(PIP_INSTALL) -e ./client -e ".[dev,bench]"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) -m bench $(BENCH_ARGS)

# The two wheels: aspel-licensing-client (what installers ship) and
# aspel-licensing-server (needs the client wheel beside it).
dist: $(STAMP)
	rm -rf dist build client/build
	$(PY) -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir dist ./client .
	rm -rf build client/build
	@ls dist

clean:
	rm -rf $(VENV) var dist build client/build .pytest_cache .mypy_cache .ruff_cache $(TOOLS_DIR)/node_modules

# --- The contract's tools (issue 7): buf and the Node.js interop suite ---
# Installed into tools/interop/node_modules from its package-lock.json (the npm
# package @bufbuild/buf ships the buf binary; no network is needed to run it).
TOOLS_DIR := tools/interop
TOOLS_STAMP := $(TOOLS_DIR)/node_modules/.installed
BUF := $(TOOLS_DIR)/node_modules/.bin/buf

$(TOOLS_STAMP): $(TOOLS_DIR)/package.json $(TOOLS_DIR)/package-lock.json
	cd $(TOOLS_DIR) && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $(TOOLS_STAMP)

tools: $(TOOLS_STAMP)

# buf lint: STANDARD + COMMENTS on protos/ (buf.yaml).
lint-proto: $(TOOLS_STAMP)
	$(BUF) lint

# buf breaking (FILE rules) against main, the previous commit on main, and the
# last v* tag; BREAKING_AGAINST=REF picks another base (scripts/buf_breaking.py).
breaking: $(TOOLS_STAMP) $(STAMP)
	BUF=$(BUF) $(PY) scripts/buf_breaking.py

# buf curl through reflection (pytest) and the Node.js client on the protos alone.
interop: $(STAMP) $(TOOLS_STAMP)
	$(BIN)/pytest -q tests/interop
	cd $(TOOLS_DIR) && node --test test/*.test.js
