"""Whole-melody edits that keep every note's rhythm and lyric: transposition, a parallel mode, a
new tempo or meter.

Why here and not in the model: these edits are exact music, so the person's melody must come back
note for note (only the pitches or the time scale move), with its syllables on the same notes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from ...tokenization.errors import MusicValueError
from ...tokenization.music import KeySpec, Melody, Meter, parse_key, parse_meter, snap
from ...tokenization.pitch import LEADING_TONE, MODES, SCALE_STEPS, notation_key, spell_pitch_class
from ...tokenization.vocab import METERS
from ..errors import ToolError


@dataclass(frozen=True, slots=True)
class Move:
    """Where a transposition goes: the new key and the shift in semitones (up positive)."""

    key: KeySpec
    semitones: int

    @property
    def words(self) -> str:
        """'up 5 semitones', 'down 1 semitone'.

        >>> Move(KeySpec("F"), 5).words, Move(KeySpec("B"), -1).words
        ('up 5 semitones', 'down 1 semitone')
        """
        size = abs(self.semitones)
        return f"{'up' if self.semitones > 0 else 'down'} {size} semitone{'' if size == 1 else 's'}"


def plan_move(old: KeySpec, *, key: str | None = None, semitones: int | None = None) -> Move:
    """The new key and shift from exactly one of `key` (its mode must be the song's) or `semitones`.

    A key moves by the smaller way round (C to G is down 5, C to F# up 6).

    >>> plan_move(KeySpec("C"), key="G"), plan_move(KeySpec("D", "minor"), semitones=3).key
    (Move(key=KeySpec(tonic='G', mode='major'), semitones=-5), KeySpec(tonic='F', mode='minor'))
    """
    if (key is None) == (semitones is None):
        raise ToolError("transpose takes a key (e.g. 'G') or semitones (e.g. -2), one of the two")
    if semitones is not None:
        if semitones == 0:
            raise ToolError("semitones=0 leaves the song where it is; give e.g. 2 (up) or -3 (down)")
        pc = (old.pitch_class + semitones) % 12
        return Move(KeySpec(spell_pitch_class(pc, mode=old.mode), old.mode), int(semitones))
    try:
        new = notation_key(parse_key(key or "", mode=old.mode))  # D# major is written as Eb major
    except MusicValueError as err:
        raise ToolError(str(err)) from None
    if new.mode != old.mode:
        raise ToolError(f"the song is in {old}; transpose keeps the mode, so {new} is a change of mode: "
                        f"use change_mode (mode={new.mode}), then transpose if the tonic moves too")
    if new == old:
        raise ToolError(f"the song is already in {old}")
    shift = (new.pitch_class - old.pitch_class) % 12
    return Move(new, shift - 12 if shift > 6 else shift)


def transpose_melody(melody: Melody, move: Move) -> Melody:
    """The melody moved by `move.semitones` in `move.key` (rhythm and lyrics as they were)."""
    try:
        return melody.transposed(move.semitones, key=move.key)
    except MusicValueError:
        extreme = max(n.pitch for n in melody.notes) if move.semitones > 0 else min(n.pitch for n in melody.notes)
        raise ToolError(f"moving {move.words} takes the melody past the MIDI range (its "
                        f"{'highest' if move.semitones > 0 else 'lowest'} note is MIDI {extreme})") from None


def mode_key(old: KeySpec, mode: str) -> KeySpec:
    """The parallel key of `old` in `mode`, respelled when its signature would need over 7 accidentals.

    >>> mode_key(KeySpec("D"), "minor"), mode_key(KeySpec("Db"), "minor")
    (KeySpec(tonic='D', mode='minor'), KeySpec(tonic='C#', mode='minor'))
    """
    wanted = (mode or "").strip().lower()
    if wanted not in MODES:
        raise ToolError(f"unknown mode {mode!r}; use one of {', '.join(MODES)}")
    if wanted == old.mode:
        raise ToolError(f"the song is already in {old}")
    return notation_key(KeySpec(old.tonic, wanted))


def degree_shift(rel: int, old: str, new: str) -> int:
    """Semitones a pitch `rel` above the tonic moves from mode `old` to `new` (0 off the scale).

    >>> [degree_shift(r, "major", "minor") for r in (0, 2, 4, 5, 7, 9, 11, 6)]
    [0, 0, -1, 0, 0, -1, -1, 0]
    """
    steps = SCALE_STEPS[old]
    if rel % 12 not in steps:
        return 0
    degree = steps.index(rel % 12)
    return SCALE_STEPS[new][degree] - steps[degree]


def parallel_melody(melody: Melody, key: KeySpec, *, old: KeySpec,
                    leading: Iterable[tuple[float, float]] = ()) -> tuple[Melody, int]:
    """The melody in the parallel mode (each scale degree moves by the modes' difference; notes off
    the old scale stay) and how many notes moved.  In minor, a 7th degree sounding inside one of the
    `leading` spans (onset, end) stays the raised leading tone of the dominant chord above it."""
    spans = tuple(leading) if key.mode == "minor" else ()
    notes, moved = [], 0
    for note in melody.notes:
        rel = (note.pitch - old.pitch_class) % 12
        shift = degree_shift(rel, old.mode, key.mode)
        if shift and rel + shift == LEADING_TONE - 1 and any(lo - 1e-9 <= note.onset < hi - 1e-9 for lo, hi in spans):
            shift = LEADING_TONE - rel
        if shift and not 0 <= note.pitch + shift <= 127:
            raise ToolError(f"the note at MIDI {note.pitch} cannot move into {key}")
        moved += bool(shift)
        notes.append(replace(note, pitch=note.pitch + shift))
    return replace(melody, notes=tuple(notes), key=key), moved


def read_meter(text: str) -> Meter:
    """A meter the files and the model can write (tokenization.vocab.METERS), or a ToolError."""
    try:
        meter = parse_meter(text)
    except MusicValueError as err:
        raise ToolError(str(err)) from None
    if str(meter) not in METERS:
        raise ToolError(f"meter {meter} cannot be written; use one of {', '.join(METERS)}")
    return meter


def scale_times(onset: float, end: float, ratio: float) -> tuple[float, float]:
    """(onset, duration) of a span stretched by `ratio`, both ends on the time grid (so neighbours
    that touched still touch and never overlap).

    >>> scale_times(1.0, 2.5, 0.75)
    (0.75, 1.125)
    """
    start, stop = snap(onset * ratio), snap(end * ratio)
    return start, stop - start


def with_meter(melody: Melody, meter: Meter) -> Melody:
    """Each bar becomes one bar of `meter`: every time is scaled by new bar length / old bar length,
    so the bar count, the notes of each bar and their syllables stay (4/4 to 3/4: quarters become
    dotted eighths)."""
    ratio = meter.bar_length / melody.bar_length
    notes = []
    for note in melody.notes:
        onset, duration = scale_times(note.onset, note.end, ratio)
        if duration <= 0:
            raise ToolError(f"the note at beat {note.onset:g} is too short to fit {meter} "
                            f"(times are kept on a 1/48-quarter grid)")
        notes.append(replace(note, onset=onset, duration=duration))
    return replace(melody, notes=tuple(notes), meter=meter)


def with_tempo(melody: Melody, tempo: int) -> Melody:
    """The melody at `tempo` quarter notes a minute."""
    try:
        return replace(melody, tempo=int(tempo))
    except MusicValueError as err:
        raise ToolError(str(err)) from None
