"""Results of the chord tools: options per slot, whole progressions, and the full result."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ...tokenization.music import ChordEvent, KeySpec, Meter, Song
from ..types import Report


# How the header names a harmonic rhythm: a half-bar rate changes inside a bar only where it chose to.


@dataclass(frozen=True, slots=True)
class ChordOption:
    """One chord for one slot: symbol ('Bb7'), Roman numeral in the key, melody fit 0..1,
    overall score 0..1 (1 = the best path's), and a one-line reason."""

    symbol: str
    roman: str
    fit: float
    score: float
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"symbol": self.symbol, "roman": self.roman, "fit": round(self.fit, 3),
                "score": round(self.score, 3), "reason": self.reason}


@dataclass(frozen=True, slots=True)
class ChordSlot:
    """A bar, half bar or beat with its chosen chord and the alternatives, best first."""

    bar: int
    beat: float
    onset: float
    duration: float
    melody: str  # the slot's main melody notes, e.g. "E G"
    chosen: ChordOption
    alternatives: tuple[ChordOption, ...]

    @property
    def where(self) -> str:
        beat = f"{self.beat:g}"
        return f"bar {self.bar}" + ("" if beat == "1" else f" beat {beat}")

    def as_dict(self) -> dict[str, Any]:
        return {"bar": self.bar, "beat": self.beat, "onset": self.onset, "duration": self.duration,
                "melody": self.melody, "chosen": self.chosen.as_dict(),
                "alternatives": [a.as_dict() for a in self.alternatives]}


@dataclass(frozen=True, slots=True)
class Progression:
    """A whole progression: chords over time, Roman numerals, a score and what it is."""

    chords: tuple[ChordEvent, ...]
    score: float
    reason: str
    meter: Meter = Meter(4, 4)

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(c.symbol for c in self.chords)

    @property
    def romans(self) -> str:
        return " ".join(c.roman or "?" for c in self.chords)

    def chart(self, *, bars_per_line: int = 8) -> str:
        """'| C | G | Am F | C |' by bars (tokenization.view's chord chart)."""
        from ...tokenization.music import Melody
        from ...tokenization.view import chord_chart

        end = max((c.onset + c.duration for c in self.chords), default=self.meter.bar_length)
        bars = max(1, math.ceil(end / self.meter.bar_length - 1e-9))
        song = Song(melody=Melody(notes=(), meter=self.meter, bars=bars), chords=self.chords)
        return chord_chart(song, bars_per_line=bars_per_line)

    def as_dict(self) -> dict[str, Any]:
        return {"chords": [[c.symbol, c.onset, c.duration, c.roman] for c in self.chords],
                "score": round(self.score, 3), "reason": self.reason}


@dataclass(frozen=True)
class ChordResult:
    """Chords for a melody: the song with the best chords, every slot with alternatives,
    k whole progressions, the theory report of the harmonized song and how it was made."""

    song: Song
    key: KeySpec
    style: str
    per: str
    slots: tuple[ChordSlot, ...]
    progressions: tuple[Progression, ...]
    report: Report
    scorer: str  # "rules" or "rules+model"
    seconds: float
    notes: tuple[str, ...] = field(default=())

    @property
    def chords(self) -> tuple[ChordEvent, ...]:
        return self.song.chords

    @property
    def chart(self) -> str:
        """The chosen chords bar by bar on one line, '| C | F C | G7 C |' (what a summary should list)."""
        return self.progressions[0].chart(bars_per_line=64) if self.progressions else ""

    @property
    def rate(self) -> str:
        """The harmonic rhythm in words: 'one chord per bar', 'up to two chords per bar'."""
        from ...tokenization.contract import contract

        return contract().messages.get(f"rate_{self.per}", self.per)

    def text(self, *, max_slots: int | None = None) -> str:
        """The alternatives, one slot per line, then the whole-progression alternatives."""
        lines = [f"Chords in {self.key} ({self.style}, {self.rate}; scored by {self.scorer}): {self.chart}".rstrip()]
        shown = self.slots if max_slots is None else self.slots[:max_slots]
        for slot in shown:
            c = slot.chosen
            lines.append(f"  {slot.where:<14} {slot.melody:<10} {c.symbol:<7} {c.roman:<8} fit {c.fit:.2f}  {c.reason}")
            for alt in slot.alternatives:
                lines.append(f"  {'':<14} {'':<10}   or {alt.symbol:<7} {alt.roman:<5} fit {alt.fit:.2f}  "
                             f"score {alt.score:.2f}  {alt.reason}")
        if len(shown) < len(self.slots):
            lines.append(f"  … {len(self.slots) - len(shown)} more slots")
        if self.progressions:
            lines.append("Whole progressions:")
            for rank, prog in enumerate(self.progressions, 1):
                chart = prog.chart(bars_per_line=64)
                lines.append(f"  {rank}. {chart}  (score {prog.score:.2f}) {prog.reason}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": str(self.key), "style": self.style, "per": self.per, "scorer": self.scorer,
            "seconds": round(self.seconds, 3), "notes": list(self.notes),
            "chords": [[c.symbol, c.onset, c.duration, c.roman] for c in self.song.chords],
            "slots": [s.as_dict() for s in self.slots],
            "progressions": [p.as_dict() for p in self.progressions],
            "report": self.report.as_dict(),
        }
