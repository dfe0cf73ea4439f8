"""Corpus records: one JSON object per piece, the format every training and eval script reads.

    {"id": "essen/han1/0042", "source": "essenFolksong/han1.abc", "title": "...",
     "styles": ["chinese-han", "chinese-han-shange"], "region": "Shaanxi",
     "key": "G", "mode": "major", "meter": "2/4", "tempo": 80, "bars": 16,
     "notes": [[pitch, onset, duration], ...],
     "lyrics": [[note_index, "text", "begin"], ...],          # only where the source has lyrics
     "chords": [["Am", onset, duration, "i"], ...],          # only where derived (chorales)
     "split": "train", "hash": "<sha1 of the transposition-invariant content>"}
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .music import ChordEvent, KeySpec, Melody, Note, Song, Syllable, parse_meter


def content_hash(melody: Melody) -> str:
    """A hash of the intervals and rhythm, so transposed duplicates collide."""
    notes = melody.notes
    intervals = [b.pitch - a.pitch for a, b in zip(notes, notes[1:])]
    rhythm = [(round(n.onset % melody.bar_length, 4), round(n.duration, 4)) for n in notes]
    blob = json.dumps([str(melody.meter), intervals, rhythm], separators=(",", ":"))
    return hashlib.sha1(blob.encode()).hexdigest()


def split_of(digest: str, *, valid: float = 0.05, test: float = 0.05) -> str:
    """Deterministic split from a content hash.

    >>> split_of("00" + "f" * 38), split_of("f" * 40)
    ('valid', 'train')
    """
    bucket = int(digest[:8], 16) / 0xFFFFFFFF
    if bucket < valid:
        return "valid"
    if bucket < valid + test:
        return "test"
    return "train"


def song_to_record(song: Song, *, record_id: str, source: str, styles: list[str], **extra: Any) -> dict[str, Any]:
    """Serialise a Song into a corpus record (split and hash filled in)."""
    melody = song.melody
    digest = content_hash(melody)
    record: dict[str, Any] = {
        "id": record_id, "source": source, "title": song.title, "styles": list(styles),
        "key": melody.key.tonic if melody.key else None,
        "mode": melody.key.mode if melody.key else None,
        "meter": str(melody.meter), "tempo": melody.tempo, "bars": melody.bars,
        "notes": [[n.pitch, n.onset, n.duration] for n in melody.notes],
    }
    lyrics = [[i, n.lyric.text, n.lyric.syllabic] for i, n in enumerate(melody.notes) if n.lyric]
    if lyrics:
        record["lyrics"] = lyrics
    if song.chords:
        record["chords"] = [[c.symbol, c.onset, c.duration, c.roman] for c in song.chords]
    record.update(extra)
    record["hash"] = digest
    record["split"] = split_of(digest)
    return record


def record_to_song(record: dict[str, Any]) -> Song:
    """Rebuild the Song a record describes."""
    lyrics = {int(i): Syllable(text=t, syllabic=s) for i, t, s in record.get("lyrics", [])}
    notes = tuple(
        Note(pitch=int(p), onset=float(o), duration=float(d), lyric=lyrics.get(i))
        for i, (p, o, d) in enumerate(record["notes"])
    )
    key = KeySpec(record["key"], record["mode"] or "major") if record.get("key") else None
    melody = Melody(notes=notes, meter=parse_meter(record["meter"]), key=key,
                    tempo=int(record.get("tempo", 100)), bars=int(record["bars"]))
    chords = tuple(ChordEvent(symbol=c[0], onset=c[1], duration=c[2], roman=c[3]) for c in record.get("chords", []))
    styles = record.get("styles") or [None]
    return Song(melody=melody, chords=chords, title=record.get("title", "Untitled"), style=styles[0])
