"""Text adapters (chat, lyrics): LoRA adapters that read and write UTF-8 byte tokens.

Sequence format (ids of the joint vocabulary):

    BOS TASK_<task> TEXT <prompt bytes> SEP <target bytes> EOS

The loss counts the target bytes and EOS only: everything up to and including the first SEP
is given.  The base model was pre-trained on music alone, so its byte rows were never trained;
like the harmony adapter, a text adapter puts plain LoRA weights on the tied embeddings and the
output layer as well as on attention and the MLP (peft 0.21 cannot load a plain adapter after
one with `trainable_token_indices`, and the runtime loads every adapter of a checkpoint).

Decoding (`generate_text`) is one KV-cached stream with an optional byte constraint:
`allowed(prefix)` names the byte values (and END) that may come next, so a caller can force
the output into a grammar (a tool call for the declared schemas, words from a dictionary).
"""

from __future__ import annotations

import json
import math
import random
import shutil
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...tokenization.vocab import BYTE_TOKENS, TASKS
from ..errors import ModelError

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from ...tokenization.codec import MusicCodec
    from ..lora import AdapterConfig
    from ..train import TrainConfig
    from .pieces import PieceTable

END = 256  # "stop here" in an `allowed` answer (byte values are 0..255)
TEXT_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
TRAINING_FILE = "training.json"
Pairs = Sequence[tuple[str, str]] | Callable[[random.Random | None], Sequence[tuple[str, str]]]
Allowed = Callable[[bytes], Collection[int] | None]


# ---- sequences -----------------------------------------------------------------------------
def text_prompt_ids(codec: MusicCodec, *, task: str, prompt: str, pieces: PieceTable | None = None) -> list[int]:
    """BOS TASK_<task> TEXT <prompt> SEP: what the model sees before it writes (the prompt as
    bytes, or as BPE pieces when the adapter has a piece table)."""
    if task not in TASKS:
        raise ModelError(f"unknown text task {task!r} (known: {', '.join(TASKS)})")
    body = pieces.encode(codec, prompt) if pieces is not None else codec.ids(codec.encode_text(prompt))
    return [codec.bos_id, codec.token_to_id(f"TASK_{task}"), codec.text_id, *body, codec.sep_id]


def text_sequence(codec: MusicCodec, *, task: str, prompt: str, target: str,
                  pieces: PieceTable | None = None) -> list[int]:
    """A whole training sequence: the prompt ids, the target (bytes, or pieces when the adapter writes
    in pieces) and EOS."""
    body = pieces.encode(codec, target) if pieces is not None and pieces.targets else codec.ids(codec.encode_text(target))
    return [*text_prompt_ids(codec, task=task, prompt=prompt, pieces=pieces), *body, codec.eos_id]


@dataclass(frozen=True)
class TextPairs:
    """(prompt, target) pairs as a SequenceSource; a callable source is re-drawn every epoch."""

    pairs: Any  # Pairs
    codec: Any  # MusicCodec
    task: str
    max_tokens: int = 384
    pieces: Any = None  # PieceTable | None

    def sequences(self, rng: random.Random | None) -> list[list[int]]:
        pairs = self.pairs(rng) if callable(self.pairs) else self.pairs
        out = [text_sequence(self.codec, task=self.task, prompt=p, target=t, pieces=self.pieces) for p, t in pairs]
        return [s for s in out if len(s) <= self.max_tokens]


def target_only_labels(input_ids: torch.Tensor, labels: torch.Tensor, *, sep_id: int) -> torch.Tensor:
    """Labels with every position up to and including the first SEP set to -100.

    >>> import torch
    >>> target_only_labels(torch.tensor([[1, 5, 3, 7, 2]]), torch.tensor([[1, 5, 3, 7, 2]]), sep_id=3).tolist()
    [[-100, -100, -100, 7, 2]]
    """
    is_sep = (input_ids == sep_id).long()
    before = is_sep.cumsum(dim=1) - is_sep  # SEPs strictly before each position
    return labels.masked_fill(before == 0, -100)


def _target_loss_model(model: Any, sep_id: int, *, prompt_weight: float = 0.0) -> Any:
    """Wrap a (peft) causal LM so that its loss counts the target bytes and EOS (and, with
    `prompt_weight` > 0, the prompt's bytes too, at that weight: an auxiliary language-model task
    that teaches a music-only base to read text faster)."""
    import torch

    class TargetLoss(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, input_ids, attention_mask=None, labels=None):  # noqa: ANN001 - HF signature
            if labels is None:
                return self.inner(input_ids=input_ids, attention_mask=attention_mask)
            target = target_only_labels(input_ids, labels, sep_id=sep_id)
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, labels=target)
            if prompt_weight > 0 and self.training:
                logits = out.logits[:, :-1].float()
                flat = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)),
                                                         labels[:, 1:].reshape(-1), ignore_index=-100,
                                                         reduction="none").view(labels.size(0), -1)
                prompt = (target[:, 1:] == -100) & (labels[:, 1:] != -100)
                if prompt.any():
                    out.loss = out.loss + prompt_weight * flat[prompt].mean()
            return out

    return TargetLoss()


