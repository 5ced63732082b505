# datasmart: every target bootstraps what it needs (uv, locked dependencies).
SHELL := /bin/bash
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
PG_URL ?= postgres://postgres@127.0.0.1:5432/datasmart_ci
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-sqlite test-postgres lint bench install system-deps help

help:
	@echo "make run    - install, create the SQLite database, load reference data, serve on $(HOST):$(PORT)"
	@echo "make test   - install and run all tests (SQLite and PostgreSQL, browser tests included)"
	@echo "make lint   - ruff and mypy"
	@echo "make bench  - benchmarks (results belong in docs/benchmarks.md)"

$(UV):
	python3 -m pip install --quiet "uv==$(UV_VERSION)" || pip install --quiet --user "uv==$(UV_VERSION)"

install: | $(UV)
	uv lock --check
	uv sync --locked

run: install
	uv run datasmart serve --host $(HOST) --port $(PORT)

system-deps:
	bash scripts/system-deps.sh

test: install system-deps lint test-sqlite test-postgres

test-sqlite:
	@echo "== tests on SQLite"
	DATABASE_URL=sqlite:///$(CURDIR)/var/test.sqlite3 uv run pytest -p no:cacheprovider -n auto

test-postgres:
	@echo "== tests on PostgreSQL ($(PG_URL))"
	bash scripts/ensure-postgres.sh
	DATABASE_URL=$(PG_URL) uv run pytest -p no:cacheprovider -n auto --create-db -m "not browser"

lint: install
	uv run ruff check src tests benchmarks
	uv run ruff format --check src tests benchmarks
	uv run mypy

bench: install
	@for b in benchmarks/bench_*.py; do echo "== $$b"; uv run python $$b || exit 1; done
