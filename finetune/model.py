"""The embedded model: a small Llama-style causal transformer over the codec's vocabulary.

A frozen ModelConfig names the size; `build_model` makes a fresh model, `save_model` writes
it with `save_pretrained` (fp16 safetensors, a few MB) and the codec beside it, and
`load_model` reads both back (fp32, offline only).  torch/transformers are imported lazily.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    import torch
    from transformers import LlamaForCausalLM

    from ..tokenization.codec import MusicCodec

MODEL_CONFIG_FILE = "tunesmith_model.json"


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """Size of the transformer; every knob has a default that trains on 2 CPU cores."""

    d_model: int = 256  # hidden size
    n_layers: int = 4  # transformer blocks
    n_heads: int = 4  # attention heads (head size d_model / n_heads)
    n_kv_heads: int = 4  # key/value heads (< n_heads = grouped-query attention)
    ff_mult: float = 3.0  # MLP hidden size as a multiple of d_model (SwiGLU)
    max_positions: int = 1024  # longest sequence, in tokens
    dropout: float = 0.0  # attention dropout; 0 for short pre-training runs
    rope_theta: float = 10_000.0  # rotary embedding base

    def __post_init__(self) -> None:
        if self.d_model % self.n_heads or self.n_heads % self.n_kv_heads:
            raise ModelError(f"d_model {self.d_model}, heads {self.n_heads} and kv heads {self.n_kv_heads} "
                             "do not divide evenly")
        if min(self.d_model, self.n_layers, self.max_positions) < 1 or self.ff_mult <= 0:
            raise ModelError(f"model sizes must be positive, got {self}")
        if not 0.0 <= self.dropout < 1.0:
            raise ModelError(f"dropout {self.dropout} must be in [0, 1)")

    @property
    def ff_size(self) -> int:
        """MLP width rounded up to a multiple of 32.

        >>> ModelConfig(d_model=192, ff_mult=3.0).ff_size
        576
        """
        return -(-int(self.d_model * self.ff_mult) // 32) * 32

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        """Build from a dict, ignoring keys this version does not know."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


# Named sizes: "tiny" is for tests.  "small" is the shipped size: in 240 s on the shared 2-core
# CPU (1 thread each, same data) it reached valid loss 1.79 at 1,490 tok/s against 2.10 at
# 960 tok/s for "base" (3.6 M); with a one-hour budget the faster model sees ~1.5x the data.
PRESETS: dict[str, ModelConfig] = {
    "tiny": ModelConfig(d_model=32, n_layers=2, n_heads=2, n_kv_heads=2, ff_mult=2.0, max_positions=512),
    "small": ModelConfig(d_model=192, n_layers=4, n_heads=4, n_kv_heads=4, ff_mult=3.0),
    "base": ModelConfig(d_model=256, n_layers=4, n_heads=4, n_kv_heads=4, ff_mult=3.0),
    "wide": ModelConfig(d_model=320, n_layers=4, n_heads=5, n_kv_heads=5, ff_mult=3.0),
}


def get_preset(name: str) -> ModelConfig:
    """A named model size.

    >>> get_preset("tiny").d_model
    32
    """
    try:
        return PRESETS[name]
    except KeyError:
        raise ModelError(f"unknown model size {name!r}; known: {', '.join(PRESETS)}") from None


def set_seed(seed: int) -> None:
    """Seed python and torch (the one place training seeds are set)."""
    import torch

    random.seed(seed)
    torch.manual_seed(seed)


def build_model(config: ModelConfig, vocab_size: int, *, pad_id: int = 0, bos_id: int = 1,
                eos_id: int = 2) -> LlamaForCausalLM:
    """A freshly initialised LlamaForCausalLM with tied input/output embeddings."""
    from transformers import LlamaConfig, LlamaForCausalLM

    hf_config = LlamaConfig(
        vocab_size=vocab_size, hidden_size=config.d_model, intermediate_size=config.ff_size,
        num_hidden_layers=config.n_layers, num_attention_heads=config.n_heads,
        num_key_value_heads=config.n_kv_heads, max_position_embeddings=config.max_positions,
        attention_dropout=config.dropout, rope_theta=config.rope_theta, tie_word_embeddings=True,
        pad_token_id=pad_id, bos_token_id=bos_id, eos_token_id=eos_id, use_cache=True,
    )
    model = LlamaForCausalLM(hf_config)
    model.generation_config.pad_token_id = pad_id
    return model


def count_parameters(model: torch.nn.Module, *, trainable_only: bool = False) -> int:
    """Parameters of a model, tied weights counted once."""
    seen: set[int] = set()
    total = 0
    for param in model.parameters():
        if id(param) in seen or (trainable_only and not param.requires_grad):
            continue
        seen.add(id(param))
        total += param.numel()
    return total


def save_model(model: LlamaForCausalLM, codec: MusicCodec, directory: str | Path, *,
               config: ModelConfig, half: bool = True, extra: dict[str, Any] | None = None) -> Path:
    """Write model weights (fp16 unless `half=False`), the codec and the ModelConfig to a folder."""
    import torch
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    state = model.state_dict()
    if half:
        state = {k: v.detach().to(torch.float16) for k, v in state.items()}
    model.save_pretrained(out, state_dict=state)
    codec.save(out)
    meta = {"model": asdict(config), **(extra or {})}
    (out / MODEL_CONFIG_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    return out


def read_model_config(directory: str | Path) -> ModelConfig:
    """The ModelConfig saved beside a checkpoint."""
    path = Path(directory) / MODEL_CONFIG_FILE
    if not path.is_file():
        raise ModelError(f"{directory} is not a tunesmith model folder (no {MODEL_CONFIG_FILE})")
    return ModelConfig.from_dict(json.loads(path.read_text())["model"])


def load_model(directory: str | Path, *, device: str = "cpu") -> tuple[LlamaForCausalLM, MusicCodec]:
    """Load a saved model (as fp32, in eval mode) and its codec; never touches the network."""
    import torch
    from transformers import LlamaForCausalLM
    from transformers.utils import logging as hf_logging

    from ..tokenization.codec import load_codec

    folder = Path(directory)
    read_model_config(folder)
    hf_logging.disable_progress_bar()
    try:
        model = LlamaForCausalLM.from_pretrained(folder, local_files_only=True, dtype=torch.float32)
    except (OSError, ValueError) as err:
        raise ModelError(f"cannot load the model in {folder}: {err}") from err
    codec = load_codec(folder)
    if codec.vocab_size != model.config.vocab_size:
        raise ModelError(f"codec in {folder} has {codec.vocab_size} tokens but the model {model.config.vocab_size}")
    return model.to(device).eval(), codec


def load_frozen_model(directory: str | Path) -> tuple[LlamaForCausalLM, MusicCodec]:
    """A saved model with every weight frozen: the base an adapter is trained over."""
    model, codec = load_model(directory)
    for param in model.parameters():
        param.requires_grad_(False)
    return model, codec
