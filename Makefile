# The two commands in README.md: `make demo` (run the main job on the embedded defaults) and
# `make test` (lint, type checks and the whole test suite). Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint setup servers

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# The whole job on the embedded defaults: a fresh copy of the sample Maildir in, SQLite, an
# outbox folder of .eml files out (alerts, and the digest written to var/demo/digest.html).
DEMO := var/demo
DEMO_CONFIG := examples/demo.toml
demo: $(STAMP)
	rm -rf $(DEMO) && mkdir -p $(DEMO) && cp -rp examples/mail $(DEMO)/mail
	$(BIN)/diarydesk --config $(DEMO_CONFIG) db upgrade
	$(BIN)/diarydesk --config $(DEMO_CONFIG) poll
	$(BIN)/diarydesk --config $(DEMO_CONFIG) cases
	$(BIN)/diarydesk --config $(DEMO_CONFIG) review
	$(BIN)/diarydesk --config $(DEMO_CONFIG) alerts
	$(BIN)/diarydesk --config $(DEMO_CONFIG) digest --preview $(DEMO)/digest.html
	$(BIN)/diarydesk --config $(DEMO_CONFIG) status
	@echo "Emails sent to the outbox: $(DEMO)/outbox/ - digest preview: $(DEMO)/digest.html"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict parsers store ingest notify

# The real servers the tests start themselves: Dovecot (IMAP) and Chromium (digest rendering).
# Installed from Debian's packages when missing; needs root, as on the project's machines.
servers:
	@command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd)
	@command -v chromium >/dev/null 2>&1 || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

test: lint servers
	$(BIN)/pytest
