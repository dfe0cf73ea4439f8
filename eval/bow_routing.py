"""The chat router alone (finetune/chat/router.py): how far do words of the synthetic dialogues reach?

The bag-of-words softmax classifier (words, Chinese characters, numbers and word pairs; trained on
the same synthetic messages the chat adapter learns from) picks the task of each prompt of the dev
and held-out sets, without the adapter.  The embedded chat model multiplies its probabilities with
the adapter's (eval/eval_routing.py measures the two together); this tells whether a routing miss
is the data's fault (a wording no template covers) or the model's.

    python -m tunesmith.eval.bow_routing --out eval/results/bow_routing.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..finetune.chat.router import router_examples, train_router
from .eval_routing import SET_FILES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=30_000, help="synthetic dialogues to train on")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    train = router_examples(seed=args.seed, count=args.examples)
    router = train_router(train, seed=args.seed)

    def pick(text: str) -> str:
        probs = router.probs(text)
        return max(probs, key=probs.__getitem__)

    vocab = router.vocab
    report: dict = {"train_examples": len(train), "features": len(vocab), "seed": args.seed, "sets": {}}
    for name, path in SET_FILES.items():
        items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        picked = [pick(item["prompt"]) for item in items]
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
