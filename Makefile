# The two commands of a fresh machine: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3.13
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

# make test runs on the real services; make run on the embedded default unless these are set.
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/twoway)
TEST_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/0)

.PHONY: run test setup services lint browser gettext clean

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: Twoway needs Python 3.13."; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $@

var/secret_key:
	@mkdir -p var
	@$(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@
	@chmod 600 $@

setup: $(STAMP) var/secret_key

run: setup
	DEBUG=true $(PY) manage.py migrate --no-input
	DEBUG=true $(PY) manage.py seed_demo
	DEBUG=true PORT=$(PORT) bin/run-all

browser:
	@command -v chromium >/dev/null || { \
	  echo "Installing Chromium for the browser tests (Debian package)..."; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# GNU gettext: the test that every string has its German translation runs makemessages (xgettext).
gettext:
	@command -v msgfmt >/dev/null || { \
	  echo "Installing GNU gettext for the translation test (Debian package)..."; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gettext >/dev/null; }

# bandit fails the run on any high-severity finding (mark_safe and the raw SQL it flags as medium are
# reviewed: their inputs are escaped or are our own column names).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/bandit -q -r common profiles programs pairings checkins mentoring -x '*/migrations/*' --severity-level high

services: setup
	@DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) bin/check-services

# Services first: a missing PostgreSQL or Redis stops the run at once, before anything slow.
test: services browser gettext lint
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) DEBUG=true $(VENV)/bin/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var staticfiles
