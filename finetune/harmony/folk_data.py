"""The Nottingham tunes (folk melodies with their accompaniment chords) as Songs, with a fixed split.

The tunes are read from ../shared/data/nottingham/ (GPL-3.0, never copied into the repo) by
the same ABC reader users go through (tokenization.files.read_song), one cache entry per ABC
file (finetune/corpus/cache.py), so a second run costs a second instead of minutes.  The
split is by a hash of file name and title: about a fifth of the tunes is held out and
nothing (tables, weights) is fitted or tuned on it; the rest is for development.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ...tokenization.music import Song
from ...tokenization.records import record_to_song, song_to_record
from ..corpus.cache import entry_path, file_stamp, read_entry, write_entry
from ..errors import CorpusError

FOLK_VERSION = 1
HELD_OUT_SHARE = 0.2
DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "nottingham"
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "tunesmith" / "nottingham"
SOURCE = "Nottingham Music Database (E. Foxley), cleaned ABC by jukedeck/nottingham-dataset, GPL-3.0"


@dataclass(frozen=True, slots=True)
class FolkTune:
    """One chorded tune: where it comes from, its split and the Song (melody + the tune's chords)."""

    name: str  # "jigs.abc#12"
    title: str
    split: str  # "dev" or "heldout"
    song: Song


def split_of_title(file_name: str, title: str, *, held_out: float = HELD_OUT_SHARE) -> str:
    """'heldout' for a fixed share of tunes by a hash of file and title, else 'dev'.

    >>> split_of_title("jigs.abc", "Abacus"), split_of_title("ashover.abc", "The Five Wells")
    ('dev', 'heldout')
    """
    digest = hashlib.sha1(f"{file_name}|{title.strip().lower()}".encode()).hexdigest()
    return "heldout" if int(digest[:8], 16) / 0xFFFFFFFF < held_out else "dev"


def _read_file(path: Path) -> list[dict]:
    """Every readable tune of one ABC file as a record (tunes music21 cannot read are skipped)."""
    from ...tokenization.abc import split_tunes
    from ...tokenization.errors import TokenizationError
    from ...tokenization.files import read_song

    count = sum(1 for t in split_tunes(path.read_text(encoding="utf-8", errors="replace")) if "\nK:" in t)
    records = []
    quiet = logging.getLogger("tunesmith.tokenization.files")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # read_song warns that the file holds many tunes, once per tune
    try:
        for tune in range(1, count + 1):
            try:
                song = read_song(path, tune=tune)
            except TokenizationError:
                continue
            if not song.chords or song.melody.key is None:
                continue
            records.append(song_to_record(song, record_id=f"{path.name}#{tune}", source=path.name, styles=["folk"]))
    finally:
        quiet.setLevel(level)
    return records


def folk_tunes(*, data: Path = DEFAULT_DATA, cache: Path | None = DEFAULT_CACHE, split: str | None = None,
               limit: int | None = None) -> list[FolkTune]:
    """The chorded tunes of the Nottingham folder, in file and tune order; `split` keeps one part."""
    files = sorted(Path(data).glob("*.abc"))
    if not files:
        raise CorpusError(f"no Nottingham ABC files in {data} (see ../shared/data/nottingham/README.md)")
    import music21

    tunes: list[FolkTune] = []
    for path in files:
        entry = None
        target = entry_path(cache, [*file_stamp(path), FOLK_VERSION, music21.__version__]) if cache else None
        if target is not None:
            entry = read_entry(target)
        if entry is None:
            entry = {"records": _read_file(path)}
            if target is not None:
                write_entry(target, entry)
        for record in entry["records"]:
            which = split_of_title(path.name, record["title"])
            if split is None or which == split:
                tunes.append(FolkTune(name=record["id"], title=record["title"], split=which,
                                      song=record_to_song(record)))
    return tunes[:limit] if limit else tunes


def iter_dev(**kwargs) -> Iterator[FolkTune]:
    yield from folk_tunes(split="dev", **kwargs)


if __name__ == "__main__":  # build the cache: python -m tunesmith.finetune.harmony.folk_data
    import time

    started = time.perf_counter()
    found = folk_tunes()
    held = sum(t.split == "heldout" for t in found)
    print(f"{len(found)} chorded tunes ({len(found) - held} dev, {held} held out) in {time.perf_counter() - started:.0f} s")
