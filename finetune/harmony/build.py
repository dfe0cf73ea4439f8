"""Build data/harmony/{train,valid,test}.jsonl and stats.json from the Bach chorales.

One record per chorale (tokenization/records.py format) with the soprano melody and its
lyrics, the key, and `chords` = one [symbol, onset, duration, roman] per beat.  The split
comes from the melody hash, so two harmonisations of one tune land in the same split.
`tunesmith harmony build` then counts train.jsonl into the chord tables the tools ship
(tools/chords/tables.write_tables; finetune does not import tools, so the CLI does it).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from ..errors import CorpusError
from .cache import DEFAULT_CACHE, HARMONY_VERSION, corpus_chorales, derive_many
from .data import KEY_METHODS, PICKS

SPLITS = ("train", "valid", "test")


def build_harmony_data(out_dir: str | Path = DEFAULT_CACHE.parent, *, jobs: int = 2,
                       cache_dir: str | Path | None = None, use_cache: bool = True, limit: int | None = None,
                       validate: bool = False, key_method: str = "analyze", pick: str = "longest",
                       progress: bool = True) -> dict[str, Any]:
    """Derive every chorale (cached under `cache_dir`, default <out_dir>/cache, in `jobs`
    processes), write the splits and stats.json.

    Returns the stats (also written); with `validate`, they include the RomanText check.
    """
    if key_method not in KEY_METHODS:
        raise CorpusError(f"unknown key method {key_method!r}; use one of {', '.join(KEY_METHODS)}")
    if pick not in PICKS:
        raise CorpusError(f"unknown beat pick {pick!r}; use one of {', '.join(PICKS)}")
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cache_dir = (Path(cache_dir) if cache_dir is not None else out / "cache") if use_cache else None
    chorales = corpus_chorales(limit=limit)
    entries: list[dict[str, Any]] = []
    cached = 0
    for entry, was_cached in derive_many(chorales, jobs=jobs, cache_dir=cache_dir, key_method=key_method,
                                         pick=pick, progress=progress):
        entries.append(entry)
        cached += was_cached
    records, skipped = _keep(entries)
    by_split: dict[str, list[dict[str, Any]]] = {name: [] for name in SPLITS}
    for record in records:
        by_split[record["split"]].append(record)
    for name, rows in by_split.items():
        with open(out / f"{name}.jsonl", "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    stats = summarise(records, entries=entries, skipped=skipped)
    stats.update({"version": HARMONY_VERSION, "key_method": key_method, "pick": pick, "jobs": jobs,
                  "cached": cached, "derived": len(entries) - cached,
                  "build_seconds": round(time.perf_counter() - started, 1)})
    if validate:
        from .validate import validate_against_romantext

        check_started = time.perf_counter()
        stats["validation"] = validate_against_romantext(
            {e["name"]: e for e in entries}, jobs=jobs, cache_dir=cache_dir, key_method=key_method,
            pick=pick, progress=progress)
        stats["validation_seconds"] = round(time.perf_counter() - check_started, 1)
    (out / "stats.json").write_text(json.dumps(stats, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return stats


def _keep(entries: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Records to write and {"NNN name": reason} for the rest: failures, files the Riemenschneider
    numbering lists twice, and different files with the same melody and chords."""
    records: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    files: dict[str, int | None] = {}
    seen: dict[str, str] = {}
    for entry in entries:
        label = f"{entry['number']:03d} {entry['name']}" if entry.get("number") else entry["name"]
        if entry["name"] in files:
            skipped[label] = f"the same file as Riemenschneider {files[entry['name']]}"
            continue
        files[entry["name"]] = entry.get("number")
        if "record" not in entry:
            skipped[label] = entry.get("error", "not derived")
            continue
        record = entry["record"]
        fingerprint = json.dumps([record["hash"], record["key"], [c[0] for c in record["chords"]]])
        if fingerprint in seen:
            skipped[label] = f"same melody and chords as {seen[fingerprint]}"
            continue
        seen[fingerprint] = entry["name"]
        records.append(record)
    return records, skipped


def _reason(message: str) -> str:
    """A skip message without file names, so reasons can be counted."""
    text = message.split(": ", 1)[-1] if message.startswith("bach/") else message
    if text.startswith("the same file as Riemenschneider"):
        return "the same file as an earlier Riemenschneider number"
    return "same melody and chords as another chorale" if text.startswith("same melody") else text


def summarise(records: list[dict[str, Any]], *, entries: list[dict[str, Any]],
              skipped: dict[str, str]) -> dict[str, Any]:
    """Counts for stats.json: chorales, beats, vocabulary, top Roman numerals, key-method agreement."""
    symbols: Counter[str] = Counter()
    romans: Counter[str] = Counter()
    qualities: Counter[str] = Counter()
    changes = transitions = 0
    for record in records:
        chords = record["chords"]
        symbols.update(c[0] for c in chords)
        romans.update(c[3] for c in chords)
        qualities.update(record["chord_qualities"])
        transitions += max(0, len(chords) - 1)
        changes += sum(a[0] != b[0] for a, b in zip(chords, chords[1:]))
    kept = {r["id"] for r in records}
    other = [(f"{e['record']['key']} {e['record']['mode']}", e.get("other_key")) for e in entries
             if "record" in e and e["name"] in kept]
    beats = sum(symbols.values())
    return {
        "chorales": len(entries), "used": len(records), "skipped": len(skipped),
        "skip_reasons": dict(Counter(_reason(m) for m in skipped.values()).most_common()),
        "skipped_chorales": skipped,
        "splits": {name: sum(r["split"] == name for r in records) for name in SPLITS},
        "beats": beats,
        "beats_by_split": {name: sum(len(r["chords"]) for r in records if r["split"] == name) for name in SPLITS},
        "melody_notes": sum(len(r["notes"]) for r in records),
        "with_lyrics": sum(bool(r.get("lyrics")) for r in records),
        "modes": dict(Counter(r["mode"] for r in records)),
        "meters": dict(Counter(r["meter"] for r in records).most_common()),
        "chord_change_share": round(changes / transitions, 4) if transitions else None,
        "symbol_vocabulary": len(symbols), "roman_vocabulary": len(romans),
        "symbols": dict(symbols.most_common()),
        "qualities": dict(qualities.most_common()),
        "top_romans": dict(romans.most_common(40)),
        "roman_share_top40": round(sum(n for _, n in romans.most_common(40)) / beats, 4) if beats else None,
        "key_methods_agree": round(sum(_same(a, b) for a, b in other) / len(other), 4) if other else None,
    }


def _same(ours: str, other: str | None) -> bool:
    """'Bb major' (record spelling) vs 'B- major' (music21 spelling)."""
    if not other:
        return False
    tonic, mode = other.split()
    return ours == f"{tonic.replace('-', 'b')} {mode}"
