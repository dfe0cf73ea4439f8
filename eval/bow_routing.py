"""A non-neural reference for routing: how far does the synthetic dialogue data reach?

A bag-of-words softmax classifier (words, Chinese characters, numbers and word pairs; trained with
torch on the same synthetic messages the chat adapter learns from) picks the task of each dev and
held-out prompt.  It cannot fill arguments and it is not shipped; it tells whether a routing miss
is the data's fault (a wording no template covers) or the model's.

    python -m tunesmith.eval.bow_routing --out eval/results/bow_routing.json
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from ..finetune.chat_data import chat_examples
from .eval_routing import SET_FILES, TOOL_TASKS

_TOKEN = re.compile(r"[a-z]+|[\u3400-\u9fff]|\d+")


def features(text: str) -> list[str]:
    """Words and their neighbours' pairs, lower case.

    >>> features("Harmonize it!")
    ['harmonize', 'it', 'harmonize_it']
    """
    words = _TOKEN.findall(text.lower())
    return words + [f"{a}_{b}" for a, b in zip(words, words[1:])]


def main(argv: list[str] | None = None) -> int:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=30_000, help="synthetic dialogues to train on")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    train = [(e.user, TOOL_TASKS[e.tool] if e.tool else "chat")
             for e in chat_examples(seed=args.seed, count=args.examples) if e.tool_result is None]
    vocab: dict[str, int] = {}
    for text, _ in train:
        for f in features(text):
            vocab.setdefault(f, len(vocab))
    tasks = sorted({task for _, task in train})

    def vector(text: str) -> torch.Tensor:
        v = torch.zeros(len(vocab))
        v[[vocab[f] for f in features(text) if f in vocab]] = 1.0
        return v

    x = torch.stack([vector(text) for text, _ in train])
    y = torch.tensor([tasks.index(task) for _, task in train])
    model = torch.nn.Linear(len(vocab), len(tasks))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-5)
    for _ in range(300):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    report: dict = {"train_examples": len(train), "features": len(vocab), "seed": args.seed, "sets": {}}
    for name, path in SET_FILES.items():
        items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        picked = [tasks[int(model(vector(item["prompt"])).argmax())] for item in items]
        right = sum(p == item["expect"]["task"] for p, item in zip(picked, items))
        report["sets"][name] = {"prompts": len(items), "right_task": round(right / len(items), 4),
                                "misses": [{"id": item["id"], "prompt": item["prompt"], "expect": item["expect"]["task"],
                                            "got": p} for p, item in zip(picked, items) if p != item["expect"]["task"]]}
        print(f"{name:8s} n={len(items):4d}  right task {100 * right / len(items):.1f}%")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
