"""Edits of a song's chords: one chord set by hand, a bar range re-harmonized, the chords moved with a
transposition, re-spelled in a parallel mode, or stretched with a new meter.

Why apart from the recommender: an edit must keep every chord it does not touch, so each function
here takes the song's chords and gives them back with only the asked-for part changed.  Symbols are
read by music21 (theory.chords.chord_pitch_classes) and spelled by the chord vocabulary (vocab.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ...finetune.harmony.chords import TEMPLATES
from ...tokenization.files import tidy_chord
from ...tokenization.m21 import chord_symbol_from_m21
from ...tokenization.music import ChordEvent, KeySpec, Song, snap
from ...tokenization.pitch import (ALTERATION_NAMES, LETTERS, PITCH_CLASS, SCALE_STEPS, name_pitch_class, pitch_name,
                                   spell)
from ..errors import ToolError
from ..theory.chords import NO_CHORD, chord_pitch_classes
from .vocab import make_chord

EPS = 1e-6
_SYMBOL = re.compile(r"^([A-G])([#b]?)(.*?)(?:/([A-G][#b]?))?$")
DOMINANT = 7  # semitones from the tonic to the root of V


@dataclass(frozen=True, slots=True)
class Parts:
    """A chord symbol taken apart: root name, what follows it ('m7'), the bass name after a slash."""

    root: str
    suffix: str
    bass: str | None

    @property
    def symbol(self) -> str:
        return self.root + self.suffix + (f"/{self.bass}" if self.bass else "")


def parts(symbol: str) -> Parts | None:
    """Root, suffix and bass of a chord symbol in people's spelling; None when it has no root.

    >>> parts("Bbm7/F"), parts("N.C.")
    (Parts(root='Bb', suffix='m7', bass='F'), None)
    """
    match = _SYMBOL.match(symbol.strip())
    if not match:
        return None
    return Parts(match.group(1) + match.group(2), match.group(3), match.group(4))


def quality_of(symbol: str) -> tuple[int, str] | None:
    """(root pitch class, vocabulary quality) of a chord whose tones are one of the TEMPLATES.

    >>> quality_of("A7"), quality_of("Bm/D"), quality_of("C9")
    ((9, '7'), (11, 'min'), None)
    """
    found, pcs = parts(symbol), chord_pitch_classes(symbol)
    if found is None or pcs is None:
        return None
    root = name_pitch_class(found.root)
    rel = frozenset((pc - root) % 12 for pc in pcs)
    quality = next((q for q, template in TEMPLATES.items() if template == rel), None)
    return (root, quality) if quality else None


def read_chord(text: str, key: KeySpec) -> ChordEvent:
    """A chord symbol a person typed, tidied ('am' -> 'Am', 'B-7' -> 'Bb7') and checked by music21;
    its Roman numeral in `key` when it is a root-position chord of the vocabulary."""
    cleaned = tidy_chord(chord_symbol_from_m21(" ".join((text or "").split())))
    cleaned = cleaned[:1].upper() + cleaned[1:]
    if cleaned.lower() in NO_CHORD or parts(cleaned) is None or chord_pitch_classes(cleaned) is None:
        raise ToolError(f"cannot read the chord {text!r}: write a chord symbol such as F, Am, G7, Bb, D/F# or Cmaj7")
    roman = None
    found, named = parts(cleaned), quality_of(cleaned)
    if named and found and found.bass is None:
        roman = make_chord(key, (named[0] - key.pitch_class) % 12, named[1]).roman
    return ChordEvent(symbol=cleaned, onset=0.0, duration=0.0, roman=roman)


def set_chord(chords: tuple[ChordEvent, ...], chord: ChordEvent, *, onset: float, bar_end: float,
              end: float) -> tuple[tuple[ChordEvent, ...], str | None]:
    """The chords with `chord` starting at `onset`, and the symbol it replaced (None: none sounded).

    The chord sounding at `onset` (starting there or earlier) gives way to the new one until it
    would have stopped or the bar ends (`bar_end`), whichever comes first; before `onset` and after
    the bar it sounds as it did.  In silence the new chord lasts until the next chord (or `end`).

    >>> held = (ChordEvent("D", 0.0, 8.0),)
    >>> new, old = set_chord(held, ChordEvent("G", 0, 0), onset=2.0, bar_end=4.0, end=8.0)
    >>> [(c.symbol, c.onset, c.duration) for c in new], old
    ([('D', 0.0, 2.0), ('G', 2.0, 2.0), ('D', 4.0, 4.0)], 'D')
    """
    ordered = sorted(chords, key=lambda c: c.onset)
    for i, old in enumerate(ordered):
        stop = old.onset + old.duration
        if old.onset < onset + EPS and onset < stop - EPS:
            pieces = [replace(old, duration=snap(onset - old.onset))] if old.onset < onset - EPS else []
            pieces.append(replace(chord, onset=onset, duration=snap(min(stop, bar_end) - onset)))
            if stop > bar_end + EPS:
                pieces.append(replace(old, onset=bar_end, duration=snap(stop - bar_end)))
            return (*ordered[:i], *pieces, *ordered[i + 1:]), old.symbol
    following = [c.onset for c in ordered if c.onset > onset + EPS]
    added = replace(chord, onset=onset, duration=snap(min(following, default=end) - onset))
    return tuple(sorted((*ordered, added), key=lambda c: c.onset)), None


def splice(chords: Iterable[ChordEvent], new: Iterable[ChordEvent], *, lo: float,
           hi: float) -> tuple[ChordEvent, ...]:
    """The chords outside [lo, hi) as they were (one sounding across an edge is cut there and, past
    `hi`, goes on from `hi`) and the `new` chords inside it."""
    kept: list[ChordEvent] = []
    for c in chords:
        end = c.onset + c.duration
        if c.onset < lo - EPS:
            kept.append(replace(c, duration=snap(min(end, lo) - c.onset)))
        if end > hi + EPS and c.onset < end:
            start = max(c.onset, hi)
            kept.append(replace(c, onset=start, duration=snap(end - start)))
    for c in new:
        start, stop = max(c.onset, lo), min(c.onset + c.duration, hi)
        if stop > start + EPS:
            kept.append(replace(c, onset=start, duration=snap(stop - start)))
    return tuple(sorted(kept, key=lambda c: c.onset))


def inside(chords: Iterable[ChordEvent], *, lo: float, hi: float) -> tuple[tuple[str, float], ...]:
    """(symbol, onset) of the chords that start or sound in [lo, hi): how a span's harmony compares."""
    return tuple((c.symbol, round(max(c.onset, lo), 3)) for c in sorted(chords, key=lambda c: c.onset)
                 if c.onset < hi - EPS and c.onset + c.duration > lo + EPS)


