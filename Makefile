# authserver: `make run` serves the demo realm; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1
AUTHSERVER_BIND ?= 127.0.0.1:8000

.PHONY: run cluster install install-test migrate demo test test-sqlite test-postgres lint format bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py collectstatic --no-input -v 0

demo: migrate
	$(PY) manage.py import_realm deploy/demo-realm.json --skip-existing

# The authorization server, and the sample order (:8001) and payment (:8002) services beside it.
run: demo
	@$(PY) manage.py demo_banner
	AUTHSERVER_BIND=$(AUTHSERVER_BIND) BIN=$(BIN) deploy/run-all.sh

# The production topology on this machine (docs/gateway.md): the nginx gateway on
# https://127.0.0.1:8443, two authorization-server nodes, the two services and the token check,
# on PostgreSQL (CLUSTER_DATABASE_URL) and Redis (CLUSTER_REDIS_URL).
CLUSTER_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/authserver_cluster
CLUSTER_REDIS_URL ?= redis://127.0.0.1:6379/0
cluster: install
	DATABASE_URL=$(CLUSTER_DATABASE_URL) REDIS_URL=$(CLUSTER_REDIS_URL) BIN=$(BIN) deploy/run-cluster.sh

# The suite runs twice: on the embedded SQLite and on PostgreSQL, both with Redis as the cache.
# What does not depend on the pass's database runs once (tests/conftest.py): the end-to-end
# suites and the cluster on PostgreSQL, the tests that start gunicorn on SQLite themselves there.
test: test-sqlite test-postgres lint

test-sqlite: install-test
	env -u DATABASE_URL REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest -p no:cacheprovider -m "not postgresql_pass" $(PYTEST_ARGS)

test-postgres: install-test
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(BIN)/pytest -p no:cacheprovider -m "not sqlite_pass" $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=resource_server.orders.settings $(PY) -m django makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=resource_server.payments.settings $(PY) -m django makemigrations --check --dry-run

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The benchmark suite (docs/performance.md): gunicorn driven by wrk over loopback. PostgreSQL and
# Redis when DATABASE_URL / REDIS_URL are set, SQLite under bench/var otherwise.
bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var/*.sqlite3* var/static
