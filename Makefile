# The README's two commands:  `make demo` (set up + run the main job)
# and `make test` (set up + run the tests).  Everything else is a helper.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: setup demo test test-slow corpus bands train clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/tunesmith demo

test: setup
	$(BIN)/python -m pytest -q

test-slow: setup
	$(BIN)/python -m pytest -q -m slow

corpus: setup
	$(BIN)/tunesmith corpus build

bands: corpus
	$(BIN)/python -m tunesmith.eval.bands

clean:
	rm -rf $(VENV) build *.egg-info
