# Thin wrappers around scripts/; see the scripts for details.
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help setup run test lint services services-stop clean

help:
	@echo "targets: setup run test lint services services-stop clean"

setup:
	scripts/setup.sh

run: setup
	uv run identra serve

test: setup
	scripts/test.sh

lint:
	uv run ruff check src tests bench
	uv run ruff format --check src tests
	uv run mypy src
	if [ -f .importlinter ]; then uv run lint-imports; fi
	if [ -f console/package.json ]; then \
	  npm run lint --prefix console && npm run typecheck --prefix console; \
	fi

services:
	scripts/services.sh start

services-stop:
	scripts/services.sh stop

# Stops the test servers first: their data lives under var/.
clean:
	-scripts/services.sh stop
	rm -rf var .pytest_cache .mypy_cache .ruff_cache .hypothesis dist build src/identra/static/console
	find src tests bench -name __pycache__ -type d -prune -exec rm -rf {} +