# ---- training ------------------------------------------------------------------------------
def train_text_adapter(base_dir: str | Path, pairs: Pairs, *, name: str, task: str, run_dir: str | Path,
                       valid_pairs: Sequence[tuple[str, str]] = (), config: TrainConfig | None = None,
                       adapter: AdapterConfig | None = None, save_to_base: bool = True, resume: bool = False,
                       show_progress: bool = True, max_tokens: int = 384,
                       prompt_weight: float = 0.0, pieces: PieceTable | None = None) -> dict[str, Any]:
    """Train text adapter `name` over the frozen base in `base_dir` on (prompt, target) pairs.

    Saves to run_dir/model (checkpoints while training) and, with `save_to_base`, to
    <base_dir>/adapters/<name>/ with a training.json (losses, wall time, settings).
    """
    from ..lora import AdapterConfig, add_readout_adapter, adapter_dir, save_readout_adapter
    from ..model import count_parameters, load_frozen_model
    from ..train import TrainConfig, fit, write_run_config

    config = config or TrainConfig(max_steps=2000, lr=2e-3, warmup_steps=50, eval_every=200, weight_decay=0.0,
                                   batch_tokens=4096, threads=1)
    adapter = adapter or AdapterConfig(r=16, alpha=32, dropout=0.0, targets=TEXT_TARGETS)
    started = time.time()
    run = Path(run_dir)
    model, codec = load_frozen_model(base_dir)
    peft_model = add_readout_adapter(model, name, adapter)
    data = TextPairs(pairs, codec, task, max_tokens, pieces)
    valid = TextPairs(tuple(valid_pairs), codec, task, max_tokens, pieces).sequences(None)

    def save(folder: Path) -> None:
        target = save_readout_adapter(peft_model, folder, name)
        if pieces is not None:
            pieces.save(target)

    trainable = count_parameters(peft_model, trainable_only=True)
    write_run_config(run, config, kind="text-adapter", name=name, task=task, base=str(base_dir),
                     adapter=asdict(adapter), trainable=trainable, valid_pairs=len(valid), prompt_weight=prompt_weight)
    wrapped = _target_loss_model(peft_model, codec.sep_id, prompt_weight=prompt_weight)
    state = fit(wrapped, train_data=data, valid=valid, pad_id=codec.pad_id, config=config, run_dir=run,
                save_fn=save, resume=resume,
                show_progress=show_progress)
    peft_model.eval()
    state.update(wall_s=round(time.time() - started, 1), trainable=trainable)
    if save_to_base and not state.get("interrupted"):
        target = adapter_dir(base_dir, name)
        if target.exists():
            shutil.rmtree(target)
        save(Path(base_dir))
        summary = {key: state.get(key) for key in ("step", "epoch", "seconds", "tokens", "train_loss", "valid_loss",
                                                   "tokens_per_s", "trainable", "wall_s")}
        summary.update(run=str(run), task=task, adapter=asdict(adapter), train=asdict(config))
        (target / TRAINING_FILE).write_text(json.dumps(summary, indent=1) + "\n")
    return state


# ---- decoding ------------------------------------------------------------------------------
def utf8_next(prefix: bytes) -> Collection[int]:
    """Byte values that keep `prefix` on the way to valid UTF-8 (END only at a character boundary).

    Printable ASCII, newline and the 2- and 3-byte sequences (every script incl. CJK; no emoji).

    >>> sorted(utf8_next("é".encode()[:1]))[:2], END in utf8_next(b"ab"), min(utf8_next(b"\\xe0"))
    ([128, 129], True, 160)
    """
    index = 0
    while index < len(prefix):
        lead = prefix[index]
        length = 1 if lead < 0xC0 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
        if index + length > len(prefix):
            if index + 1 == len(prefix) and lead == 0xE0:
                return range(0xA0, 0xC0)  # no overlong forms
            if index + 1 == len(prefix) and lead == 0xED:
                return range(0x80, 0xA0)  # no surrogates
            return range(0x80, 0xC0)
        index += length
    return [*range(0x20, 0x7F), 0x0A, *range(0xC2, 0xF0), END]


def _byte_ids(codec: MusicCodec) -> list[int]:
    return [codec.token_to_id(token) for token in BYTE_TOKENS]


