"""Lean generation for the pretrained LM: one prefill, then batched steps over a trimmed vocabulary.

HF `generate` spends most of a short continuation on per-step overhead and on the full output
layer (Gemma's 262,144 rows are ~60% of the model).  A constrained task can only emit a few
thousand tokens, so `LeanLM` computes logits for those rows only, runs every candidate of a line
as one batch over a shared, once-computed prompt cache, and samples with a seeded generator (the
same seed gives the same text).  `allowed(k)` returns the token ids candidate k may emit next
(ids of the full vocabulary); an empty set ends that candidate.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ModelError


@dataclass(frozen=True, slots=True)
class Draft:
    """One sampled continuation: its token ids, their summed log-probability, and whether it ended."""

    tokens: tuple[int, ...]
    logprob: float
    finished: bool


class LeanLM:
    """A causal LM driven without `generate` (see the module docstring): a `GemmaBody` (the
    shipped path) or any HF causal LM with its LoRA merged (wrapped in `HFBody`)."""

    def __init__(self, model: Any, tokenizer: Any, *, threads: int | None = None, int8_head: bool = False,
                 head_cache: Path | None = None) -> None:
        import torch

        from .gemma import GemmaBody

        if threads:
            torch.set_num_threads(threads)
        self.body = model if isinstance(model, GemmaBody) else HFBody(model)
        self.tokenizer = tokenizer
        self.weight = self.body.output_weight
        self.vocab = int(self.weight.shape[0])
        self.softcap = self.body.softcap
        self.int8_head = int8_head  # the trimmed output rows as an int8 linear layer too
        # where int8 heads are kept between commands (a path prefix beside the saved model): cutting
        # rows out of the memory-mapped 262k-row embedding pages in all of it (~350 MB of RSS)
        self.head_cache = head_cache
        self._heads: dict[frozenset[int], tuple[Any, Any]] = {}
        self._prefixes: dict[tuple[int, ...], Any] = {}

    def forget_prefixes(self) -> None:
        """Drop the kept prompt prefixes (a benchmark times each prompt's own prefill)."""
        self._prefixes.clear()

    def encode(self, text: str, *, bos: bool = True) -> list[int]:
        ids = self.tokenizer.encode(text, add_special_tokens=False)
        return ([self.tokenizer.bos_token_id] if bos and self.tokenizer.bos_token_id is not None else []) + ids

    def head(self, rows: frozenset[int]) -> tuple[Any, Any]:
        """The output layer of `rows` only (a cached module: hidden -> logits) and, as an array over
        the whole vocabulary, each id's row in it."""
        if rows not in self._heads:
            import torch

            order = sorted(rows)
            positions = np.zeros(self.vocab, dtype=np.int64)
            positions[order] = np.arange(len(order))
            stored = self._head_path(order)
            layer = _load_int8_rows(stored) if stored else None
            if layer is None:
                weight = self.weight.detach().index_select(0, torch.tensor(order, dtype=torch.long)).float()
                layer = _int8_rows(weight) if self.int8_head else _Rows(weight)
                if stored:
                    _save_int8_rows(layer, stored)
            self._heads[rows] = (layer, positions)
            if len(self._heads) > 8:
                self._heads.pop(next(iter(self._heads)))
        return self._heads[rows]

    def _head_path(self, order: list[int]) -> Path | None:
        """The file an int8 head of these rows is kept in, when there is a cache (fp32 heads are not kept)."""
        if self.head_cache is None or not self.int8_head:
            return None
        digest = hashlib.sha256(np.asarray(order, dtype=np.int64).tobytes()).hexdigest()[:16]
        return Path(f"{self.head_cache}-head-{digest}.pt")

    def prefill(self, ids: Sequence[int]) -> tuple[Any, Any]:
        """(hidden state after the prompt, a KV cache of it).  The caches of the last prompts are
        kept, and a prompt that extends one (the next line of a verse) only runs its new tokens."""
        import torch

        key = tuple(ids)
        if key not in self._prefixes:
            known = max((p for p in self._prefixes if len(p) < len(key) and key[:len(p)] == p), key=len, default=())
            with torch.inference_mode():
                cache = self._prefixes[known][1].copy() if known else self.body.new_cache()
                hidden = self.body(torch.tensor([list(key[len(known):])], dtype=torch.long), cache)
            self._prefixes[key] = (hidden, cache)
            if len(self._prefixes) > 8:
                self._prefixes.pop(next(iter(self._prefixes)))
        hidden, cache = self._prefixes[key]
        return hidden, cache.copy()

    def sample(self, prompt: Sequence[int], *, allowed: Callable[[int, tuple[int, ...]], frozenset[int]],
               rows: frozenset[int], end: int, count: int, max_new: int, seed: int, temperature: float = 0.8,
               top_k: int = 40, penalty: dict[int, float] | None = None) -> list[Draft]:
        """`count` continuations of `prompt`, each token drawn from `allowed(k, tokens so far)`;
        a candidate that draws `end` is finished (`end` is not kept in its tokens), one whose
        `allowed` is empty stops unfinished.  Logits are computed for `rows` only (every allowed
        id must be in it).  `penalty` lowers the log-probability of some ids when drawing (a verse's
        words already used, so lines do not repeat one another); scores stay the model's own."""
        import torch

        if count < 1 or not prompt:
            raise ModelError("sampling needs a prompt and at least one candidate")
        head, positions = self.head(rows)
        generator = torch.Generator().manual_seed(int(seed) % (1 << 63))
        hidden, cache = self.prefill(prompt)
        if count > 1:
            hidden = hidden.expand(count, -1).contiguous()
            cache.repeat(count)
        tokens: list[list[int]] = [[] for _ in range(count)]
        scores = [0.0] * count
        finished = [False] * count
        columns: dict[frozenset[int], tuple[Any, Any, Any]] = {}  # an allowed set -> ids, rows, penalty
        penalty = penalty or {}
        penalties = np.zeros(len(positions), dtype=np.float32)
        for token, nats in penalty.items():
            penalties[token] = nats
        alive = list(range(count))  # the candidates still drawing, in batch order
        with torch.inference_mode():
            for _ in range(max_new):
                logits = head(hidden)
                if self.softcap:
                    logits = torch.tanh(logits / self.softcap) * self.softcap
                logp = torch.log_softmax(logits.float(), dim=-1)
                chosen, keep = [], []
                for row_index, k in enumerate(alive):
                    permitted = allowed(k, tuple(tokens[k]))
                    if not permitted:
                        continue
                    if permitted not in columns:
                        ordered = np.fromiter(permitted, dtype=np.int64, count=len(permitted))
                        ordered.sort()
                        minus = torch.from_numpy(penalties[ordered]) if penalty else None
                        columns[permitted] = (ordered, torch.from_numpy(positions[ordered]), minus)
                    options, cols, minus = columns[permitted]
                    row = logp[row_index].index_select(0, cols)
                    pick = _draw(row - minus if minus is not None else row, temperature=temperature, top_k=top_k,
                                 generator=generator)
                    scores[k] += float(row[pick])
                    token = int(options[pick])
                    if token == end:
                        finished[k] = True
                        continue
                    tokens[k].append(token)
                    chosen.append(token)
                    keep.append(row_index)
                if not keep:
                    break
                if len(keep) < len(alive):  # finished candidates leave the batch: later steps cost less
                    cache.select(keep)
                    alive = [alive[r] for r in keep]
                hidden = self.body(torch.tensor(chosen, dtype=torch.long).unsqueeze(1), cache)
        return [Draft(tuple(t), s, f) for t, s, f in zip(tokens, scores, finished)]


class _Rows:
    """Logits of some output rows in fp32."""

    def __init__(self, weight: Any) -> None:
        self.weight = weight

    def __call__(self, hidden: Any) -> Any:
        import torch

        return torch.nn.functional.linear(hidden, self.weight)


def _int8_rows(weight: Any) -> Any:
    """The rows as an int8 linear layer (per-row scales, dynamic activations), built directly:
    ~3x cheaper than `quantize_dynamic` over a freshly initialised fp32 layer."""
    import torch
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    scales = (weight.abs().amax(dim=1) / 127.0).clamp(min=1e-12).double()
    zeros = torch.zeros(weight.shape[0], dtype=torch.long)
    layer = DynamicLinear(weight.shape[1], weight.shape[0], bias_=False, dtype=torch.qint8)
    layer.set_weight_bias(torch.quantize_per_channel(weight, scales, zeros, 0, torch.qint8), None)
    return layer


def _save_int8_rows(layer: Any, path: Path) -> None:
    """Keep an int8 head (its int8 values and per-row scales); a read-only cache only costs time."""
    import torch

    weight = layer.weight()
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        torch.save({"values": weight.int_repr(), "scales": weight.q_per_channel_scales()}, tmp)
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)


