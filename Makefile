# Two commands on a fresh machine with Python 3.11+ and make:
#   make run   - set up, initialise ./ledgerbridge.db, and run the service
#   make test  - set up with test extras, then lint, type-check and run every test

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint types pytest browser bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/ledgerbridge init
	$(BIN)/ledgerbridge demo --setup-only
	$(BIN)/ledgerbridge serve

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

types: $(TEST_STAMP)
	$(BIN)/mypy

# The dashboard test drives Debian's Chromium through Playwright. Installing it needs root and
# the Debian mirror; where that is not possible the browser test skips and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
		&& (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ; } \
		|| echo "chromium not installed: the dashboard browser test will skip"

pytest: $(TEST_STAMP) browser
	$(BIN)/python -m pytest -n 2 --dist loadgroup

test: lint types pytest

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
