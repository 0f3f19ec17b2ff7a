# The two commands in README.md: `make demo` (run the main job on the embedded defaults) and
# `make test` (lint, type checks and the whole test suite). Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint setup

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/diarydesk parse examples/*.docx
	$(BIN)/diarydesk db upgrade
	$(BIN)/diarydesk record examples/*.docx
	$(BIN)/diarydesk cases

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict parsers store ingest notify

test: lint
	$(BIN)/pytest
