# Taquilla: the two commands that matter are `make up` and `make test` (see README.md).
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
PY := $(UV) run --frozen

.PHONY: up down logs status deps test lint check-protos protos check-openapi openapi graphql-schema check-graphql-schema k8s-rules test-python test-frontend fmt bench bench-grpc bench-sale outdated bench-checkin

up: deps ## install what is missing, start infrastructure, migrate, seed, start services and frontend
	@$(PY) python -m devstack up

down: ## stop everything `make up` started
	@$(PY) python -m devstack down

logs: ## follow the services' and infrastructure's logs
	@$(PY) python -m devstack logs --follow

status: ## readiness of every dependency through the edge
	@$(PY) python -m devstack status

deps:
	@scripts/install-deps.sh

test: deps ## every check and test: lint, types, contracts, Python (unit, integration, e2e), frontend
	@echo "==> ruff, mypy, import contracts"; $(MAKE) --no-print-directory lint
	@echo "==> generated gRPC code"; $(PY) scripts/check_protos.sh
	@echo "==> frontend API types generated from the edge's OpenAPI"; $(PY) scripts/check_openapi.sh
	@echo "==> the edge's GraphQL schema (edge/graphql/schema.graphql)"; $(PY) python scripts/export_graphql_schema.py --check
	@echo "==> frontend: typecheck, lint, unit tests, production build"; $(MAKE) --no-print-directory test-frontend
	@echo "==> Python tests (unit, integration against real servers, end-to-end)"; $(MAKE) --no-print-directory test-python

test-python:
	$(PY) pytest

test-frontend:
	npm --prefix frontend run --silent typecheck
	npm --prefix frontend run --silent lint
	npm --prefix frontend test --silent
	npm --prefix frontend run --silent build

lint:
	$(PY) ruff check .
	$(PY) ruff format --check .
	$(PY) mypy
	$(PY) lint-imports --no-cache

fmt:
	$(PY) ruff check --fix .
	$(PY) ruff format .

protos: ## regenerate Python code and .pyi stubs from protos/ with the pinned grpcio-tools
	$(PY) scripts/gen_protos.sh

check-protos:
	$(PY) scripts/check_protos.sh

openapi: ## export the edge's OpenAPI document and regenerate the frontend's API types from it
	$(PY) python scripts/export_openapi.py frontend/src/api/openapi.json
	npm --prefix frontend run --silent gen:api:types

check-openapi:
	$(PY) scripts/check_openapi.sh

graphql-schema: ## export the edge's GraphQL schema to edge/graphql/schema.graphql (make test fails when stale)
	$(PY) python scripts/export_graphql_schema.py

check-graphql-schema:
	$(PY) python scripts/export_graphql_schema.py --check

k8s-rules: ## rewrite deploy/k8s's PrometheusRules from observability/prometheus/rules (make test fails when stale)
	$(PY) python scripts/k8s_rules.py

bench: deps ## the cached event listing through the edge vs. a minimal FastAPI app; appended to docs/performance.md
	$(PY) python bench/edge_listing/run.py

bench-grpc: ## grpc.aio unary throughput of several grpcio releases, appended to docs/performance.md
	$(PY) python bench/grpc_versions/run.py

bench-sale: deps ## a flash sale through the edge vs. a bare conditional UPDATE, then 1,000 holds paid through the PSP simulator (minutes); appended to docs/performance.md
	$(PY) python bench/flash_sale/run.py

bench-checkin: deps ## online check-ins through the edge vs. a raw grpc.aio unary echo (a few minutes); appended to docs/performance.md
	$(PY) python bench/checkin/run.py

outdated: ## what lags behind the registries: Python packages of the workspace, then the frontend's npm packages
	@echo "==> Python (installed in .venv vs. PyPI; the lock file and pyproject bounds decide what moves)"
	@$(UV) pip list --outdated
	@echo "==> npm (frontend/): package, installed, latest, and the Node the latest needs"
	@node scripts/npm_latest.mjs frontend
