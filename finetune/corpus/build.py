"""`tunesmith corpus build`: the training corpus from the music that ships with music21.

The work is cut into units (slices of ABC opus files, groups of single-piece files), run in
a process pool, and each unit's result is cached under <out>/cache keyed by its files' path,
size and mtime plus BUILDER_VERSION, so a rebuild only redoes what changed.  Records are
then de-duplicated by their transposition-invariant content hash (first one wins, in source
order), split by that hash, and written as train/valid/test.jsonl with a stats.json.
Output files are replaced atomically at the end, so readers never see half a file.
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

from ...tokenization.files import atomic_write
from .cache import entry_path, file_stamp, prune, read_entry, write_entry
from .parse import BUILDER_VERSION, Unit, parse_unit
from .sources import Source, default_sources
from ..errors import CorpusError

SPLITS = ("train", "valid", "test")
CHUNK_TUNES = 100  # tunes of one opus file per unit: small enough to share 2 cores evenly
GROUP_FILES = 25  # single-piece files per unit
EXAMPLES = 5  # example ids kept per skip reason
_COST = {"bach": 4.0, "oneill": 2.0, "aird": 2.5, "ryan": 2.0, "fife": 2.0}  # relative CPU per piece


@dataclass(frozen=True, slots=True)
class BuildResult:
    """Where the corpus went and what stats.json says."""

    out: Path
    stats: dict[str, Any]


def plan_units(sources: Sequence[Source], *, limit: int | None = None) -> list[Unit]:
    """Cut sources into units in a fixed order; `limit` keeps the first N pieces of each source."""
    units: list[Unit] = []
    for source in sources:
        left = limit
        singles: list[tuple[str, int, int]] = []
        for path in source.files:
            if left is not None and left <= 0:
                break
            count = 1 if source.name == "bach" else _count_tunes(path)
            take = count if left is None else min(count, left)
            if left is not None:
                left -= take
            if count == 1:
                singles.append((str(path), 0, take))
                continue
            for start in range(0, take, CHUNK_TUNES):
                units.append(Unit(source.name, ((str(path), start, min(start + CHUNK_TUNES, take)),)))
        units.extend(Unit(source.name, tuple(singles[i:i + GROUP_FILES])) for i in range(0, len(singles), GROUP_FILES))
    return [u for u in units if u.pieces > 0]


def _count_tunes(path: Path) -> int:
    return len(re.findall(rb"(?m)^X:", path.read_bytes()))


def _cache_path(cache: Path, unit: Unit) -> Path:
    parts: list[Any] = [BUILDER_VERSION, unit.source]
    parts += [[*file_stamp(path), start, stop] for path, start, stop in unit.items]
    return entry_path(cache, parts, prefix=f"v{BUILDER_VERSION}-")


def _write_text(path: Path, text: str) -> None:
    atomic_write(path, text.encode("utf-8"))


def _run_units(units: list[Unit], todo: list[int], *, jobs: int) -> Iterable[tuple[int, dict[str, Any]]]:
    """Parse units, biggest first so the pool finishes together; yields (index, result)."""
    order = sorted(todo, key=lambda i: -units[i].pieces * _COST.get(units[i].source, 1.0))
    if jobs <= 1 or len(order) <= 1:
        for index in order:
            yield index, parse_unit(units[index])
        return
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(min(jobs, len(order))) as pool:
        yield from pool.imap_unordered(_indexed, [(i, units[i]) for i in order])


def _indexed(job: tuple[int, Unit]) -> tuple[int, dict[str, Any]]:
    return job[0], parse_unit(job[1])


def build_corpus(out: Path | str, *, jobs: int = 2, limit: int | None = None,
                 sources: Sequence[str] | Sequence[Source] | None = None, progress: bool = True) -> BuildResult:
    """Build the corpus into `out` (train/valid/test.jsonl, stats.json, cache/)."""
    started = time.perf_counter()
    out = Path(out)
    if limit is not None and limit < 1:
        raise CorpusError(f"--limit must be at least 1, not {limit}")
    chosen = list(sources or [])
    if not chosen or isinstance(chosen[0], str):
        chosen = default_sources(chosen or None)
    units = plan_units(chosen, limit=limit)
    if not units:
        raise CorpusError("the chosen sources hold no pieces")
    cache = out / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    prune(cache, keep_prefix=f"v{BUILDER_VERSION}-")  # other builder versions' entries
    results: list[dict[str, Any] | None] = [None] * len(units)
    keys = [_cache_path(cache, unit) for unit in units]
    for index, key in enumerate(keys):
        results[index] = read_entry(key)
    todo = [i for i, r in enumerate(results) if r is None]
    from tqdm import tqdm

    with tqdm(total=sum(u.pieces for u in units), unit="piece", desc="corpus", file=sys.stderr,
              disable=not progress, dynamic_ncols=True) as bar:
        bar.update(sum(units[i].pieces for i, r in enumerate(results) if r is not None))
        worker_cpu = 0.0
        for index, result in _run_units(units, todo, jobs=jobs):
            results[index] = result
            worker_cpu += result["cpu_seconds"]
            write_entry(keys[index], result)
            bar.update(units[index].pieces)
    stats = _assemble(out, units, [r for r in results if r is not None],
                      hits=len(units) - len(todo), misses=len(todo))
    stats.update(build_seconds=round(time.perf_counter() - started, 1), worker_cpu_seconds=round(worker_cpu, 1),
                 jobs=jobs, limit=limit,
                 sources=sorted({u.source for u in units}, key=[s.name for s in chosen].index))
    _write_text(out / "stats.json", json.dumps(stats, indent=1, ensure_ascii=False) + "\n")
    return BuildResult(out=out, stats=stats)


def _assemble(out: Path, units: list[Unit], results: list[dict[str, Any]], *, hits: int, misses: int) -> dict[str, Any]:
    """De-duplicate (first wins, in plan order), write the split files, and count everything."""
    kept: dict[str, str] = {}
    splits: dict[str, list[dict[str, Any]]] = {name: [] for name in SPLITS}
    skips: dict[str, dict[str, Any]] = {}

    def skip(record_id: str, reason: str) -> None:
        entry = skips.setdefault(reason, {"count": 0, "examples": []})
        entry["count"] += 1
        if len(entry["examples"]) < EXAMPLES:
            entry["examples"].append(record_id)

    for result in results:
        for record_id, reason, _detail in result["skips"]:
            skip(record_id, reason)
        for record in result["records"]:
            first = kept.setdefault(record["hash"], record["id"])
            if first != record["id"]:
                skip(f"{record['id']} (= {first})", "duplicate")
                continue
            splits[record["split"]].append(record)
    styles: dict[str, Counter] = defaultdict(Counter)
    for name, records in splits.items():
        records.sort(key=lambda r: r["id"])
        for record in records:
            for style in record["styles"]:
                styles[style][name] += 1
        body = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records)
        _write_text(out / f"{name}.jsonl", body)
    everything = [r for records in splits.values() for r in records]
    return {
        "builder_version": BUILDER_VERSION,
        "music21_version": _music21_version(),
        "pieces_seen": sum(u.pieces for u in units),
        "records": len(everything),
        "splits": {name: len(records) for name, records in splits.items()},
        "styles": {s: {**{n: c[n] for n in SPLITS}, "total": sum(c.values())} for s, c in sorted(styles.items())},
        "notes": sum(len(r["notes"]) for r in everything),
        "bars": sum(r["bars"] for r in everything),
        "with_lyrics": sum(1 for r in everything if r.get("lyrics")),
        "realigned": sum(r.get("realigned", 0) for r in results),
        "skips": dict(sorted(skips.items(), key=lambda kv: -kv[1]["count"])),
        "cache": {"hits": hits, "misses": misses},
    }


def _music21_version() -> str:
    from importlib.metadata import version

    return version("music21")


def load_stats(out: Path | str) -> dict[str, Any]:
    """The stats.json of a built corpus."""
    path = Path(out) / "stats.json"
    if not path.exists():
        raise CorpusError(f"no corpus at {out}: run `tunesmith corpus build --out {out}` first")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise CorpusError(f"{path} is not valid JSON ({err}); rebuild the corpus") from err


def read_split(out: Path | str, split: str) -> list[dict[str, Any]]:
    """The records of one split file (train, valid or test)."""
    if split not in SPLITS:
        raise CorpusError(f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    path = Path(out) / f"{split}.jsonl"
    if not path.exists():
        raise CorpusError(f"no {split}.jsonl in {out}: run `tunesmith corpus build --out {out}` first")
    from .dataset import read_records

    return read_records(path)
