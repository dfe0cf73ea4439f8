"""Chord counts from the Bach-derived harmony data, in key-relative labels ('7:7' = V7).

The counts live in chorale_counts.json beside this module (package data: the chorale prior must
work where the data folder is not shipped).  `tunesmith harmony build` rewrites that file from
data/harmony/train.jsonl with `write_tables`; tests/test_data_files.py checks its shape in any
clone, tests/test_chords.py that the numbers still match the data where it is built.  Bigrams
are kept where both chords occur at least BIGRAM_MIN_COUNT times.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

BIGRAM_MIN_COUNT = 5
TABLES_FILE = Path(__file__).with_name("chorale_counts.json")
ROOT = Path(__file__).resolve().parents[2]

Counts = dict[str, dict[str, int]]  # mode -> label (or 'a>b') -> count, most common first


def count_chorale_tables(path: str | Path) -> tuple[Counts, Counts]:
    """(unigrams, bigrams) per mode from a harmony records file; bigram keys are 'a>b'."""
    from ...tokenization.music import KeySpec

    uni: dict[str, Counter] = {"major": Counter(), "minor": Counter()}
    bi: dict[str, Counter] = {"major": Counter(), "minor": Counter()}
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            tonic = KeySpec(record["key"], record["mode"]).pitch_class
            labels = [f"{(root - tonic) % 12}:{q}" for root, q in zip(record["chord_roots"], record["chord_qualities"])]
            uni[record["mode"]].update(labels)
            bi[record["mode"]].update(f"{a}>{b}" for a, b in zip(labels, labels[1:]))
    unigrams = {mode: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for mode, c in uni.items()}
    bigrams = {}
    for mode, counts in bi.items():
        keep = {k: n for k, n in counts.items()
                if min(uni[mode][k.split(">")[0]], uni[mode][k.split(">")[1]]) >= BIGRAM_MIN_COUNT}
        bigrams[mode] = dict(sorted(keep.items(), key=lambda kv: (-kv[1], kv[0])))
    return unigrams, bigrams


def write_tables(data_path: str | Path, out_path: str | Path = TABLES_FILE) -> Path:
    """Count a harmony records file and write the tables as JSON (one entry a line, so a rebuild diffs)."""
    from ...tokenization.files import atomic_write

    unigrams, bigrams = count_chorale_tables(data_path)
    source = Path(data_path).resolve()
    payload = {"source": source.relative_to(ROOT).as_posix() if source.is_relative_to(ROOT) else source.name,
               "bigram_min_count": BIGRAM_MIN_COUNT, "unigrams": unigrams, "bigrams": bigrams}
    text = json.dumps(payload, ensure_ascii=False, indent=1) + "\n"
    return atomic_write(Path(out_path), text.encode("utf-8"))


def load_tables(path: str | Path = TABLES_FILE) -> tuple[Counts, Counts]:
    """(unigrams, bigrams) from a file `write_tables` wrote (the module reads the shipped one once)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return data["unigrams"], data["bigrams"]


CHORALE_UNIGRAMS, CHORALE_BIGRAMS = load_tables()