def _load_int8_rows(path: Path) -> Any:
    """An int8 head kept by `_save_int8_rows`, or None when there is none (or it cannot be read)."""
    import torch
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    try:
        kept = torch.load(path, weights_only=True)
        values, scales = kept["values"], kept["scales"]
    except (OSError, RuntimeError, EOFError, KeyError, TypeError, ValueError, pickle.UnpicklingError):
        return None
    zeros = torch.zeros(values.shape[0], dtype=torch.long)
    layer = DynamicLinear(values.shape[1], values.shape[0], bias_=False, dtype=torch.qint8)
    layer.set_weight_bias(torch._make_per_channel_quantized_tensor(values, scales, zeros, 0), None)
    return layer


class HFBody:
    """A transformers causal LM behind `GemmaBody`'s interface (hidden state of the last position,
    a cache that copies and repeats), for bases without a lean body of their own."""

    def __init__(self, model: Any) -> None:
        self.model = model.eval()
        self.decoder = model.get_decoder() if hasattr(model, "get_decoder") else model.model
        self.output_weight = model.get_output_embeddings().weight
        self.softcap = getattr(model.config, "final_logit_softcapping", None)

    def new_cache(self) -> Any:
        from transformers import DynamicCache

        return _HFCache(DynamicCache(config=self.model.config))

    def __call__(self, ids: Any, cache: Any) -> Any:
        out = self.decoder(input_ids=ids, cache=cache.inner, use_cache=True)
        return out.last_hidden_state[:, -1, :]


class _HFCache:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def copy(self) -> _HFCache:
        import copy

        return _HFCache(copy.deepcopy(self.inner))

    def repeat(self, count: int) -> None:
        self.inner.batch_repeat_interleave(count)

    def select(self, rows: list[int]) -> None:
        import torch

        self.inner.batch_select_indices(torch.tensor(rows, dtype=torch.long))


def _draw(row: Any, *, temperature: float, top_k: int, generator: Any) -> int:
    import torch

    if temperature <= 0 or row.numel() == 1:
        return int(torch.argmax(row))
    scaled = row / temperature
    if 0 < top_k < scaled.numel():
        kth = torch.topk(scaled, top_k).values[-1]
        scaled = torch.where(scaled < kth, torch.full_like(scaled, float("-inf")), scaled)
    probs = torch.softmax(scaled, dim=-1)
    return int(torch.multinomial(probs, 1, generator=generator))
