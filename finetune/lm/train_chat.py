"""Train the chat LoRA on the pretrained base: synthetic dialogues (chat_data) -> the next line.

    tunesmith train run chat-lm        (or `tunesmith train chat-lm --resume --minutes M`)

The command lives in agent/cli_train.py because the dialogues' music answers come from
tools/knowledge, which this layer may not import; it passes them in as `answer`.

The same loop as the lyrics LoRA (train_lora.train: time-budgeted, resumable from WORK/state.pt,
held-out loss of the base before and of the adapter after), with the chat transcripts encoded by
chat_format (the prompt, then the call's pieces or the reply: the loss is on those only).  On a
GPU the same command runs there when torch sees one (the device tool lends one at times).
"""

from __future__ import annotations

from typing import Any

from .chat_data import Sample, samples
from .chat_decode import REPLY_ROWS, reply_token_rows
from .chat_format import Pieces, target_ids
from .train_lora import Encoded


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


def save_reply_rows(out: Any, tokenizer: Any, items: Any) -> int:
    """The token ids of the training replies, written beside the adapter (chat_decode samples replies
    over these rows plus the prompt's own tokens); returns how many."""
    import json
    from pathlib import Path

    rows = sorted(reply_token_rows(tokenizer, items))
    path = Path(out) / REPLY_ROWS
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"rows": rows, "replies": sum(isinstance(i.target, str) for i in items)}) + "\n",
                    encoding="utf-8")
    return len(rows)
