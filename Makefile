# The README's two commands:  `make demo` (set up + run the main job)
# and `make test` (set up + run the tests).  Everything else is a helper.
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed

.PHONY: setup demo test test-slow corpus harmony-data bands train clean

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

harmony-data: setup
	$(BIN)/tunesmith harmony build --validate

bands: corpus
	$(BIN)/python -m tunesmith.eval.bands

# Reproduces checkpoints/default (about 2 hours on 2 CPU cores; uses a GPU when there is one).
train: corpus harmony-data
	$(BIN)/tunesmith train pretrain --corpus data/corpus --run runs/base-small --size small --minutes 55 \
		--threads 1 --batch-tokens 4096 --warmup 50 --lr 2e-3 --save-every 5 --eval-every 200 --seed 1337
	$(BIN)/tunesmith train adapter runs/base-small/model --name melody --corpus data/corpus \
		--run runs/adapter-melody --minutes 12 --batch-tokens 4096 --threads 1
	$(BIN)/tunesmith train export runs/base-small --out checkpoints/default --adapter melody=runs/adapter-melody
	$(BIN)/python -c "from tunesmith.finetune.harmony.model import train_harmony_adapter; \
		from tunesmith.finetune.corpus.dataset import read_records; from tunesmith.finetune.train import TrainConfig; \
		from tunesmith.finetune.lora import AdapterConfig; \
		train_harmony_adapter('checkpoints/default', read_records('data/harmony/train.jsonl'), \
		valid_records=read_records('data/harmony/valid.jsonl'), run_dir='runs/harmony', \
		config=TrainConfig(max_steps=100000, time_budget_s=780, lr=1e-2, warmup_steps=20, eval_every=50, \
		log_every=10, weight_decay=0.0, batch_tokens=2048, threads=1), adapter=AdapterConfig(r=16, alpha=8, dropout=0.05))"
	$(BIN)/python -m tunesmith.finetune.corpus.profiles --corpus data/corpus --out checkpoints/default/style_profiles.json
	$(BIN)/tunesmith text build
	$(BIN)/tunesmith text train-lyrics checkpoints/default --minutes 30 --lr 4e-3 --rank 8 --batch-tokens 2048 \
		--threads 1 --no-progress
	$(BIN)/tunesmith train chat checkpoints/default --run runs/adapter-chat --minutes 25 --lr 3e-3 --rank 32 \
		--threads 2 --no-progress
	$(BIN)/tunesmith train chat checkpoints/default --run runs/adapter-chat --minutes 55 --lr 1.5e-3 --rank 32 \
		--threads 2 --no-progress --resume
	$(BIN)/tunesmith train chat checkpoints/default --run runs/adapter-chat --minutes 85 --lr 1.5e-3 --rank 32 \
		--threads 2 --no-progress --resume
	$(BIN)/python -c "from tunesmith.finetune.release import refresh_manifest; refresh_manifest('checkpoints/default')"

clean:
	rm -rf $(VENV) build *.egg-info
