"""The music data model every package passes around: Note, Melody, ChordEvent, Song.

Times are in quarter lengths (floats snapped to a 1/48 grid, which holds 32nds and
triplets exactly).  A Melody is normalised: bar 1 starts at 0, a pickup is a bar that
begins with a rest, so bar lines fall on multiples of the bar length.  Rests are the gaps
between notes.  Pitches are MIDI numbers.  Meters are parsed here and keys in pitch.py (with
every other pitch, scale and mode fact), once, so "H major" and "7/5" fail the same way everywhere.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction

from .errors import MusicValueError
from .limits import MAX_BARS  # noqa: F401 (re-exported; every reading limit lives in limits.py)
from .pitch import MODES, PITCH_CLASS, KeySpec, parse_key, spell_pitch_class  # noqa: F401 (re-exported)

GRID = 48  # subdivisions of a quarter note every time is snapped to
SYLLABIC = ("single", "begin", "middle", "end")


def snap(value: float) -> float:
    """Round a time in quarter lengths to the 1/48 grid.

    >>> snap(1 / 3)
    0.3333333333333333
    >>> snap(0.2500001)
    0.25
    """
    return round(float(value) * GRID) / GRID


@dataclass(frozen=True, slots=True)
class Meter:
    """A time signature such as 6/8."""

    numerator: int
    denominator: int

    def __post_init__(self) -> None:
        if self.denominator not in (1, 2, 4, 8, 16) or not 1 <= self.numerator <= 16:
            raise MusicValueError(f"unsupported meter {self}: use n/1, n/2, n/4, n/8 or n/16 with n 1-16")

    @property
    def bar_length(self) -> float:
        """Quarter lengths in one bar.

        >>> Meter(6, 8).bar_length
        3.0
        """
        return self.numerator * 4 / self.denominator

    @property
    def beat_length(self) -> float:
        """Quarter lengths in one felt beat (compound meters beat in dotted notes).

        >>> Meter(6, 8).beat_length, Meter(3, 4).beat_length, Meter(2, 2).beat_length
        (1.5, 1.0, 2.0)
        """
        compound = self.denominator >= 8 and self.numerator % 3 == 0 and self.numerator > 3
        return 4 / self.denominator * (3 if compound else 1)

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"


def parse_meter(text: str) -> Meter:
    """Parse '6/8', 'C' (4/4) or 'C|' (2/2).

    >>> parse_meter("C|")
    Meter(numerator=2, denominator=2)
    >>> parse_meter("7/5")
    Traceback (most recent call last):
    tunesmith.tokenization.errors.MusicValueError: unsupported meter 7/5: use n/1, n/2, n/4, n/8 or n/16 with n 1-16
    """
    cleaned = (text or "").strip()
    special = {"C": "4/4", "c": "4/4", "C|": "2/2", "c|": "2/2"}
    cleaned = special.get(cleaned, cleaned)
    match = re.fullmatch(r"(\d{1,2})\s*/\s*(\d{1,2})", cleaned)
    if not match:
        raise MusicValueError(f"unknown meter {text!r}: write it as a fraction such as 3/4 or 6/8")
    return Meter(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True, slots=True)
class Syllable:
    """One lyric syllable under a note; `extend` marks a melisma that continues after it."""

    text: str
    syllabic: str = "single"
    extend: bool = False

    def __post_init__(self) -> None:
        if self.syllabic not in SYLLABIC:
            raise MusicValueError(f"syllabic must be one of {SYLLABIC}, not {self.syllabic!r}")


@dataclass(frozen=True, slots=True)
class Note:
    """One sounding note: MIDI pitch, onset and duration in quarter lengths."""

    pitch: int
    onset: float
    duration: float
    lyric: Syllable | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.pitch <= 127:
            raise MusicValueError(f"pitch {self.pitch} is outside MIDI 0-127")
        if self.duration <= 0 or self.onset < 0:
            raise MusicValueError(f"note at {self.onset} has a bad onset or duration {self.duration}")

    @property
    def end(self) -> float:
        return self.onset + self.duration


@dataclass(frozen=True, slots=True)
class Melody:
    """A monophonic line on a bar grid; `bars` counts every bar, the pickup bar included."""

    notes: tuple[Note, ...]
    meter: Meter = field(default_factory=lambda: Meter(4, 4))
    key: KeySpec | None = None
    tempo: int = 100
    bars: int = 0

    def __post_init__(self) -> None:
        if not 20 <= self.tempo <= 400:
            raise MusicValueError(f"tempo {self.tempo} bpm is outside 20-400")
        for before, after in zip(self.notes, self.notes[1:]):
            if after.onset < before.end - 1e-6:
                raise MusicValueError(f"notes overlap at {after.onset}: a melody is one line")
        needed = self.bars_needed()
        if self.bars == 0:
            object.__setattr__(self, "bars", needed)
        elif self.bars < needed:
            raise MusicValueError(f"{len(self.notes)} notes need {needed} bars, not {self.bars}")
        if self.bars > MAX_BARS:
            raise MusicValueError(f"{self.bars} bars is too long (at most {MAX_BARS})")

    def bars_needed(self) -> int:
        end = self.notes[-1].end if self.notes else 0.0
        return max(1, math.ceil(end / self.meter.bar_length - 1e-9))

    @property
    def bar_length(self) -> float:
        return self.meter.bar_length

    @property
    def length(self) -> float:
        """Total length in quarter lengths, trailing rests included."""
        return self.bars * self.bar_length

    def bar_of(self, onset: float) -> int:
        """1-based bar number of a time.

        >>> Melody(notes=(), meter=Meter(3, 4), bars=2).bar_of(3.5)
        2
        """
        return int(math.floor(onset / self.bar_length + 1e-9)) + 1

    def notes_in_bar(self, bar: int) -> tuple[Note, ...]:
        lo, hi = (bar - 1) * self.bar_length, bar * self.bar_length
        return tuple(n for n in self.notes if lo - 1e-9 <= n.onset < hi - 1e-9)

    def transposed(self, semitones: int, *, key: KeySpec | None = None) -> Melody:
        """The same melody moved by semitones; pass the new key's spelling when it matters."""
        notes = tuple(replace(n, pitch=n.pitch + semitones) for n in self.notes)
        if key is None and self.key is not None:
            key = KeySpec(tonic=spell_pitch_class((self.key.pitch_class + semitones) % 12,
                                                  mode=self.key.mode), mode=self.key.mode)
        return replace(self, notes=notes, key=key)


