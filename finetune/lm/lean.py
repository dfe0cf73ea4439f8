"""Lean generation for the pretrained LM: one prefill, then batched steps over a trimmed vocabulary.

HF `generate` spends most of a short continuation on per-step overhead and on the full output
layer (Gemma's 262,144 rows are ~60% of the model).  A constrained task can only emit a few
thousand tokens, so `LeanLM` computes logits for those rows only, runs every candidate of a line
as one batch over a shared, once-computed prompt cache, and samples with a seeded generator (the
same seed gives the same text).  `allowed(k)` returns the token ids candidate k may emit next
(ids of the full vocabulary); an empty set ends that candidate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
    """A HF causal LM (LoRA merged) driven without `generate` (see the module docstring)."""

    def __init__(self, model: Any, tokenizer: Any, *, threads: int | None = None, int8_head: bool = False) -> None:
        import torch

        if threads:
            torch.set_num_threads(threads)
        self.model, self.tokenizer = model.eval(), tokenizer
        self.body = model.get_decoder() if hasattr(model, "get_decoder") else model.model
        self.weight = model.get_output_embeddings().weight
        self.softcap = getattr(model.config, "final_logit_softcapping", None)
        self.int8_head = int8_head  # the trimmed output rows as an int8 linear layer too
        self._heads: dict[frozenset[int], tuple[Any, Any]] = {}
        self._prefixes: dict[tuple[int, ...], Any] = {}

    def encode(self, text: str, *, bos: bool = True) -> list[int]:
        ids = self.tokenizer.encode(text, add_special_tokens=False)
        return ([self.tokenizer.bos_token_id] if bos and self.tokenizer.bos_token_id is not None else []) + ids

    def head(self, rows: frozenset[int]) -> tuple[Any, Any]:
        """The output layer of `rows` only (a cached module: hidden -> logits) and, as an array over
        the whole vocabulary, each id's row in it."""
        if rows not in self._heads:
            import torch

            order = sorted(rows)
            index = torch.tensor(order, dtype=torch.long)
            positions = np.zeros(self.weight.shape[0], dtype=np.int64)
            positions[order] = np.arange(len(order))
            layer = torch.nn.utils.skip_init(torch.nn.Linear, self.weight.shape[1], len(order), bias=False)
            with torch.no_grad():
                layer.weight.copy_(self.weight.detach().index_select(0, index))
            if self.int8_head:
                import warnings

                from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    layer = quantize_dynamic(torch.nn.Sequential(layer), {torch.nn.Linear: per_channel_dynamic_qconfig},
                                             inplace=True)
            self._heads[rows] = (layer.eval(), positions)
            if len(self._heads) > 8:
                self._heads.pop(next(iter(self._heads)))
        return self._heads[rows]

    def _forward(self, ids: Any, cache: Any) -> Any:
        out = self.body(input_ids=ids, cache=cache, use_cache=True)
        return out.last_hidden_state[:, -1, :]

    def prefill(self, ids: Sequence[int]) -> tuple[Any, Any]:
        """(hidden state after the prompt, a KV cache of it).  The caches of the last prompts are
        kept, and a prompt that extends one (the next line of a verse) only runs its new tokens."""
        import copy

        import torch
        from transformers import DynamicCache

        key = tuple(ids)
        if key not in self._prefixes:
            known = max((p for p in self._prefixes if len(p) < len(key) and key[:len(p)] == p), key=len, default=())
            with torch.inference_mode():
                cache = copy.deepcopy(self._prefixes[known][1]) if known else DynamicCache(config=self.model.config)
                hidden = self._forward(torch.tensor([list(key[len(known):])], dtype=torch.long), cache)
            self._prefixes[key] = (hidden, cache)
            if len(self._prefixes) > 8:
                self._prefixes.pop(next(iter(self._prefixes)))
        hidden, cache = self._prefixes[key]
        return hidden, copy.deepcopy(cache)

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
            cache.batch_repeat_interleave(count)
        tokens: list[list[int]] = [[] for _ in range(count)]
        scores = [0.0] * count
        done, finished = [False] * count, [False] * count
        columns: dict[frozenset[int], tuple[Any, Any, Any]] = {}  # an allowed set -> ids, rows, penalty
        penalty = penalty or {}
        penalties = np.zeros(len(positions), dtype=np.float32)
        for token, nats in penalty.items():
            penalties[token] = nats
        with torch.inference_mode():
            for _ in range(max_new):
                logits = head(hidden)
                if self.softcap:
                    logits = torch.tanh(logits / self.softcap) * self.softcap
                logp = torch.log_softmax(logits.float(), dim=-1)
                chosen = []
                for k in range(count):
                    permitted = frozenset() if done[k] else allowed(k, tuple(tokens[k]))
                    if not permitted:
                        done[k] = True
                        chosen.append(end)
                        continue
                    if permitted not in columns:
                        ordered = np.fromiter(permitted, dtype=np.int64, count=len(permitted))
                        ordered.sort()
                        minus = torch.from_numpy(penalties[ordered]) if penalty else None
                        columns[permitted] = (ordered, torch.from_numpy(positions[ordered]), minus)
                    options, cols, minus = columns[permitted]
                    row = logp[k].index_select(0, cols)
                    pick = _draw(row - minus if minus is not None else row, temperature=temperature, top_k=top_k,
                                 generator=generator)
                    scores[k] += float(row[pick])
                    token = int(options[pick])
                    if token == end:
                        done[k] = finished[k] = True
                    else:
                        tokens[k].append(token)
                    chosen.append(token)
                if all(done):
                    break
                hidden = self._forward(torch.tensor(chosen, dtype=torch.long).unsqueeze(1), cache)
        return [Draft(tuple(t), s, f) for t, s, f in zip(tokens, scores, finished)]


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
