"""The dotted feel of a style whose tunes are written even but played long-short (a hornpipe),
and the measure of it (the share of dotted pairs, which eval/metrics reports).

The corpus writes many hornpipes as straight sixteenths in 2/4 that fiddlers play dotted, and the
model writes them the same way; a style with `swing = "dotted"` in tokenization/styles.toml has
every even pair on its pulse (two equal notes filling `swing_span` of the bar, the first on that
pulse) written long-short instead, 3:1, as the dotted notation of the same tunes has it.  Other
rhythms (triplets, longer notes, pairs across the pulse) and the final note stay as they are.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from fractions import Fraction

from ...tokenization.errors import MusicValueError
from ...tokenization.music import Melody, snap
from ...tokenization.styles import SWINGS, get_style

EPS = 1e-6
PAIR_SPAN_MAX = 1.0  # quarters: the pairs a feel lives in (two eighths, two sixteenths), not longer notes


@dataclass(frozen=True, slots=True)
class Swung:
    """A melody with its style's swing written in, and how many pairs changed (0: as it was)."""

    melody: Melody
    pairs: int
    swing: str | None = None


def style_swing(style: str | None) -> tuple[str, Fraction] | None:
    """(swing, span as a fraction of the bar) of a style that declares one; None otherwise
    (no style, an adapter's own name, or a style played as written).

    >>> style_swing("hornpipe"), style_swing("irish-reel"), style_swing("my-adapter")
    (('dotted', Fraction(1, 4)), None, None)
    """
    try:
        info = get_style(style) if style else None
    except MusicValueError:
        return None
    if info is None or info.swing is None:
        return None
    return info.swing, Fraction(info.swing_span)


def swing_melody(melody: Melody, *, style: str | None, bars: frozenset[int] | None = None) -> Swung:
    """The melody with the style's swing on its even pairs (only in `bars`, 1-based, when given).

    >>> from tunesmith.tokenization.music import Meter, Note
    >>> m = Melody(notes=tuple(Note(60 + i, i * 0.25, 0.25) for i in range(8)), meter=Meter(2, 4), bars=1)
    >>> out = swing_melody(m, style="irish-hornpipe")
    >>> out.pairs, [(n.onset, n.duration) for n in out.melody.notes[:3]], out.melody.notes[-1].duration
    (3, [(0.0, 0.375), (0.375, 0.125), (0.5, 0.375)], 0.25)
    """
    found = style_swing(style)
    if found is None or len(melody.notes) < 2:
        return Swung(melody=melody, pairs=0)
    name, share = found
    span = float(share) * melody.bar_length
    long = float(SWINGS[name]) * span
    notes, index, changed = list(melody.notes), 0, 0
    while index < len(notes) - 2:  # the last note is the held ending: never part of a pair
        a, b = notes[index], notes[index + 1]
        offset = a.onset - (melody.bar_of(a.onset) - 1) * melody.bar_length
        on_pulse = abs(offset / span - round(offset / span)) < EPS
        even = abs(a.duration - span / 2) < EPS and abs(b.duration - span / 2) < EPS
        joined = abs(b.onset - a.end) < EPS
        wanted = bars is None or melody.bar_of(a.onset) in bars
        if on_pulse and even and joined and wanted:
            notes[index] = replace(a, duration=snap(long))
            notes[index + 1] = replace(b, onset=snap(a.onset + long), duration=snap(span - long))
            changed += 1
            index += 2
        else:
            index += 1
    if not changed:
        return Swung(melody=melody, pairs=0, swing=name)
    return Swung(melody=replace(melody, notes=tuple(notes)), pairs=changed, swing=name)


def rhythm_pairs(melody: Melody) -> Counter:
    """Two-note groups of a quarter note or less, read left to right as a musician groups them:
    two notes with no gap between them, the first on a multiple of their joint span from the
    bar line, lengths 1:1 ("even"), 3:1 ("dotted", long-short) or 1:3 ("snap", the Scotch snap).

    >>> from tunesmith.tokenization.music import Note
    >>> sorted(rhythm_pairs(Melody(notes=(Note(60, 0, .75), Note(62, .75, .25), Note(64, 1, .5), Note(65, 1.5, .5),
    ...                                   Note(67, 2, .25), Note(65, 2.25, .75), Note(64, 3, 1)))).items())
    [('dotted', 1), ('even', 1), ('snap', 1)]
    """
    kinds: Counter = Counter()
    notes, bar, index = melody.notes, melody.bar_length, 0
    while index < len(notes) - 1:
        a, b = notes[index], notes[index + 1]
        span = a.duration + b.duration
        ratio = a.duration / b.duration if b.duration > 0 else 0.0
        position = (a.onset % bar) / span if span > 0 else 0.5
        kind = next((k for k, r in (("even", 1.0), ("dotted", 3.0), ("snap", 1 / 3)) if abs(ratio - r) < 1e-3), None)
        if (kind is not None and span <= PAIR_SPAN_MAX + 1e-9 and abs(b.onset - a.end) < 1e-4
                and abs(position - round(position)) < 1e-3):
            kinds[kind] += 1
            index += 2
        else:
            index += 1
    return kinds


def dotted_share(melody: Melody) -> float | None:
    """Share of the short two-note groups (rhythm_pairs) that are dotted or snapped rather than
    even; None when the melody has no such groups.

    >>> from tunesmith.tokenization.music import Note
    >>> dotted_share(Melody(notes=(Note(60, 0, .75), Note(62, .75, .25), Note(64, 1, .5), Note(65, 1.5, .5), Note(67, 2, 2))))
    0.5
    """
    kinds = rhythm_pairs(melody)
    total = sum(kinds.values())
    return (kinds["dotted"] + kinds["snap"]) / total if total else None

