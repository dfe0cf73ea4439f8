"""A few small tunes the tests share (plain builders; tests/conftest.py wraps some as fixtures)."""

from __future__ import annotations

from tunesmith.tokenization.music import KeySpec, Melody, Meter, Note, Song


def c_major_tune() -> Song:
    """Four bars of C major: C D E F | G A G F | E D E C | D B, C (half)."""
    pitches = [60, 62, 64, 65, 67, 69, 67, 65, 64, 62, 64, 60]
    notes = tuple(Note(p, float(i), 1.0) for i, p in enumerate(pitches))
    notes += (Note(62, 12.0, 1.0), Note(59, 13.0, 1.0), Note(60, 14.0, 2.0))
    return Song(melody=Melody(notes=notes, meter=Meter(4, 4), key=KeySpec("C"), tempo=96, bars=4), title="Tune")


def down_tune() -> Song:
    """Three bars of C major in quarter notes, stepping down from G to C and back: "Down"."""
    pitches = [67, 65, 64, 62, 60, 62, 64, 65, 67, 64, 62, 60]
    notes = tuple(Note(p, float(i), 1.0) for i, p in enumerate(pitches))
    return Song(melody=Melody(notes=notes, meter=Meter(4, 4), key=KeySpec("C"), bars=3), title="Down")
