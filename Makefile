# The two commands a newcomer needs (see README):
#   make run   - set everything up and run voxflow on its embedded defaults
#   make test  - set everything up and run the whole test suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup lint fmt-check bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "voxflow needs Python 3.11 ($(PYTHON) not found on PATH)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: setup
	$(BIN)/voxflow check bots
	$(BIN)/voxflow compile bots -o build/ir
	$(BIN)/voxflow chat bots/acme

test: setup
	$(BIN)/ruff check .
	$(BIN)/voxflow fmt --check bots
	$(BIN)/pytest

bench: setup
	$(BIN)/python bench/compile_large_flow.py
	$(BIN)/python bench/runtime_calls.py

clean:
	rm -rf $(VENV) build
