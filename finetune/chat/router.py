"""A bag-of-words router beside the chat adapter: which task a message asks for.

Why: the 2 M-parameter chat adapter picks the right tool for 88% of held-out prompts, while a
linear classifier over the words of the same synthetic dialogues picks 95% (eval/bow_routing.py),
and the two miss different prompts: the adapter reads word order and spans, the router reads
every word at once.  The embedded chat decides the task as the product of both (chat_embedded),
then the adapter alone picks the tool of that task and writes its arguments.

The router is trained here, in seconds, on the dialogues the adapter learns from (first messages
only) and saved as router.pt beside the adapter.  The tasks are the tool contract's
(prompts/tools.toml): TOOL_TASKS below is `contract().tasks()`.
"""

from __future__ import annotations

import math
import pickle
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...tokenization.contract import contract
from ..errors import ModelError

ROUTER_FILE = "router.pt"
ADAPTER_WEIGHT = 0.2  # the exponent of the adapter's task probability in `combine` (eval/route_weights.py)
CHAT_TASK = "chat"  # no tool: a plain reply
TOOL_TASKS = {t.name: t.task for t in contract().tools.values() if t.weight > 0}  # the legacy model's tools
_TOKEN = re.compile(r"[a-z]+|[\u3400-\u9fff]|\d+")


def features(text: str) -> list[str]:
    """Words (Chinese: characters) and neighbour pairs, lower case.

    >>> features("Harmonize it!")
    ['harmonize', 'it', 'harmonize_it']
    """
    words = _TOKEN.findall(text.lower())
    return words + [f"{a}_{b}" for a, b in zip(words, words[1:])]


@dataclass(frozen=True)
class Router:
    """A linear softmax over features: weight[task][feature] plus bias[task]."""

    vocab: Mapping[str, int]
    tasks: tuple[str, ...]
    weight: Any  # torch.Tensor [features, tasks]
    bias: Any  # torch.Tensor [tasks]

    def probs(self, text: str) -> dict[str, float]:
        """P(task | text) for every task the router knows."""
        import torch

        ids = sorted({self.vocab[f] for f in features(text) if f in self.vocab})
        logits = self.bias.float() + (self.weight[ids].float().sum(0) if ids else 0.0)
        return dict(zip(self.tasks, torch.softmax(logits, -1).tolist()))

    def save(self, folder: str | Path) -> Path:
        import torch

        path = Path(folder) / ROUTER_FILE
        words = sorted(self.vocab, key=self.vocab.__getitem__)
        torch.save({"features": words, "tasks": list(self.tasks), "weight": self.weight.half(),
                    "bias": self.bias.float()}, path)
        return path

    @classmethod
    def load(cls, folder: str | Path) -> Router:
        import torch

        path = Path(folder) / ROUTER_FILE
        try:
            data = torch.load(path, weights_only=True)
            return cls({w: i for i, w in enumerate(data["features"])}, tuple(data["tasks"]), data["weight"],
                       data["bias"])
        except (OSError, KeyError, RuntimeError, ValueError, TypeError, pickle.UnpicklingError) as exc:
            raise ModelError(f"cannot read the chat router {path}: {exc}") from exc


def router_examples(*, seed: int, count: int) -> list[tuple[str, str]]:
    """(first message, task) pairs from the synthetic dialogues (chat_data)."""
    from .data import chat_examples

    return [(e.user, TOOL_TASKS.get(e.tool, e.tool) if e.tool else CHAT_TASK)
            for e in chat_examples(seed=seed, count=count) if e.tool_result is None]


def train_router(examples: Sequence[tuple[str, str]], *, seed: int = 5, steps: int = 300, min_count: int = 2,
                 lr: float = 1e-2, weight_decay: float = 1e-5) -> Router:
    """A Router fitted by full-batch Adam on `examples` (features seen fewer than `min_count` times
    are dropped: they are mostly one template's accident and make the file bigger)."""
    import torch

    if not examples:
        raise ModelError("no examples to train the chat router on")
    torch.manual_seed(seed)
    counts = Counter(f for text, _ in examples for f in set(features(text)))
    vocab = {f: i for i, f in enumerate(sorted(f for f, n in counts.items() if n >= min_count))}
    tasks = tuple(sorted({task for _, task in examples}))
    flat, offsets = [], []
    for text, _ in examples:
        offsets.append(len(flat))
        flat.extend(sorted({vocab[f] for f in features(text) if f in vocab}))
    bag = torch.nn.EmbeddingBag(len(vocab), len(tasks), mode="sum")
    torch.nn.init.zeros_(bag.weight)
    bias = torch.nn.Parameter(torch.zeros(len(tasks)))
    x, start = torch.tensor(flat, dtype=torch.long), torch.tensor(offsets, dtype=torch.long)
    y = torch.tensor([tasks.index(task) for _, task in examples])
    optimizer = torch.optim.Adam([bag.weight, bias], lr=lr, weight_decay=weight_decay)
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(bag(x, start) + bias, y).backward()
        optimizer.step()
    return Router(vocab, tasks, bag.weight.detach().clone(), bias.detach().clone())


def build_router(folder: str | Path, *, seed: int = 5, count: int = 30_000) -> Path:
    """Train the router on `count` dialogues and save it in the adapter folder."""
    return train_router(router_examples(seed=seed, count=count), seed=seed).save(folder)


def combine(adapter: Mapping[str, float], router: Mapping[str, float], *, weight: float = ADAPTER_WEIGHT,
            floor: float = 1e-9) -> list[str]:
    """Tasks by p_adapter ** weight * p_router, best first; tasks the router does not know keep the
    adapter's alone.  weight < 1 tempers the adapter, which learned the templates to a near-zero
    loss and is sure of itself even where it is wrong (eval/route_weights.py picks the weight).

    >>> combine({"melody": 0.6, "chat": 0.4}, {"melody": 0.1, "chat": 0.9})
    ['chat', 'melody']
    >>> combine({"melody": 0.999, "chat": 0.001}, {"melody": 0.02, "chat": 0.98}, weight=1.0)[0]
    'melody'
    """
    def score(task: str) -> float:
        return weight * math.log(max(adapter[task], floor)) + math.log(max(router.get(task, 1.0), floor))

    return sorted(adapter, key=score, reverse=True)


def tasks_of(tools: Iterable[str]) -> dict[str, list[str]]:
    """Tools grouped by task (a tool the table does not know is a task of its own)."""
    groups: dict[str, list[str]] = {}
    for tool in tools:
        groups.setdefault(TOOL_TASKS.get(tool, tool), []).append(tool)
    return groups