def reharmonize(song: Song, *, lo: float, hi: float, style: str | None, seed: int, runtime=None,
                tries: int = 3) -> tuple[tuple[ChordEvent, ...], tuple[str, ...]]:
    """New chords for [lo, hi) from the recommender, the rest of the song's chords kept, and the
    recommender's notes.  The recommender harmonizes the whole melody (its chords around the span
    shape the ones inside); of its k best progressions the first whose chords in the span differ
    from the song's is spliced in, trying the next seeds when all of them agree with the song."""
    from .recommend import recommend_chords

    current = inside(song.chords, lo=lo, hi=hi)
    result, candidates = None, ()
    for attempt in range(tries):
        result = recommend_chords(song, style=style, k=5, runtime=runtime, seed=seed + attempt)
        candidates = (result.song.chords, *(p.chords for p in result.progressions))
        for chords in candidates:
            if inside(chords, lo=lo, hi=hi) != current:
                return splice(song.chords, chords, lo=lo, hi=hi), result.notes
    notes = (*result.notes, "every harmonization the recommender found keeps these bars' chords") if result else ()
    return splice(song.chords, candidates[0], lo=lo, hi=hi), tuple(notes)


def _moved_name(name: str, semitones: int, letters: int, key: KeySpec) -> str:
    """A note name moved by `semitones` and `letters` letter steps; the key's usual name when that
    would need a double accidental."""
    pc = (name_pitch_class(name) + semitones) % 12
    letter = LETTERS[(LETTERS.index(name[0]) + letters) % 7]
    alter = (pc - PITCH_CLASS[letter] + 6) % 12 - 6
    return letter + ALTERATION_NAMES[alter] if abs(alter) <= 1 else pitch_name(pc, key)


