"""Harmony training data from the Bach chorales: soprano melody + key + one chord per beat.

Chord-recommendation data has to be derived: the music21 corpus holds almost no chord
symbols.  The chord of a beat comes from `chordify()` of the FULL four-voice texture (the
lower three voices alone often omit the third the soprano carries); inside a beat the
sonority that sounds longest wins, so passing tones do not name the beat.  Labels come from
`harmony_chords.label_chord`.  Building the whole set (cache, processes, files) lives in
`harmony_build`; the check against the RomanText analyses in `harmony_validate`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ...tokenization.errors import TokenizationError
from ...tokenization.music import ChordEvent, KeySpec, Song, parse_key, snap
from ...tokenization.records import song_to_record
from ..errors import CorpusError
from .chords import label_chord, template_fit

STYLE = "bach-chorale"
KEY_METHODS = ("analyze", "signature")
PICKS = ("longest", "onset")


@dataclass(frozen=True, slots=True)
class BeatChord:
    """The chord of one beat: times in melody time (bar 1 at 0), measure/beat as printed."""

    onset: float
    duration: float
    measure: int
    beat: float
    symbol: str
    roman: str
    root: int
    quality: str
    bass: int


@dataclass(frozen=True, slots=True)
class ChoraleHarmony:
    """One chorale's aligned training example."""

    source: str
    song: Song
    beats: tuple[BeatChord, ...]
    other_key: str | None = None  # what the other KEY_METHODS method says, for the stats

    def to_record(self, *, record_id: str, **extra: Any) -> dict[str, Any]:
        """The corpus record: `chords` = [[symbol, onset, duration, roman], ...] one per beat,
        plus parallel `chord_roots` (pitch class) and `chord_qualities` lists."""
        return song_to_record(
            self.song, record_id=record_id, source=self.source, styles=[STYLE],
            chord_roots=[b.root for b in self.beats], chord_qualities=[b.quality for b in self.beats],
            **extra,
        )


def chorale_key(score, *, method: str = "analyze", chordified=None):
    """The music21 Key of a chorale.

    "analyze": Krumhansl-Schmuckler over the whole texture.  "signature": of the key
    signature's major and relative minor, the one whose tonic is the root of the final
    chord (falls back to "analyze" for modal endings such as a Phrygian half cadence).
    """
    if method not in KEY_METHODS:
        raise CorpusError(f"unknown key method {method!r}; use one of {', '.join(KEY_METHODS)}")
    if method == "analyze":
        return score.analyze("key")
    from music21 import key as m21key

    signatures = list(score.recurse().getElementsByClass(m21key.KeySignature))
    chords = list((chordified if chordified is not None else score.chordify()).recurse().getElementsByClass("Chord"))
    if signatures and chords:
        final_root = chords[-1].root().pitchClass
        for mode in ("major", "minor"):
            candidate = signatures[0].asKey(mode)
            if candidate.tonic.pitchClass == final_root:
                return candidate
    return score.analyze("key")


VOICES = ("soprano", "alto", "tenor", "bass")


def four_voices(score, *, source: str = "score"):
    """The score itself when it has four parts; else a score of its parts named Soprano, Alto,
    Tenor and Bass (cantata chorales add trumpets, timpani and obbligato lines to the choir)."""
    parts = list(score.parts)
    if len(parts) == 4:
        return score
    found = {}
    for part in parts:
        words = (part.partName or "").lower().split()
        if words and words[0] in VOICES and words[0] not in found:
            found[words[0]] = part
    if len(found) < 4:
        raise CorpusError(f"{source}: {len(parts)} parts and no Soprano/Alto/Tenor/Bass set among them")
    from music21 import stream

    voices = stream.Score()
    if score.metadata is not None:
        voices.insert(0, score.metadata)
    for name in VOICES:
        voices.insert(0, found[name])
    return voices


def _soprano_index(score) -> int:
    names = [(p.partName or "").lower() for p in score.parts]
    return next((i for i, name in enumerate(names) if "soprano" in name), 0)


def _beat_length(score) -> float:
    from music21 import meter

    signatures = list(score.recurse().getElementsByClass(meter.TimeSignature))
    return float(signatures[0].beatDuration.quarterLength) if signatures else 1.0


