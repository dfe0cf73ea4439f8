"""How the corpus writes the dotted feel: the dotted-pair share (tools/melody/swing.dotted_share)
of every tune of the chosen styles, per style, collection and meter, and per style on the
train split (what styles.toml's `dotted_share` and `swing` were set from).

    python -m tunesmith.eval.dotted_corpus --corpus data/corpus --out eval/results/dotted_corpus.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from ..finetune.corpus.build import read_split
from ..tokenization.records import record_to_song
from ..tools.melody.swing import dotted_share
from .bands import summarise

ROOT = Path(__file__).resolve().parents[1]
STYLES = ("irish-hornpipe", "scottish-strathspey", "irish-reel")
SPLITS = ("train", "valid", "test")


def measure(corpus: Path, *, styles: tuple[str, ...]) -> dict:
    """{'by_notation': {style: {collection meter: band}}, 'train': {style: band}}, tunes without short pairs left out."""
    notation: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    train: dict[str, list[float]] = defaultdict(list)
    for split in SPLITS:
        for record in read_split(corpus, split):
            style = record["styles"][0]
            share = dotted_share(record_to_song(record).melody) if style in styles else None
            if share is None:
                continue
            notation[style][f"{record['source'].split('/')[0]} {record['meter']}"].append(share)
            if split == "train":
                train[style].append(share)

    def band(values: list[float]) -> dict:
        return {"n": len(values), **summarise(values), "dotted_tunes": round(sum(v >= 0.5 for v in values) / len(values), 3)}

    return {"by_notation": {s: {k: band(v) for k, v in sorted(groups.items())} for s, groups in notation.items()},
            "train": {s: band(v) for s, v in train.items()}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "data" / "corpus")
    parser.add_argument("--styles", default=",".join(STYLES))
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "results" / "dotted_corpus.json")
    args = parser.parse_args(argv)
    if not (args.corpus / "train.jsonl").is_file():
        sys.exit(f"error: no corpus at {args.corpus}: run `tunesmith corpus build --out {args.corpus}` first")
    report = {"command": "python -m tunesmith.eval.dotted_corpus " + " ".join(argv if argv is not None else sys.argv[1:]),
              **measure(args.corpus, styles=tuple(s.strip() for s in args.styles.split(",") if s.strip()))}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    for style, groups in report["by_notation"].items():
        for name, b in groups.items():
            print(f"{style:20s} {name:20s} n={b['n']:4d} mean={b['mean']} p10={b['p10']} p50={b['p50']} p90={b['p90']} "
                  f"dotted tunes={b['dotted_tunes']}")
    for style, b in report["train"].items():
        print(f"{style:20s} train                n={b['n']:4d} mean={b['mean']}")


if __name__ == "__main__":
    main()
