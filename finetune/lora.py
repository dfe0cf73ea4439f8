"""LoRA adapters (peft) on the frozen base model: train, save, load, switch at run time.

Adapters live beside their base as <checkpoint>/adapters/<name>/ (adapter_config.json +
adapter_model.safetensors, about 0.5 MB each).  They stay unmerged, so one loaded base can
switch between them (`use_adapter`; at run time only through `Runtime.session`, which holds the
runtime's lock) without reloading.  `train_adapter` is the same loop as
pre-training with only the LoRA weights trainable; it also serves `tunesmith adapt` on a
person's own MIDI files.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from collections.abc import Sequence

from .errors import ModelError

if TYPE_CHECKING:  # pragma: no cover - training types; run time loads adapters without them
    from .corpus.dataset import Augment
    from .train import TrainConfig
    from peft import PeftModel

ADAPTERS = "adapters"
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj")


@dataclass(frozen=True, slots=True)
class AdapterConfig:
    """LoRA shape: rank, scale and which projections get adapters."""

    r: int = 8
    alpha: int = 16
    dropout: float = 0.05
    targets: tuple[str, ...] = LORA_TARGETS

    def __post_init__(self) -> None:
        if self.r < 1 or self.alpha < 1 or not 0 <= self.dropout < 1 or not self.targets:
            raise ModelError(f"bad adapter config: {self}")


def adapter_dir(base_dir: str | Path, name: str) -> Path:
    """Where adapter `name` of a checkpoint lives."""
    if not name or "/" in name or name.startswith(".") or name == "default":
        raise ModelError(f"bad adapter name {name!r}: use letters, digits and dashes")
    return Path(base_dir) / ADAPTERS / name


def list_adapters(base_dir: str | Path) -> list[str]:
    """Names of the adapters saved beside a base model."""
    folder = Path(base_dir) / ADAPTERS
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / "adapter_config.json").is_file())


def add_adapter(model: Any, name: str, config: AdapterConfig) -> PeftModel:
    """Wrap a base model with a fresh trainable LoRA adapter (base weights frozen)."""
    from peft import LoraConfig, TaskType, get_peft_model

    lora = LoraConfig(task_type=TaskType.CAUSAL_LM, r=config.r, lora_alpha=config.alpha,
                      lora_dropout=config.dropout, target_modules=list(config.targets))
    return get_peft_model(model, lora, adapter_name=name)


READOUT_TARGETS = ("embed_tokens", "lm_head")
# Rows the base never trained (chord, byte tokens) learn with a larger LoRA scale on the tied
# embeddings/output layer than attention does: in trials one learning rate was either too slow
# for the read-out or unstable for attention.
READOUT_SCALE = 4


def add_readout_adapter(model: Any, name: str, config: AdapterConfig) -> PeftModel:
    """A fresh LoRA adapter that also adapts the (tied) embeddings and output layer, for tokens
    the base never trained (harmony's CHORD tokens, the text adapters' bytes).

    Plain LoRA on `embed_tokens` and `lm_head` rather than peft's `trainable_token_indices`:
    peft 0.21 cannot load a plain adapter after one with trainable tokens, and the runtime
    loads every adapter of a checkpoint in name order.
    """
    import warnings

    from peft import LoraConfig, TaskType, get_peft_model

    lora = LoraConfig(task_type=TaskType.CAUSAL_LM, r=config.r, lora_alpha=config.alpha,
                      lora_dropout=config.dropout, target_modules=[*config.targets, *READOUT_TARGETS],
                      alpha_pattern={t: READOUT_SCALE * config.r for t in READOUT_TARGETS})
    with warnings.catch_warnings():  # separate LoRA deltas on the tied matrices are intended (never merged)
        warnings.filterwarnings("ignore", message=".*tie_word_embeddings.*")
        return get_peft_model(model, lora, adapter_name=name)


def save_readout_adapter(model: PeftModel, base_dir: str | Path, name: str) -> Path:
    """Write a readout adapter to <base_dir>/adapters/<name>/ without copies of the base
    embeddings (peft would store the whole embedding and output matrices of a LoRA on them)."""
    target = adapter_dir(base_dir, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(target.parent, selected_adapters=[name], save_embedding_layers=False)
    if not (target / "adapter_config.json").is_file():
        raise ModelError(f"peft did not write adapter {name} to {target}")
    return target


def save_adapter(model: PeftModel, base_dir: str | Path, name: str) -> Path:
    """Write adapter `name` to <base_dir>/adapters/<name>/."""
    target = adapter_dir(base_dir, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(target.parent, selected_adapters=[name])
    if not (target / "adapter_config.json").is_file():
        raise ModelError(f"peft did not write adapter {name} to {target}")
    return target


def find_adapter(homes: Sequence[str | Path], name: str) -> Path:
    """The folder of adapter `name` in the first home that has it (shipped checkpoint first)."""
    for home in homes:
        if (adapter_dir(home, name) / "adapter_config.json").is_file():
            return adapter_dir(home, name)
    known = ", ".join(sorted({n for home in homes for n in list_adapters(home)})) or "none"
    raise ModelError(f"no adapter {name!r} (known: {known})")


def load_adapters(model: Any, base_dir: str | Path, names: Sequence[str] | None = None, *,
                  extra_homes: Sequence[str | Path] = ()) -> PeftModel:
    """Attach saved adapters (all of the base's by default) to a loaded base; the first is active.

    `extra_homes` are further folders with an adapters/ subfolder (a person's own styles).
    """
    from peft import PeftModel

    homes = [Path(base_dir), *(Path(h) for h in extra_homes)]
    wanted = list(names) if names is not None else list_adapters(base_dir)
    if not wanted:
        raise ModelError(f"{base_dir} has no adapters")
    folders = [find_adapter(homes, name) for name in wanted]
    peft_model = PeftModel.from_pretrained(model, folders[0], adapter_name=wanted[0])
    for name, folder in zip(wanted[1:], folders[1:]):
        peft_model.load_adapter(folder, adapter_name=name)
    peft_model.set_adapter(wanted[0])
    return peft_model.eval()


def use_adapter(model: PeftModel, name: str) -> None:
    """Make adapter `name` the active one (it must be loaded); not thread-safe, see Runtime.session."""
    if name not in model.peft_config:
        raise ModelError(f"adapter {name!r} is not loaded (loaded: {', '.join(model.peft_config)})")
    model.set_adapter(name)


def train_adapter(base_dir: str | Path, records: Sequence[dict[str, Any]], name: str, *,
                  run_dir: str | Path, valid_records: Sequence[dict[str, Any]] = (),
                  config: TrainConfig | None = None, adapter: AdapterConfig | None = None,
                  augment: Augment | None = None, max_tokens: int = 512, style: str | None = None,
                  resume: bool = False, show_progress: bool = True,
                  save_home: str | Path | None = None) -> dict[str, Any]:
    """Train LoRA adapter `name` on records over the frozen base in `base_dir`; save it beside the base
    (or under `save_home`/adapters/, where a person's own styles live).

    `style` relabels every record (None keeps the records' own labels).  The defaults (full
    controls, transposition on) suit both the melody adapter and a person's own files.
    """
    from .corpus.dataset import Augment, MelodyData, build_windows
    from .model import count_parameters, load_frozen_model
    from .train import TrainConfig, fit, write_run_config

    config = config or TrainConfig(max_steps=300, batch_tokens=4096, lr=1e-3, warmup_steps=20, eval_every=100,
                                   weight_decay=0.0)
    adapter = adapter or AdapterConfig()
    augment = augment or Augment(drop_control=0.0, drop_all=0.0)
    run = Path(run_dir)
    started = time.time()
    model, codec = load_frozen_model(base_dir)
    peft_model = add_adapter(model, name, adapter)
    relabel = (lambda r: {**r, "styles": [style]}) if style else (lambda r: r)
    windows, skipped = build_windows([relabel(r) for r in records], codec, max_tokens=max_tokens)
    if not windows:
        raise ModelError(f"none of the {len(records)} pieces could be encoded for training")
    data = MelodyData(tuple(windows), codec, augment=augment)
    valid_windows, _ = build_windows([relabel(r) for r in valid_records], codec, max_tokens=max_tokens)
    valid = MelodyData(tuple(valid_windows), codec).sequences(None)
    write_run_config(run, config, kind="adapter", name=name, base=str(base_dir), adapter=asdict(adapter),
                     augment=asdict(augment), pieces=len(records), skipped=skipped, windows=len(windows),
                     trainable=count_parameters(peft_model, trainable_only=True))
    state = fit(peft_model, train_data=data, valid=valid, pad_id=codec.pad_id, config=config, run_dir=run,
                save_fn=lambda d: save_adapter(peft_model, d, name), resume=resume, show_progress=show_progress)
    if not state.get("interrupted"):
        home = save_home or base_dir
        target = adapter_dir(home, name)
        if target.exists():
            shutil.rmtree(target)
        save_adapter(peft_model, home, name)
    state.update(wall_s=round(time.time() - started, 1), windows=len(windows), skipped=skipped,
                 trainable=count_parameters(peft_model, trainable_only=True))
    return state