def transposed_chords(chords: Iterable[ChordEvent], *, semitones: int, old: KeySpec,
                      new: KeySpec) -> tuple[ChordEvent, ...]:
    """Every chord moved with the song, spelled as the interval from the old tonic to the new one
    spells it (C to D: Bb becomes C, F# becomes G#); the Roman numerals stay."""
    letters = (LETTERS.index(new.tonic[0]) - LETTERS.index(old.tonic[0])) % 7
    moved = []
    for c in chords:
        found = parts(c.symbol)
        if found is None:
            moved.append(c)
            continue
        bass = _moved_name(found.bass, semitones, letters, new) if found.bass else None
        symbol = Parts(_moved_name(found.root, semitones, letters, new), found.suffix, bass).symbol
        moved.append(replace(c, symbol=symbol))
    return tuple(moved)


def _name_in(pc: int, key: KeySpec) -> str:
    letter, alter, _ = spell(60 + pc, key)
    return letter + ALTERATION_NAMES[alter]


def _mode_chord(c: ChordEvent, old: KeySpec, new: KeySpec) -> ChordEvent:
    """One chord in the parallel mode: a chord of the old scale on one of its degrees becomes the
    new mode's chord on that degree; V (major or 7) stays in minor (harmonic minor); a chromatic
    chord or one outside the vocabulary stays as it is."""
    named, found = quality_of(c.symbol), parts(c.symbol)
    if named is None or found is None:
        return c
    root, quality = named
    old_steps, new_steps = SCALE_STEPS[old.mode], SCALE_STEPS[new.mode]
    rel = (root - old.pitch_class) % 12
    tones = [(rel + i) % 12 for i in TEMPLATES[quality]]
    if rel not in old_steps or any(t not in old_steps for t in tones):
        return c
    if new.mode == "minor" and rel == DOMINANT and quality in ("maj", "7"):
        return c
    mapped = frozenset(new_steps[old_steps.index(t)] for t in tones)
    new_rel = new_steps[old_steps.index(rel)]
    shape = frozenset((t - new_rel) % 12 for t in mapped)
    new_quality = next((q for q, template in TEMPLATES.items() if template == shape), None)
    if new_quality is None:
        return c
    chord = make_chord(new, new_rel, new_quality)
    if found.bass is None:
        return replace(c, symbol=chord.symbol, roman=chord.roman)
    bass_rel = (name_pitch_class(found.bass) - old.pitch_class) % 12
    bass = bass_rel if bass_rel not in old_steps else new_steps[old_steps.index(bass_rel)]
    return replace(c, symbol=f"{chord.symbol}/{_name_in((new.pitch_class + bass) % 12, new)}", roman=None)


def chords_in_mode(chords: Iterable[ChordEvent], *, old: KeySpec, new: KeySpec) -> tuple[ChordEvent, ...]:
    """The chords re-spelled in the parallel mode `new` of `old` (see _mode_chord)."""
    return tuple(_mode_chord(c, old, new) for c in chords)


def dominant_spans(chords: Iterable[ChordEvent], key: KeySpec) -> tuple[tuple[float, float], ...]:
    """(onset, end) of each major V or V7 of `key`: where a minor melody keeps its leading tone."""
    spans = []
    for c in chords:
        named = quality_of(c.symbol)
        if named and (named[0] - key.pitch_class) % 12 == DOMINANT and named[1] in ("maj", "7"):
            spans.append((c.onset, c.onset + c.duration))
    return tuple(spans)


def scaled_chords(chords: Iterable[ChordEvent], ratio: float) -> tuple[ChordEvent, ...]:
    """The chords with every time multiplied by `ratio` (a new meter), ends kept on the grid."""
    from ..melody.transform import scale_times

    scaled = []
    for c in chords:
        onset, duration = scale_times(c.onset, c.onset + c.duration, ratio)
        if duration > 0:
            scaled.append(replace(c, onset=onset, duration=duration))
    return tuple(scaled)
