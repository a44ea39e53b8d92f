# scoredemo: `make run` starts the app, `make test` runs the default suite; both create .venv on first use.
# `make slow`, `make fuzz` and `make load` run the long checks that `make test` runs at a small size or not at all.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
PORT    ?= 8501

.PHONY: run test lint bench fuzz load slow clean browser

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamp files make installs idempotent: pip runs again only when a requirements file changes.
$(VENV)/.req: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.req-test: requirements-test.txt $(VENV)/.req
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@

# The real-browser tests drive Debian's chromium (Playwright cannot download its own browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; }

run: $(VENV)/.req
	$(BIN)/streamlit run app.py --server.port $(PORT)

test: $(VENV)/.req-test browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --durations=25 -m "not fuzz and not load and not slow"

lint: $(VENV)/.req-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .pytest_cache test-output

# Benchmarks against peers (BlackJAX, PyTorch CPU, numpy); peer-only deps live in requirements-bench.txt.
$(VENV)/.req-bench: requirements-bench.txt $(VENV)/.req-test
	$(BIN)/pip install --quiet -r requirements-bench.txt
	touch $@

bench: $(VENV)/.req-bench browser
	$(BIN)/python -m devtools.bench

fuzz: $(VENV)/.req-test browser
	$(BIN)/python -m pytest -q -m fuzz tests

load: $(VENV)/.req-test browser
	$(BIN)/python -m pytest -q -s -m load tests

# The full-size versions of the statistical runs, trainings and browser walks that make test runs small.
slow: $(VENV)/.req-test browser
	$(BIN)/python -m pytest -q -m slow tests
