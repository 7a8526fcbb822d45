# The two commands a newcomer needs (see README):
#   make run   - set everything up and run voxflow on its embedded defaults
#   make test  - set everything up and run the whole test suite
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast test-audio rasa setup lint fmt-check bench bench-nlu clean studio chromium serve-agents

setup: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "voxflow needs Python 3.11 ($(PYTHON) not found on PATH)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# silero-vad's own dependencies pull a multi-GB CUDA torch; only its ONNX model is used.
	$(BIN)/pip install --quiet --no-deps 'silero-vad==6.2.3'
	touch $(STAMP)

run: setup
	$(BIN)/voxflow check bots
	$(BIN)/voxflow compile bots -o build/ir --prompts
	$(BIN)/voxflow chat bots/acme

# The whole suite, with the Rasa integration tests: on a new machine they first install Rasa
# 3.6.21 into its own Python 3.10 venv under ~/.cache/voxflow (about 4 minutes, once).
test: setup studio chromium
	$(BIN)/ruff check .
	$(BIN)/voxflow fmt --check bots
	$(BIN)/pytest

# Everything but the Rasa integration tests, for a quick local run.
test-fast: setup studio chromium
	$(BIN)/ruff check .
	$(BIN)/voxflow fmt --check bots
	$(BIN)/pytest -m "not rasa"

# Only the audio suite (part of `make test`): every conversation test of both bots as a phone
# call through the audio path (real time, piper callers, VAD, ASR, TTS) and every caller line
# through the recognizers, about 13 minutes on 2 cores. VOXFLOW_AUDIO_SMOKE=1 plays six calls.
test-audio: setup
	$(BIN)/pytest tests/audio -q -rxX

# Rasa 3.6.21 in its own Python 3.10 venv (~/.cache/voxflow), pinned by
# nlu/rasa/constraints-3.6.21.txt; the Rasa tests and `voxflow nlu rasa-serve` install it too.
rasa: setup
	$(BIN)/voxflow nlu rasa-install

# The web front-end (agent desktop, supervisor view; the visual studio later): studio/ is one
# Vite + TypeScript + React package, built into studio/dist, which the agents' web app serves.
# npm ci runs again only when the lock file changes.
STUDIO_DEPS := studio/node_modules/.package-lock.json

$(STUDIO_DEPS): studio/package.json studio/package-lock.json
	cd studio && npm ci --no-audit --no-fund

studio: $(STUDIO_DEPS)
	cd studio && npm run build

# Debian's Chromium for the browser tests (tests marked `browser`); Playwright drives it and
# never downloads a browser of its own. Skipped when already installed; sudo only if not root.
chromium:
	@if [ -x /usr/bin/chromium ]; then echo "chromium: /usr/bin/chromium is installed"; else \
	  SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	fi

# The agent desktop and supervisor view for the acme bot's queues, on http://127.0.0.1:8080
# (add users first: .venv/bin/python -m agents user add NAME --role agent --skill complaints).
serve-agents: setup studio
	$(BIN)/python -m agents serve bots/acme

bench-nlu: setup
	$(BIN)/python bench/nlu_banking77.py

bench: setup
	$(BIN)/python bench/compile_large_flow.py
	$(BIN)/python bench/runtime_calls.py
	$(BIN)/python bench/handoff_to_screen.py
	$(BIN)/python bench/voice_calls.py
	$(BIN)/python bench/first_audio.py
	$(BIN)/python bench/asr_accuracy.py
	$(BIN)/python bench/asr_turns.py

clean:
	rm -rf $(VENV) build
	rm -rf studio/dist studio/node_modules
