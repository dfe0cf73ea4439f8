"""Pre-train the base model on the corpus (data/corpus/{train,valid}.jsonl) into a run folder.

The run folder's config.json records everything needed to redo or resume the run; on
`resume=True` the model and training settings saved there are used, so a resumed run
continues exactly (the time budget may be raised).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from .corpus.dataset import Augment, MelodyData, build_windows, data_hash, read_records
from .errors import CorpusError, ModelError
from .model import ModelConfig, build_model, count_parameters, save_model, set_seed
from .train import TrainConfig, fit, write_run_config


def saved_run_config(run_dir: str | Path) -> dict[str, Any]:
    """The config.json of a run folder."""
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise ModelError(f"{run_dir} has no config.json, so there is nothing to resume")
    return json.loads(path.read_text())


def train_config_from(saved: dict[str, Any], **overrides: Any) -> TrainConfig:
    """A TrainConfig from a saved run config with some values replaced (None = keep)."""
    body = dict(saved["train"])
    body["max_steps"] = int(body["max_steps"])
    config = TrainConfig(**{k: v for k, v in body.items() if k in TrainConfig.__dataclass_fields__})
    return replace(config, **{k: v for k, v in overrides.items() if v is not None})


def pretrain(corpus_dir: str | Path, run_dir: str | Path, *, model_config: ModelConfig | None = None,
             config: TrainConfig | None = None, max_tokens: int = 512, augment: Augment | None = None,
             resume: bool = False, limit: int | None = None, show_progress: bool = True) -> dict[str, Any]:
    """Train a fresh base model (or resume one); the loadable model ends up in run_dir/model."""
    from ..tokenization.codec import default_codec

    started = time.time()
    run = Path(run_dir)
    corpus = Path(corpus_dir)
    files = [corpus / "train.jsonl", corpus / "valid.jsonl"]
    for path in files:
        if not path.is_file():
            raise CorpusError(f"{path} is missing; build the corpus first (tunesmith corpus build)")
    if resume:
        saved = saved_run_config(run)
        model_config = ModelConfig.from_dict(saved["model"])
        config = config or train_config_from(saved)
        max_tokens, limit = int(saved["max_tokens"]), saved.get("limit")
        augment = Augment(**saved["augment"])
    model_config = model_config or ModelConfig()
    config = config or TrainConfig()
    augment = augment or Augment()
    codec = default_codec()
    train_windows, skipped = build_windows(read_records(files[0], limit=limit), codec, max_tokens=max_tokens)
    valid_windows, _ = build_windows(read_records(files[1], limit=limit), codec, max_tokens=max_tokens)
    if not train_windows:
        raise CorpusError(f"no usable training pieces in {files[0]}")
    data = MelodyData(tuple(train_windows), codec, augment=augment)
    valid = MelodyData(tuple(valid_windows), codec).sequences(None)
    set_seed(config.seed)
    model = build_model(model_config, codec.vocab_size, pad_id=codec.pad_id, bos_id=codec.bos_id, eos_id=codec.eos_id)
    digest = data_hash(files)
    info = {"kind": "pretrain", "model": asdict(model_config), "data_hash": digest, "corpus": str(corpus),
            "max_tokens": max_tokens, "limit": limit, "augment": asdict(augment), "windows": len(train_windows),
            "valid_windows": len(valid_windows), "skipped": skipped, "parameters": count_parameters(model),
            "tokens_per_epoch": sum(len(s) for s in data.sequences(None))}
    if not resume:
        write_run_config(run, config, **info)

    def save(directory: Path) -> None:
        save_model(model, codec, directory, config=model_config, extra={"data_hash": digest, "seed": config.seed})

    state = fit(model, train_data=data, valid=valid, pad_id=codec.pad_id, config=config, run_dir=run,
                save_fn=save, resume=resume, show_progress=show_progress)
    state.update(info, wall_s=round(time.time() - started, 1))
    return state
