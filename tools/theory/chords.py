"""How well a melody sits on its chords (anchors §3.2: CTR, CTnCTR, PCS), overall and per bar.

Each note is judged against the chord sounding at its onset. Chord pitches come from
music21's ChordSymbol after the flats fix ('Bb7' → 'B-7'); a symbol music21 cannot read
is an error, because every later step (voicing, export) would fail on it too.
Reference values: Bach soprano CTR 0.96 / PCS 0.70; a lead sheet with one chord per bar
about CTR 0.75 / PCS 0.50 / CTnCTR 0.96. So a bar is "poor" only when it is mostly
non-chord tones *and* dissonant on balance.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from ...tokenization.m21 import chord_symbol_to_m21
from ...tokenization.music import Song
from ..types import Finding

NO_CHORD = frozenset({"n.c.", "nc", "n.c", "no chord", "-"})
EPS = 1e-6


def chord_pitch_classes(symbol: str) -> frozenset[int] | None:
    """Pitch classes of a chord symbol in people's spelling; None when music21 cannot read it.

    >>> sorted(chord_pitch_classes("Bb7")), sorted(chord_pitch_classes("F#m")), chord_pitch_classes("H7")
    ([2, 5, 8, 10], [1, 6, 9], None)
    """
    from music21 import harmony

    try:
        pcs = frozenset(harmony.ChordSymbol(chord_symbol_to_m21(symbol)).pitchClasses)
    except Exception:  # music21 raises ValueError and others for unknown figures
        return None
    return pcs or None


def consonance(pc: int, chord: frozenset[int]) -> float:
    """Mean PCS score of one pitch class against a chord: +1 consonant, 0 a fourth above, -1 else.

    >>> consonance(4, frozenset({0, 4, 7})), round(consonance(2, frozenset({0, 4, 7})), 3)
    (1.0, -0.333)
    """
    def score(i: int) -> int:
        return 1 if i in (0, 3, 4, 7, 8, 9) else (0 if i == 5 else -1)

    return sum(score((pc - c) % 12) for c in chord) / len(chord)


@dataclass(frozen=True, slots=True)
class ChordFit:
    """Duration-weighted fit of the notes that have a chord: overall and per bar."""

    ctr: float
    ctnctr: float
    pcs: float
    covered: float  # quarter lengths of melody that sound over a readable chord
    bars: tuple[tuple[int, float, float, float], ...]  # (bar, ctr, pcs, covered)


def chord_fit(song: Song, chords: dict[str, frozenset[int] | None]) -> ChordFit:
    """Compute CTR, CTnCTR and PCS; `chords` maps each symbol to its pitch classes (None = skip)."""
    events = sorted(song.chords, key=lambda c: c.onset)
    onsets = [c.onset for c in events]
    notes = song.melody.notes
    chord_t = nonchord_t = resolved_t = pcs_sum = 0.0
    per_bar: dict[int, list[float]] = {}
    for i, n in enumerate(notes):
        k = bisect.bisect_right(onsets, n.onset + EPS) - 1
        if k < 0 or n.onset >= events[k].onset + events[k].duration - EPS:
            continue
        pcs = chords.get(events[k].symbol)
        if not pcs:
            continue
        d = n.duration
        inside = n.pitch % 12 in pcs
        cons = consonance(n.pitch % 12, pcs)
        if inside:
            chord_t += d
        else:
            nonchord_t += d
            if i + 1 < len(notes) and abs(notes[i + 1].pitch - n.pitch) <= 2:
                resolved_t += d
        pcs_sum += cons * d
        acc = per_bar.setdefault(song.melody.bar_of(n.onset), [0.0, 0.0, 0.0])
        acc[0] += d * inside
        acc[1] += d * cons
        acc[2] += d
    covered = chord_t + nonchord_t
    if covered <= 0:
        return ChordFit(1.0, 1.0, 1.0, 0.0, ())
    bars = tuple((b, a[0] / a[2], a[1] / a[2], a[2]) for b, a in sorted(per_bar.items()))
    return ChordFit(ctr=chord_t / covered, ctnctr=(chord_t + resolved_t) / covered, pcs=pcs_sum / covered,
                    covered=covered, bars=bars)


def check_chord_fit(song: Song, *, min_ctr: float = 0.5, min_bar_ctr: float = 1 / 3,
                    min_bar_pcs: float = 0.0) -> list[Finding]:
    """Unreadable chords (errors), overall fit (info, or a warning below `min_ctr`), clashing bars."""
    if not song.chords:
        return []
    melody = song.melody
    findings = []
    chords: dict[str, frozenset[int] | None] = {}
    where: dict[str, list[int]] = {}
    for event in song.chords:
        if event.symbol not in chords:
            skip = event.symbol.strip().lower() in NO_CHORD
            chords[event.symbol] = None if skip else chord_pitch_classes(event.symbol)
        if chords[event.symbol] is None and event.symbol.strip().lower() not in NO_CHORD:
            where.setdefault(event.symbol, []).append(melody.bar_of(event.onset))
    for symbol, bars in where.items():
        findings.append(Finding("chord_unreadable", "error",
                                f"the chord symbol {symbol!r} cannot be read (write e.g. 'Bb7', 'F#m', 'Cmaj7')",
                                tuple(sorted(set(bars)))))
    late = tuple(sorted({melody.bar_of(c.onset) for c in song.chords if c.onset >= melody.length - EPS}))
    if late:
        findings.append(Finding("chord_past_end", "warning", "some chords start after the melody's last bar", late))
    fit = chord_fit(song, chords)
    if fit.covered <= 0:
        return findings
    line = f"{fit.ctr:.0%} of the melody is on chord tones (CTnCTR {fit.ctnctr:.2f}, consonance {fit.pcs:+.2f})"
    if fit.ctr < min_ctr:
        findings.append(Finding("chord_fit_poor", "warning", f"the melody often ignores its chords: {line}",
                                value=round(fit.ctr, 3)))
    else:
        findings.append(Finding("chord_fit", "info", line, value=round(fit.ctr, 3)))
    for bar, ctr, pcs, _covered in fit.bars:
        if ctr < min_bar_ctr - EPS and pcs < min_bar_pcs:
            lo, hi = (bar - 1) * melody.bar_length, bar * melody.bar_length
            names = sorted({c.symbol for c in song.chords if c.onset < hi - EPS and c.onset + c.duration > lo + EPS})
            findings.append(Finding("chord_clash", "warning",
                                    f"the melody clashes with {', '.join(names)} (chord tones {ctr:.0%})",
                                    (bar,), round(pcs, 3)))
    return findings
