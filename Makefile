# The README's two commands:  `make demo` (set up + run the main job)
# and `make test` (set up + run the tests).  Everything else is a helper.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: setup demo test test-slow corpus harmony-data text-data bands train clean peer

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[test]"
	$(BIN)/tunesmith lm prepare
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

harmony-data: setup
	$(BIN)/tunesmith harmony build --validate

bands: corpus
	$(BIN)/python -m tunesmith.eval.bands

# Reproduces checkpoints/default: 4 h 30 min of training budgets on 2 CPU cores, plus building the
# data (a GPU is used when there is one).
# Each recipe (finetune/recipes/NAME.toml) holds every value of one run; see them with
# `tunesmith train run --dry-run $(RECIPES)`.
RECIPES := base melody export harmony profiles lyrics-lm chat-lm chat-1 chat-2 chat-3 router

text-data: setup
	$(BIN)/tunesmith text build

train: corpus harmony-data text-data
	$(BIN)/tunesmith train run $(RECIPES)

# The chord eval's peer (python -m tunesmith.eval.eval_chords_folk --peer): Magenta's note_seq in a venv
# of its own, outside the repo, so its pins never touch .venv.
PEER_VENV ?= $(HOME)/.cache/tunesmith/peer-venv

$(PEER_VENV)/.installed:
	$(PY) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/pip install --quiet "note-seq==0.0.5"
	touch $@

peer: $(PEER_VENV)/.installed

clean:
	rm -rf $(VENV) build *.egg-info
