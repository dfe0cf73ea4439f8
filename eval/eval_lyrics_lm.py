"""How well does a lyrics adapter know verse?  Mean negative log-likelihood per UTF-8 byte of
held-out corpus lines (the poems `tools.lyrics.train` holds out), unconstrained.

Per byte, so an adapter that writes bytes and one that writes BPE pieces compare directly: a
line's likelihood is the same event whichever units spell it.  The prompts stand alone (no line
before); an adapter trained with the line before is also scored with it, on the same lines, so
the two figures say how much the line before tells it.

    python -m tunesmith.eval.eval_lyrics_lm --checkpoint checkpoints/default --out eval/results/lyrics_lm.json
    python -m tunesmith.eval.eval_lyrics_lm --checkpoint A --checkpoint B   # two adapters, same lines

It also writes a few unconstrained greedy lines per language, to read.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path
from typing import Any

from ..tools.lyrics.train import lyrics_data, pair_source, reads_previous_line, rhyme_index

SAMPLE_PROMPTS = (("en", 8, ["home", "road"], None), ("en", 6, ["sea"], "night"),
                  ("zh", 7, ["月", "家"], None), ("zh", 5, ["春"], None))


def adapter_figures(checkpoint: Path, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Nats per byte over `pairs` (by language) and a few greedy lines, for the checkpoint's lyrics adapter."""
    from ..finetune.lora import adapter_dir
    from ..finetune.runtime import load_runtime
    from ..finetune.text.adapter import generate_text, score_text
    from ..finetune.text.pieces import PIECES_FILE, PieceTable
    from ..tools.lyrics.constraint import lyrics_prompt

    runtime = load_runtime(checkpoint)
    folder = adapter_dir(checkpoint, "lyrics")
    pieces = PieceTable.load(folder) if (folder / PIECES_FILE).is_file() else None
    reads_previous = reads_previous_line(folder)
    totals: dict[str, dict[str, list[float]]] = {}
    started = time.perf_counter()

    def add(kind: str, lang: str, prompt: str, target: str) -> None:
        with runtime.session("lyrics") as active:
            logprob = score_text(active.model, active.codec, task="lyrics", prompt=prompt, targets=[target],
                                 pieces=pieces)[0]
        row = totals.setdefault(kind, {}).setdefault(lang, [0.0, 0.0, 0.0])
        row[0] -= logprob
        row[1] += len(target.encode("utf-8")) + 1  # the bytes and the end of the line
        row[2] += 1

    for prompt, target in pairs:
        lang = "zh" if prompt.startswith("zh") else "en"
        alone = prompt.split(" / ", 1)[0]
        add("alone", lang, alone, target)
        if reads_previous and alone != prompt:  # the same lines, with and without the line before
            add("previous", lang, prompt, target)
            add("previous_control", lang, alone, target)
    with runtime.session("lyrics") as active:
        samples = [generate_text(active.model, active.codec, task="lyrics", prompt=lyrics_prompt(lang, n, words, rhyme),
                                 max_new_tokens=80, pieces=pieces) for lang, n, words, rhyme in SAMPLE_PROMPTS]
    return {"checkpoint": str(checkpoint), "writes": "pieces" if pieces is not None and pieces.targets else "bytes",
            "nats_per_byte": _per_byte(totals.get("alone", {})),
            "lines": {lang: int(row[2]) for lang, row in sorted(totals.get("alone", {}).items())},
            "reads_previous_line": reads_previous,
            "with_previous_line": _per_byte(totals.get("previous", {})),
            "same_lines_without": _per_byte(totals.get("previous_control", {})),
            "seconds": round(time.perf_counter() - started, 1), "greedy_samples": samples}


def _per_byte(totals: dict[str, list[float]]) -> dict[str, float]:
    return {lang: round(row[0] / row[1], 4) for lang, row in sorted(totals.items())}


def held_out_pairs(text_dir: Path, count: int, seed: int) -> list[tuple[str, str]]:
    """`count` (prompt, line) pairs of held-out poems, drawn as the trainer draws its valid set."""
    lines, words, chars = lyrics_data(text_dir)
    valid = [ln for ln in lines if ln.valid]
    pairs = pair_source(valid, rhyme_index(lines, words, chars), en_per_epoch=len(valid),
                        previous_share=0.8)(random.Random(seed))  # scored without it too (adapter_figures)
    return random.Random(seed).sample(pairs, min(count, len(pairs)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", type=Path, action="append", help="Checkpoint folder(s) with adapters/lyrics.")
    parser.add_argument("--text", type=Path, default=Path("data/text"), help="The corpus from `tunesmith text build`.")
    parser.add_argument("--lines", type=int, default=600)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    pairs = held_out_pairs(args.text, args.lines, args.seed)
    report = {"lines": len(pairs), "seed": args.seed,
              "adapters": [adapter_figures(c, pairs) for c in (args.checkpoint or [Path("checkpoints/default")])]}
    text = json.dumps(report, indent=1, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
