"""Training the embedded chat adapter on synthetic dialogues (chat/data.py) in the chat format, and
the bag-of-words router saved beside it (chat/router.py).

Every epoch draws a fresh set of dialogues from the templates (a new seed per epoch), so the
adapter sees more paraphrases than one fixed set would hold; validation uses a fixed seed that
training never draws (seeds of training epochs come from the run's rng, validation's is fixed).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .format import chat_prompt, format_call

if TYPE_CHECKING:  # pragma: no cover
    from ..lora import AdapterConfig
    from ..train import TrainConfig

VALID_SEED = 987_654_321
PIECES_SEED = 13  # the dialogues whose prompts make the BPE pieces (pieces.json beside the adapter)
RESULT_SHARE = 0.2  # of the replies to a tool result, the share an epoch keeps (see chat_pairs)


def example_pair(example: Any) -> tuple[str, str]:
    """(prompt, target) of one ChatExample in the adapter's format."""
    prompt = chat_prompt(example.user, tool_result=example.tool_result)
    if example.tool and example.tool_result is None:
        return prompt, format_call(example.tool, example.args)
    return prompt, example.reply or ""


def chat_pairs(*, seed: int, count: int, result_share: float = 1.0) -> list[tuple[str, str]]:
    """(prompt, target) pairs drawn from `count` dialogue templates with `seed`, keeping
    `result_share` of the replies to a tool result.  Those are long, and the backend falls back to
    the tool's own summary when such a reply is unsure, so training time goes to routing first."""
    from .data import chat_examples

    rng = random.Random(seed)
    return [example_pair(e) for e in chat_examples(seed=seed, count=count)
            if e.tool_result is None or rng.random() < result_share]


def train_chat_adapter(base_dir: str | Path, *, run_dir: str | Path, per_epoch: int = 20_000, valid: int = 600,
                       config: TrainConfig | None = None, adapter: AdapterConfig | None = None,
                       resume: bool = False, show_progress: bool = True, save_to_base: bool = True,
                       prompt_weight: float = 0.0, router: bool = True) -> dict[str, Any]:
    """Train adapter `chat` over the base in `base_dir` (see text_adapter.train_text_adapter);
    with `router` the router beside it is rebuilt too (it learns the same dialogues, not the
    adapter, so the recipes build it once, after the last stage: `train_chat_router`)."""
    from ...tokenization.codec import load_codec
    from ..lora import adapter_dir
    from ..text.adapter import train_text_adapter
    from ..text.pieces import PIECES_FILE, PieceTable

    codec = load_codec(base_dir)
    saved = adapter_dir(Path(run_dir) / "model", "chat")
    if resume and (saved / PIECES_FILE).is_file():  # a resumed run reads its prompts as it did
        pieces = PieceTable.load(saved)
    else:
        pieces = PieceTable.build(codec, (p for p, _ in chat_pairs(seed=PIECES_SEED, count=40_000)))

    def epoch(rng: random.Random | None) -> list[tuple[str, str]]:
        return chat_pairs(seed=rng.randrange(1 << 30) if rng is not None else 0, count=per_epoch,
                          result_share=RESULT_SHARE)

    state = train_text_adapter(base_dir, epoch, name="chat", task="chat", run_dir=run_dir,
                               valid_pairs=chat_pairs(seed=VALID_SEED, count=valid), config=config,
                               adapter=adapter, resume=resume, show_progress=show_progress,
                               save_to_base=save_to_base, max_tokens=512, prompt_weight=prompt_weight,
                               pieces=pieces)
    if router and save_to_base and not state.get("interrupted"):
        train_chat_router(base_dir)
    return state


def train_chat_router(base_dir: str | Path, *, seed: int = 5, count: int = 30_000, steps: int = 300,
                      min_count: int = 2, lr: float = 1e-2, weight_decay: float = 1e-5) -> Path:
    """Fit the bag-of-words router on the first messages of `count` synthetic dialogues and save it
    beside the chat adapter (<base_dir>/adapters/chat/router.pt); the defaults built the shipped one."""
    from ..lora import adapter_dir
    from .router import router_examples, train_router

    folder = adapter_dir(base_dir, "chat")
    folder.mkdir(parents=True, exist_ok=True)
    fitted = train_router(router_examples(seed=seed, count=count), seed=seed, steps=steps, min_count=min_count,
                          lr=lr, weight_decay=weight_decay)
    return fitted.save(folder)