def _pick(slices: list[tuple[float, float, Any]], lo: float, hi: float, pick: str):
    """The sounding chord of the window [lo, hi): the pitch-class set sounding longest (ties: the
    cleaner chord, then the earlier), or with pick="onset" the one sounding at lo."""
    totals: dict[frozenset[int], list[Any]] = {}
    for start, end, chord_obj in slices:
        overlap = min(hi, end) - max(lo, start)
        if overlap <= 1e-9:
            continue
        if pick == "onset":
            return chord_obj
        pcs = frozenset(p.pitchClass for p in chord_obj.pitches)
        entry = totals.setdefault(pcs, [0.0, start, chord_obj])
        entry[0] += overlap
    if not totals:
        return None
    return max(totals.items(), key=lambda kv: (round(kv[1][0], 6), template_fit(kv[0]), -kv[1][1]))[1][2]


def beat_chords(score, key, *, shift: float = 0.0, pick: str = "longest", chordified=None) -> list[BeatChord]:
    """One labelled chord per beat of the chordified full texture.

    `shift` maps score offsets to melody time (the pickup's leading rest).  Beats where
    every voice rests are left out; a partial beat (a short pickup) gives a shorter chord.
    """
    if pick not in PICKS:
        raise CorpusError(f"unknown beat pick {pick!r}; use one of {', '.join(PICKS)}")
    beat = _beat_length(score)
    result: list[BeatChord] = []
    for measure in (chordified if chordified is not None else score.chordify()).getElementsByClass("Measure"):
        pad = float(measure.paddingLeft or 0.0)
        end = pad + float(measure.duration.quarterLength)
        slices = [
            (pad + float(c.offset), pad + float(c.offset + c.quarterLength), c)
            for c in measure.recurse().getElementsByClass("Chord") if c.quarterLength > 0
        ]
        for index in range(math.ceil(end / beat - 1e-9)):
            lo, hi = max(index * beat, pad), min((index + 1) * beat, end)
            if hi - lo <= 1e-9:
                continue
            chosen = _pick(slices, lo, hi, pick)
            if chosen is None:
                continue
            label = label_chord(chosen, key)
            result.append(BeatChord(
                onset=snap(float(measure.offset) + lo - pad + shift), duration=snap(hi - lo),
                measure=int(measure.number), beat=round(1 + lo / beat, 4), symbol=label.symbol,
                roman=label.roman, root=label.root, quality=label.quality, bass=label.bass,
            ))
    return result


def derive_chorale(score, *, source: str, key_method: str = "analyze", pick: str = "longest") -> ChoraleHarmony:
    """Melody (soprano, with lyrics), key and beat chords of one parsed four-part chorale."""
    from ...tokenization.m21 import stream_to_melody

    score = four_voices(score, source=source)
    parts = list(score.parts)
    soprano = _soprano_index(score)
    try:
        melody = stream_to_melody(score, part_index=soprano)
    except TokenizationError as err:
        raise CorpusError(f"{source}: {err}") from err
    if not melody.notes:
        raise CorpusError(f"{source}: the soprano has no notes")
    first = next(n for n in parts[soprano].flatten().notes if n.quarterLength > 0)
    shift = snap(melody.notes[0].onset - float(first.getOffsetInHierarchy(parts[soprano])))
    chordified = score.chordify()
    m21key = chorale_key(score, method=key_method, chordified=chordified)
    other = chorale_key(score, method=next(m for m in KEY_METHODS if m != key_method), chordified=chordified)
    spec = KeySpec(parse_key(m21key.tonic.name).tonic, m21key.mode if m21key.mode in ("major", "minor") else "major")
    beats = beat_chords(score, m21key, shift=shift, pick=pick, chordified=chordified)
    if not beats:
        raise CorpusError(f"{source}: no sounding beats")
    chords = tuple(ChordEvent(symbol=b.symbol, onset=b.onset, duration=b.duration, roman=b.roman) for b in beats)
    title = getattr(score.metadata, "title", None) or Path(source).stem
    song = Song(melody=replace(melody, key=spec), chords=chords, title=title, style=STYLE)
    return ChoraleHarmony(source=source, song=song, beats=tuple(beats),
                          other_key=f"{other.tonic.name} {other.mode}")


def derive_chorale_file(path: str | Path, *, source: str | None = None, key_method: str = "analyze",
                        pick: str = "longest") -> ChoraleHarmony:
    """Parse a chorale file (MusicXML etc.) and derive its harmony example."""
    from music21 import converter

    path = Path(path)
    try:
        score = converter.parse(str(path))
    except Exception as err:  # noqa: BLE001 - music21 raises many kinds on bad files
        raise CorpusError(f"{path.name}: cannot be parsed ({type(err).__name__}: {err})") from err
    return derive_chorale(score, source=source or path.name, key_method=key_method, pick=pick)