def _pick(logits: torch.Tensor, candidates: list[int], *, temperature: float, top_k: int,
          generator: torch.Generator) -> int:
    import torch

    if len(candidates) == 1:
        return candidates[0]
    index = torch.as_tensor(candidates, dtype=torch.long)
    chosen = logits[index].float()
    if temperature <= 0:
        return candidates[int(torch.argmax(chosen))]
    chosen = chosen / temperature
    if top_k and top_k < len(candidates):
        kth = torch.topk(chosen, top_k).values[-1]
        chosen = chosen.masked_fill(chosen < kth, -math.inf)
    probs = torch.softmax(chosen, dim=-1)
    return candidates[int(torch.multinomial(probs, 1, generator=generator))]


def generate_text(model: Any, codec: MusicCodec, *, task: str, prompt: str, allowed: Allowed | None = None,
                  max_new_tokens: int = 96, temperature: float = 0.0, top_k: int = 0, seed: int = 0,
                  pieces: PieceTable | None = None) -> str:
    """One target written by the active adapter; `allowed` constrains each next byte (see module doc).

    Greedy at temperature 0; stops at EOS (or END), at `max_new_tokens`, or at the model's context.
    """
    import torch

    byte_ids = _byte_ids(codec)
    prompt_ids = text_prompt_ids(codec, task=task, prompt=prompt, pieces=pieces)
    limit = int(getattr(model.config, "max_position_embeddings", 1024))
    if len(prompt_ids) >= limit:
        raise ModelError(f"the prompt is {len(prompt_ids)} tokens; the model reads at most {limit}")
    generator = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    produced = bytearray()
    writes_pieces = pieces is not None and pieces.targets
    with torch.inference_mode():
        out = model(input_ids=torch.tensor([prompt_ids], device=device), use_cache=True)
        for _ in range(min(max_new_tokens, limit - len(prompt_ids) - 1)):
            options = _options(allowed, bytes(produced))
            step = {codec.eos_id if b == END else byte_ids[b]: b"" if b == END else bytes([b]) for b in options}
            if writes_pieces:
                step.update(_piece_options(pieces, allowed, bytes(produced), options))
            if not step:
                raise ModelError(f"the text constraint allows nothing after {bytes(produced)!r}")
            # sorted: a seeded draw must not depend on the order a constraint's set happens to iterate in
            token = _pick(out.logits[0, -1], sorted(step), temperature=temperature, top_k=top_k, generator=generator)
            if token == codec.eos_id:
                break
            produced.extend(step[token])
            out = model(input_ids=torch.tensor([[token]], device=device), cache=out.cache, use_cache=True)
    return produced.decode("utf-8", errors="replace")


def _options(allowed: Allowed | None, produced: bytes) -> Collection[int]:
    options = allowed(produced) if allowed is not None else None
    return utf8_next(produced) if options is None else options


def _piece_options(pieces: PieceTable, allowed: Allowed | None, produced: bytes,
                   first: Collection[int]) -> dict[int, bytes]:
    """The multi-byte pieces whose every byte the constraint allows after `produced` (token -> bytes).

    The constraint is asked once per distinct prefix, so pieces sharing a start share the work."""
    seen: dict[bytes, Collection[int]] = {}

    def fits(data: bytes) -> bool:
        for cut in range(1, len(data)):
            head = data[:cut]
            if head not in seen:
                seen[head] = _options(allowed, produced + head)
            if data[cut] not in seen[head]:
                return False
        return True

    groups = pieces.by_first_byte()
    return {token: data for b in first if b != END for token, data in groups.get(b, ()) if fits(data)}


def score_text(model: Any, codec: MusicCodec, *, task: str, prompt: str, targets: Sequence[str],
               pieces: PieceTable | None = None, eos: bool = True) -> list[float]:
    """Sum log-probability of each target (its bytes and EOS) after the prompt, in one batch;
    eos=False scores the targets as beginnings (no EOS after them)."""
    import torch

    from ..corpus.dataset import collate

    if not targets:
        return []
    start = len(text_prompt_ids(codec, task=task, prompt=prompt, pieces=pieces))
    sequences = [text_sequence(codec, task=task, prompt=prompt, target=t, pieces=pieces) for t in targets]
    sequences = sequences if eos else [s[:-1] for s in sequences]
    batch = collate(sequences, pad_id=codec.pad_id)
    device = next(model.parameters()).device
    with torch.inference_mode():
        logits = model(input_ids=batch["input_ids"].to(device), attention_mask=batch["attention_mask"].to(device)).logits
        logp = torch.log_softmax(logits[:, :-1].float(), dim=-1)
        labels = batch["input_ids"][:, 1:].to(device)
        picked = logp.gather(-1, labels.unsqueeze(-1)).squeeze(-1)
        mask = batch["attention_mask"][:, 1:].to(device).bool()
        mask[:, : start - 1] = False
        return [float(row[m].sum()) for row, m in zip(picked, mask)]
