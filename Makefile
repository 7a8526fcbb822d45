# The two commands a newcomer needs (see README):
#   make run   - set everything up and run voxflow on its embedded defaults
#   make test  - set everything up and run the whole test suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast rasa setup lint fmt-check bench bench-nlu clean

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

# The whole suite, with the Rasa integration tests: on a new machine they first install Rasa
# 3.6.21 into its own Python 3.10 venv under ~/.cache/voxflow (about 4 minutes, once).
test: setup
	$(BIN)/ruff check .
	$(BIN)/voxflow fmt --check bots
	$(BIN)/pytest

# Everything but the Rasa integration tests, for a quick local run.
test-fast: setup
	$(BIN)/ruff check .
	$(BIN)/voxflow fmt --check bots
	$(BIN)/pytest -m "not rasa"

# Rasa 3.6.21 in its own Python 3.10 venv (~/.cache/voxflow), pinned by
# nlu/rasa/constraints-3.6.21.txt; the Rasa tests and `voxflow nlu rasa-serve` install it too.
rasa: setup
	$(BIN)/voxflow nlu rasa-install

bench-nlu: setup
	$(BIN)/python bench/nlu_banking77.py

bench: setup
	$(BIN)/python bench/compile_large_flow.py
	$(BIN)/python bench/runtime_calls.py

clean:
	rm -rf $(VENV) build
