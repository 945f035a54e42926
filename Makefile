# Signum: the two commands a newcomer needs are `make up` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV_VERSION := 0.13.9
# uv runs as a module of the machine's python3, installed at the pinned version if missing.
UV := python3 -m uv
RUN := $(UV) run --frozen

.PHONY: help setup up down status test test-fast lint format docs bench system-deps

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: ## Install uv and the Python dependencies (pinned in uv.lock)
	@$(UV) --version 2>/dev/null | grep -q "uv $(UV_VERSION)" || { \
	  echo "installing uv $(UV_VERSION)"; \
	  python3 -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"; }
	@$(UV) sync --frozen --all-packages --quiet

system-deps: ## Install the Debian packages the tests use (only what is missing; make up installs SoftHSM)
	@bash deploy/local/system-deps.sh

up: setup ## Provision the local stack, start every service and the gateway, print the URL
	@bash deploy/local/system-deps.sh run
	@$(RUN) signumctl up

down: setup ## Stop the services, the gateway and the local stack
	@$(RUN) signumctl down

status: setup ## Show what is running
	@$(RUN) signumctl status

lint: setup ## ruff, mypy, import-linter, generated docs up to date
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy libs/contracts/src libs/platform/src libs/testing/src deploy/local/src cli/src gateway/src services/drafting/src services/routing/src services/signing/src services/storage/src services/metrics/src
	$(RUN) lint-imports
	$(RUN) python docs/generate.py --check

format: setup ## Format the code
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

test: setup system-deps lint ## Lint, then every test against the real local stack (started here, from empty)
	@$(RUN) signumctl stack up --profile test --fresh
	@status=0; $(RUN) pytest || status=$$?; \
	  $(RUN) signumctl stack down --profile test; exit $$status

test-fast: setup ## Only the tests that need no stack
	$(RUN) pytest -m "not stack"

docs: setup ## Write docs/asyncapi.yaml and docs/openapi/*.json
	$(RUN) python docs/generate.py

bench: setup ## Run the benchmarks under bench/ and write bench/results.json
	@$(RUN) signumctl stack up --profile test
	@status=0; $(RUN) python -m bench || status=$$?; \
	  $(RUN) signumctl stack down --profile test; exit $$status
