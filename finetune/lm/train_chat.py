"""Train the chat LoRA on the pretrained base: synthetic dialogues (chat_data) -> the next line.

    python -m tunesmith.finetune.lm.train_chat --recipe finetune/recipes/chat-lm.toml [--minutes M] [--resume]

The same loop as the lyrics LoRA (train_lora.train: time-budgeted, resumable from WORK/state.pt,
held-out loss of the base before and of the adapter after), with the chat transcripts encoded by
chat_format (the prompt, then the call's pieces or the reply: the loss is on those only).  On a
GPU the same command runs there when torch sees one (the device tool lends one at times).
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import ModelError
from .chat_data import Sample, samples
from .chat_format import Pieces, target_ids
from .train_lora import Encoded, TrainConfig, train


def encoder() -> Any:
    """An encoder for train_lora.train: one Sample -> ids and the span the loss covers."""
    cache: dict[int, Pieces] = {}

    def encode(tokenizer: Any, item: Sample) -> Encoded:
        pieces = cache.setdefault(id(tokenizer), Pieces(tokenizer))
        prompt = pieces.prompt(item.transcript)
        target = target_ids(pieces, item.target)
        return Encoded(ids=tuple(prompt + target), spans=((len(prompt), len(prompt) + len(target)),))

    return encode


def data(*, seed: int, count: int, held_out: int, answer: Any = None) -> dict[str, dict[str, list[Sample]]]:
    """Training samples by language, and held-out ones drawn with another seed (`answer`: the real facts
    of music_knowledge, chat_data.samples)."""
    def by_lang(items: list[Sample]) -> dict[str, list[Sample]]:
        return {lang: [s for s in items if s.lang == lang] for lang in ("en", "zh")}

    return {"train": by_lang(samples(seed=seed, count=count, answer=answer)),
            "held_out": by_lang(samples(seed=seed + 1_000_003, count=held_out * 3, answer=answer))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tunesmith.finetune.lm.train_chat", description=__doc__.split("\n")[0])
    parser.add_argument("--recipe", default="finetune/recipes/chat-lm.toml")
    parser.add_argument("--minutes", type=float)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--out")
    parser.add_argument("--steps", type=int)
    parser.add_argument("--resume", action="store_true", default=None)
    parser.add_argument("--count", type=int, help="synthetic training samples (default: the recipe's)")
    args = vars(parser.parse_args(argv))
    recipe = dict(tomllib.loads(Path(args.pop("recipe")).read_text(encoding="utf-8"))["options"])
    count = args.pop("count") or recipe.pop("count", 8000)
    recipe.pop("count", None)
    config = replace(TrainConfig.from_options(recipe), **{k: v for k, v in args.items() if v is not None})
    try:
        train(config, data=data(seed=config.seed, count=count, held_out=config.held_out), encoder=encoder(),
              log=lambda line: print(line, flush=True))
    except ModelError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