@dataclass(frozen=True, slots=True)
class ChordEvent:
    """A chord held from onset for duration; symbol in people's spelling ("Bb7"), roman optional."""

    symbol: str
    onset: float
    duration: float
    roman: str | None = None


@dataclass(frozen=True, slots=True)
class Song:
    """What a session works on: a melody, chords over time and metadata; lyrics live on notes."""

    melody: Melody
    chords: tuple[ChordEvent, ...] = ()
    title: str = "Untitled"
    style: str | None = None
    seed: int | None = None

    @property
    def has_lyrics(self) -> bool:
        return any(n.lyric is not None for n in self.melody.notes)


def quarter_fraction(value: float) -> Fraction:
    """A snapped time as an exact fraction (for ABC lengths and MIDI ticks).

    >>> quarter_fraction(0.75)
    Fraction(3, 4)
    """
    return Fraction(round(value * GRID), GRID)


def slice_bars(melody: Melody, first: int, last: int) -> Melody:
    """Bars first..last-1 (0-based) as their own melody; notes are clipped at the window's end.

    A note held into the window from before it is dropped (the window starts with a rest).
    """
    length = melody.bar_length
    lo, hi = first * length, last * length
    notes = []
    for note in melody.notes:
        if lo - 1e-9 <= note.onset < hi - 1e-9:
            end = min(note.end, hi)
            notes.append(Note(note.pitch, snap(note.onset - lo), snap(end - note.onset), note.lyric))
    return replace(melody, notes=tuple(notes), bars=last - first)
