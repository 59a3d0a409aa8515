# The MSO Network portal. `make run` and `make test` do all the set-up on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The address in the links of the portal's emails: the one the development server serves, unless set.
SITE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test setup frontend lint format bench clean worker beat

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

setup: $(VENV)/.installed node_modules/.installed

frontend: node_modules/.installed

## Serve the portal on SQLite with the demo data at http://$(HOST):$(PORT)/
run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	SITE_URL='$(SITE_URL)' $(BIN)/python manage.py runserver $(HOST):$(PORT)

## Run the test suite (DATABASE_URL and REDIS_URL choose PostgreSQL and Redis), in one process per
## core (pytest-xdist; TEST_PROCESSES=0 runs it in this one).
TEST_PROCESSES ?= auto
test: setup
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist worksteal $(PYTEST_ARGS)

## Lint: ruff (code and format), the import contract between apps, djLint on the templates, migrations.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/djlint templates --lint
	$(BIN)/python manage.py makemigrations --check --dry-run

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup
	$(BIN)/python bench/national_scale.py

worker: setup
	SITE_URL='$(SITE_URL)' $(BIN)/celery -A msonet worker --loglevel=INFO

beat: setup
	SITE_URL='$(SITE_URL)' $(BIN)/celery -A msonet beat --loglevel=INFO

clean:
	rm -rf $(VENV) node_modules staticfiles db.sqlite3
