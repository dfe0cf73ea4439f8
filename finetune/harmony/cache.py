"""Derive many chorales in worker processes, with a per-file entry in the derived-data cache.

A cache entry (finetune/corpus/cache.py) is keyed by the file's path, size and mtime, the
derivation version, the music21 version and the options, so editing the derivation (bump
HARMONY_VERSION) or upgrading music21 re-derives, and a second build costs seconds instead of minutes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..corpus.cache import entry_path, file_stamp, read_entry, write_entry
from ..errors import FinetuneError

HARMONY_VERSION = 1
DEFAULT_CACHE = Path("data") / "harmony" / "cache"  # next to the output, as the corpus keeps its cache


@dataclass(frozen=True, slots=True)
class Chorale:
    """One chorale to derive: its file, corpus name (bach/bwv269) and Riemenschneider number."""

    path: str
    name: str
    number: int | None = None


def corpus_chorales(*, limit: int | None = None) -> list[Chorale]:
    """The 371 Riemenschneider chorales of music21's corpus, in Riemenschneider order."""
    from music21 import corpus

    found: list[Chorale] = []
    names = list(corpus.chorales.Iterator(returnType="filename"))
    for number, name in enumerate(names[:limit] if limit else names, start=1):
        work = corpus.getWork(name)
        paths = work if isinstance(work, list) else [work]
        preferred = [p for p in paths if str(p).endswith((".mxl", ".xml", ".musicxml"))] or paths
        found.append(Chorale(path=str(preferred[0]), name=name, number=number))
    return found


def cache_path(cache_dir: str | Path, path: str, *, options: dict[str, Any]) -> Path:
    """The cache entry of one file under a set of derivation options."""
    import music21

    return entry_path(cache_dir, [*file_stamp(path), HARMONY_VERSION, music21.__version__, sorted(options.items())])


def derive_entry(chorale: Chorale, *, key_method: str = "analyze", pick: str = "longest") -> dict[str, Any]:
    """A JSON-able result for one chorale: the record and beat positions, or the reason it was skipped."""
    from .data import derive_chorale_file

    source = f"{chorale.name}{Path(chorale.path).suffix}"
    entry: dict[str, Any] = {"name": chorale.name, "source": source, "number": chorale.number}
    try:
        harmony = derive_chorale_file(chorale.path, source=source, key_method=key_method, pick=pick)
    except FinetuneError as err:
        entry["error"] = str(err)
        return entry
    except Exception as err:  # noqa: BLE001 - one odd file must not stop the build; its reason is kept
        entry["error"] = f"{source}: {type(err).__name__}: {err}"
        return entry
    extra = {"riemenschneider": chorale.number} if chorale.number else {}
    entry["record"] = harmony.to_record(record_id=chorale.name, **extra)
    entry["positions"] = [[b.measure, b.beat, b.bass] for b in harmony.beats]
    entry["other_key"] = harmony.other_key
    return entry


def _cached_entry(job: tuple[Chorale, dict[str, Any], str | None]) -> tuple[dict[str, Any], bool]:
    """Worker: read the cache or derive and write it.  Returns (entry, was_cached)."""
    chorale, options, cache_dir = job
    target = cache_path(cache_dir, chorale.path, options=options) if cache_dir else None
    entry = read_entry(target) if target is not None else None  # a broken entry is derived again
    if entry is not None:  # one file can be listed under two Riemenschneider numbers: the numbers are this call's
        entry.update(name=chorale.name, number=chorale.number)
        if "record" in entry:
            entry["record"].pop("riemenschneider", None)
            if chorale.number:
                entry["record"]["riemenschneider"] = chorale.number
        return entry, True
    entry = derive_entry(chorale, **options)
    if target is not None:
        write_entry(target, entry)
    return entry, False


def derive_many(chorales: Sequence[Chorale], *, jobs: int = 2, cache_dir: str | Path | None = DEFAULT_CACHE,
                key_method: str = "analyze", pick: str = "longest", progress: bool = True,
                description: str = "chorales") -> Iterator[tuple[dict[str, Any], bool]]:
    """Yield (entry, was_cached) for every chorale, in input order, using `jobs` processes."""
    from tqdm import tqdm

    options = {"key_method": key_method, "pick": pick}
    work = [(c, options, str(cache_dir) if cache_dir else None) for c in chorales]
    bar = tqdm(total=len(work), desc=description, unit="file", disable=not progress)
    try:
        if jobs <= 1:
            for job in work:
                yield _cached_entry(job)
                bar.update()
            return
        import multiprocessing

        with multiprocessing.Pool(jobs) as pool:
            for result in pool.imap(_cached_entry, work, chunksize=1):
                yield result
                bar.update()
    finally:
        bar.close()
