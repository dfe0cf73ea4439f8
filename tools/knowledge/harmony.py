"""Why a bar has its chord: the melody on it, the chord's function, how it follows and leads on.

explain_choice builds on this.  The music is read from the song itself, so a chord set by hand
is explained as well as a recommended one: chord tones and the non-chord tones between them
(passing and neighbour notes), the Roman numeral and function in the key (tools/chords/vocab,
spelled by music21), the root motion from the chord before and to the chord after, and the
cadence where a phrase ends.  The recommender's own reasons and alternatives are added by
explain_choice when a fresh run of it chooses the same chord.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ...tokenization.music import ChordEvent, KeySpec, Melody, Note
from ...tokenization.pitch import pitch_name
from ..chords.explain import chosen_reason
from ..chords.vocab import Chord, make_chord
from ..errors import ToolError
from ..theory.chords import chord_pitch_classes
from ..theory.key import beat_length

EPS = 1e-6
_MOTION = {0: "the same root", 5: "the root falls a fifth (the strongest move)",
           7: "the root rises a fifth", 2: "the root steps up", 10: "the root steps down",
           1: "the root slides up a half step", 11: "the root slides down a half step",
           3: "the root rises a third (two notes shared)", 4: "the root rises a third (two notes shared)",
           8: "the root falls a third (two notes shared)", 9: "the root falls a third (two notes shared)",
           6: "the root moves a tritone"}


@dataclass(frozen=True, slots=True)
class ChordInBar:
    """One chord of a bar and what the music says about it."""

    event: ChordEvent
    chord: Chord | None  # None when the symbol is not a chord tunesmith can name in the key
    roman: str
    start: float  # where it starts sounding in the bar (quarter lengths from the song's start)
    end: float
    notes: tuple[Note, ...]


@functools.lru_cache(maxsize=512)
def chord_in_key(symbol: str, key: KeySpec) -> Chord | None:
    """The vocabulary chord a symbol names in a key (root by music21, quality by the closest template)."""
    from music21 import harmony

    from ...finetune.harmony.chords import best_template
    from ...tokenization.m21 import chord_symbol_to_m21

    pcs = chord_pitch_classes(symbol)
    if not pcs:
        return None
    try:
        root_pc = harmony.ChordSymbol(chord_symbol_to_m21(symbol)).root().pitchClass
    except Exception:  # music21 read the pitches but names no root
        root_pc = None
    root, quality = best_template(set(pcs), prefer_root=root_pc)
    try:
        return make_chord(key, (root - key.pitch_class) % 12, quality)
    except ToolError:
        return None


def chords_in_bar(melody: Melody, chords: tuple[ChordEvent, ...], grid_bar: int, key: KeySpec) -> list[ChordInBar]:
    """The chords sounding in a bar (1-based on the song's bar grid) with the notes under each."""
    lo, hi = (grid_bar - 1) * melody.bar_length, grid_bar * melody.bar_length
    found = []
    for event in sorted(chords, key=lambda c: c.onset):
        start, end = max(event.onset, lo), min(event.onset + event.duration, hi)
        if end <= start + EPS:
            continue
        notes = tuple(n for n in melody.notes if n.onset < end - EPS and n.end > start + EPS)
        chord = chord_in_key(event.symbol, key)
        roman = event.roman or (chord.roman if chord else "?")
        found.append(ChordInBar(event=event, chord=chord, roman=roman, start=start, end=end, notes=notes))
    return found


def neighbours(chords: tuple[ChordEvent, ...], item: ChordInBar) -> tuple[ChordEvent | None, ChordEvent | None]:
    """The chord before this one and the chord after it (different symbols; None at the ends)."""
    ordered = sorted(chords, key=lambda c: c.onset)
    index = ordered.index(item.event)
    before = next((c for c in reversed(ordered[:index]) if c.symbol != item.event.symbol), None)
    after = next((c for c in ordered[index + 1:] if c.symbol != item.event.symbol), None)
    return before, after


def melody_line(item: ChordInBar, melody: Melody, key: KeySpec) -> str:
    """'Melody E G A G: chord tones E G; A is a neighbour note' (non-chord tones named by how they move)."""
    if not item.notes:
        return "no melody notes sound over it"
    pcs = item.chord.pcs if item.chord else chord_pitch_classes(item.event.symbol) or frozenset()
    names = [pitch_name(n.pitch % 12, key) for n in item.notes]
    inside = [name for n, name in zip(item.notes, names) if n.pitch % 12 in pcs]
    outside = [f"{name} ({_non_chord_kind(n, melody)})" for n, name in zip(item.notes, names) if n.pitch % 12 not in pcs]
    text = f"melody {' '.join(names)}: "
    if not outside:
        return text + "every note is a chord tone"
    tones = f"chord tones {' '.join(dict.fromkeys(inside))}" if inside else "no chord tones"
    return text + f"{tones}; not in the chord: {', '.join(outside)}"


def _non_chord_kind(note: Note, melody: Melody) -> str:
    """Passing note (steps on the same way), neighbour (steps back), else a note the chord colours."""
    notes = melody.notes
    i = notes.index(note)
    if 0 < i < len(notes) - 1:
        into, out = note.pitch - notes[i - 1].pitch, notes[i + 1].pitch - note.pitch
        if 0 < abs(into) <= 2 and 0 < abs(out) <= 2:
            return "passing note" if into * out > 0 else "neighbour note"
    beat = beat_length(melody)
    strong = abs(note.onset / beat - round(note.onset / beat)) < EPS
    return "on the beat: a colour note" if strong else "off the beat"


def function_line(item: ChordInBar, melody: Melody, key: KeySpec, *, phrase_end: bool, final: bool) -> str:
    """'V7 in D major: pulling home (dominant)': the chord's job in the recommender's words."""
    if item.chord is None:
        return f"{item.event.symbol} is not a chord tunesmith can name in {key}"
    weights = tuple(float(any(n.pitch % 12 == pc for n in item.notes)) for pc in range(12))
    job = chosen_reason(item.chord, weights, key, final=final, phrase_end=phrase_end, fit=0.0).split("; ")[0]
    return f"{item.roman} in {key}: {job}"


def motion(before: ChordEvent | None, item: ChordInBar, after: ChordEvent | None, key: KeySpec, *,
           phrase_end: bool) -> str:
    """How the chord follows the one before and leads to the one after, and the cadence it makes."""
    parts = []
    this = item.chord
    if before is not None:
        prev = chord_in_key(before.symbol, key)
        step = f"after {before.symbol} ({_roman(before, prev)})"
        if prev is not None and this is not None:
            step += f": {_MOTION[(this.root - prev.root) % 12]}"
            cadence = _cadence(prev, this, key) if phrase_end else None
            if cadence:
                step += f"; {cadence}"
        parts.append(step)
    if after is not None:
        nxt = chord_in_key(after.symbol, key)
        lead = f"leads to {after.symbol} ({_roman(after, nxt)})"
        if nxt is not None and this is not None:
            lead += f": {_MOTION[(nxt.root - this.root) % 12]}"
            if this.function in ("D", "A") and nxt.rel == 0:
                lead += ", resolving home"
        parts.append(lead)
    elif this is not None:
        parts.append("the song ends on it" + (" at home" if this.rel == 0 else ", away from home"))
    return "; ".join(parts)


def _roman(event: ChordEvent, chord: Chord | None) -> str:
    return event.roman or (chord.roman if chord else "?")


def _cadence(prev: Chord, this: Chord, key: KeySpec) -> str | None:
    """The cadence a phrase ending on `this` after `prev` makes, in words."""
    home = this.rel == 0
    if home and prev.function == "D":
        return f"{prev.roman}-{this.roman}, an authentic cadence: the leading tone rises home"
    if home and prev.rel == 5:
        return f"{prev.roman}-{this.roman}, a plagal ('Amen') cadence"
    if prev.function == "D" and this.rel in (8, 9) and this.function == "T":
        return f"{prev.roman}-{this.roman}, a deceptive cadence: home was expected"
    return None
