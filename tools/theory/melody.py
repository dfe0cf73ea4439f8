"""Shape checks of a melody: bar structure, range for a voice, leaps, degenerate lines.

These work on the Melody itself: music21 adds nothing to integer pitches and times, and
a Melody's bars are whole by construction, so what can break is notes past the last bar,
off-grid times and silent bars.
"""

from __future__ import annotations

import math
import re

from ...tokenization.music import GRID, Melody
from ...tokenization.pitch import note_name
from ..errors import ToolError
from ..types import Finding

# Comfortable choir ranges (anchors §3.3); 'any' is the piano keyboard.
VOICE_RANGES: dict[str, tuple[int, int]] = {
    "soprano": (60, 81),  # C4-A5
    "alto": (53, 74),  # F3-D5
    "tenor": (48, 69),  # C3-A4
    "bass": (40, 64),  # E2-E4
    "any": (21, 108),  # A0-C8
}
EPS = 1e-6
# A line that see-saws between two pitches (or sticks on one) for this many bars, over at least
# RUN_NOTES notes, is degenerate.  In the 8-bar openings of the corpus tunes that happens in 0% of
# reels and hornpipes, 0.4% of jigs, 0.7% of Irish airs, 1.6% of Scottish airs, 4% of fife tunes
# (drumming on repeated notes) and 7.5% of German folk songs; eval/eval_melody measures it
# (two_pitch_run_bars, degenerate) on the held-out tunes beside the generated ones.
RUN_BARS = 2.0
RUN_NOTES = 8
ONE_RHYTHM_NOTES = 8  # "one rhythm value throughout" needs this many notes to mean anything


def to_midi(value: int | str) -> int:
    """A MIDI number from an int or a name such as 'Bb3', 'F#5', 'C4'.

    >>> to_midi("Bb3"), to_midi("C4"), to_midi(64)
    (58, 60, 64)
    """
    if isinstance(value, int):
        return value
    from music21 import pitch

    text = re.sub(r"^([A-Ga-g])b", r"\1-", str(value).strip())
    try:
        return int(pitch.Pitch(text).midi)
    except Exception as err:  # music21 raises several types for bad names
        raise ToolError(f"cannot read the note name {value!r}; write it like 'C4' or 'Bb3'") from err


def resolve_range(*, voice: str | None = None, range_=None) -> tuple[str, int, int] | None:
    """(label, low, high) for a voice name or a custom (low, high); a custom range wins."""
    if range_ is not None:
        low, high = (to_midi(v) for v in range_)
        if low > high:
            raise ToolError(f"the range {range_} has its low note above its high note")
        return "the requested range", low, high
    if voice is None:
        return None
    name = voice.strip().lower()
    if name not in VOICE_RANGES:
        raise ToolError(f"unknown voice {voice!r}; use one of {', '.join(VOICE_RANGES)}")
    low, high = VOICE_RANGES[name]
    return ("an instrument's range" if name == "any" else f"the {name} range"), low, high


def _on_grid(value: float) -> bool:
    return abs(value * GRID - round(value * GRID)) < 1e-4


def check_structure(melody: Melody) -> list[Finding]:
    """Bars are whole and used: no notes past the last bar, no off-grid times, no silent bars.

    A pickup (leading rest shorter than a bar) is fine; notes across bar lines are ties.
    """
    if not melody.notes:
        return [Finding("no_notes", "error", "the melody has no notes")]
    findings = []
    bar_len = melody.bar_length
    end = max(n.end for n in melody.notes)
    if end > melody.length + EPS:
        extra = tuple(range(melody.bars + 1, math.ceil(end / bar_len - EPS) + 1))
        findings.append(Finding("bar_overflow", "error",
                                f"notes run past the last bar ({melody.bars}) into {len(extra)} more", extra,
                                round(end - melody.length, 4)))
    off = tuple(sorted({melody.bar_of(n.onset) for n in melody.notes
                        if not (_on_grid(n.onset) and _on_grid(n.duration))}))
    if off:
        findings.append(Finding("off_grid", "error", "some notes start or end off the rhythmic grid", off))
    sounding = set()
    for n in melody.notes:
        sounding.update(range(melody.bar_of(n.onset), melody.bar_of(n.end - EPS) + 1))
    last = max(sounding)
    empty = tuple(b for b in range(1, last) if b not in sounding)
    if empty:
        findings.append(Finding("empty_bar", "warning",
                                f"{len(empty)} bar{'s are' if len(empty) > 1 else ' is'} silent inside the melody",
                                empty, float(len(empty))))
    trailing = tuple(range(last + 1, melody.bars + 1))
    if trailing:
        findings.append(Finding("trailing_empty_bars", "warning",
                                f"the melody ends {len(trailing)} bar(s) before its last bar", trailing,
                                float(len(trailing))))
    return findings


def check_range(melody: Melody, *, voice: str | None = None, range_=None) -> list[Finding]:
    """The melody's span (info) and, when a voice or (low, high) is asked for, notes outside it."""
    if not melody.notes:
        return []
    low_note = min(n.pitch for n in melody.notes)
    high_note = max(n.pitch for n in melody.notes)
    findings = [Finding("range_span", "info",
                        f"range {note_name(low_note)}-{note_name(high_note)} ({high_note - low_note} semitones)",
                        value=float(high_note - low_note))]
    wanted = resolve_range(voice=voice, range_=range_)
    if wanted is None:
        return findings
    label, low, high = wanted
    above = [n for n in melody.notes if n.pitch > high]
    below = [n for n in melody.notes if n.pitch < low]
    if above:
        findings.append(Finding(
            "range_high", "error",
            f"{len(above)} note(s) above {label} (top {note_name(high)}); highest is {note_name(high_note)}",
            tuple(sorted({melody.bar_of(n.onset) for n in above})), float(high_note - high)))
    if below:
        findings.append(Finding(
            "range_low", "error",
            f"{len(below)} note(s) below {label} (bottom {note_name(low)}); lowest is {note_name(low_note)}",
            tuple(sorted({melody.bar_of(n.onset) for n in below})), float(low - low_note)))
    return findings


def interval_name(semitones: int) -> str:
    """'a minor sixth' for 8 semitones (music21's name, lower case).

    >>> interval_name(13), interval_name(-9)
    ('a minor ninth', 'a major sixth')
    """
    from music21 import interval

    return "a " + interval.Interval(abs(semitones)).niceName.lower()


def check_leaps(melody: Melody, *, threshold: int = 7, recover_within: int = 2,
                phrase_gap: float = 1.0) -> list[Finding]:
    """Leaps wider than `threshold` semitones that the next note does not answer by moving back.

    Recovery = the next move goes the other way by 1..`recover_within` semitones (2: a step;
    12: any move back, the anchors' looser rule). Leaps over an octave are flagged anyway.
    A rest of `phrase_gap` quarters or more starts a new phrase, so no leap spans it.
    """
    notes = melody.notes
    findings = []
    for i in range(1, len(notes)):
        before, here = notes[i - 1], notes[i]
        if here.onset - before.end >= phrase_gap - EPS:
            continue
        jump = here.pitch - before.pitch
        if abs(jump) <= threshold:
            continue
        after = notes[i + 1] if i + 1 < len(notes) else None
        if after is None or after.onset - here.end >= phrase_gap - EPS:
            recovered = True  # the phrase ends on the leap: nothing to answer it
        else:
            back = after.pitch - here.pitch
            recovered = back * jump < 0 and abs(back) <= recover_within
        way = "up" if jump > 0 else "down"
        bar = (melody.bar_of(here.onset),)
        if abs(jump) > 12:
            findings.append(Finding("leap_too_large", "warning",
                                    f"{interval_name(jump)} {way} ({abs(jump)} semitones) is hard to sing",
                                    bar, float(abs(jump))))
        elif not recovered:
            findings.append(Finding("leap_unrecovered", "warning",
                                    f"{interval_name(jump)} {way} is not followed by a step back", bar,
                                    float(abs(jump))))
    return findings



def two_pitch_run(melody: Melody) -> tuple[float, float, tuple[int, ...]]:
    """(bars, start in quarters, pitches) of the longest stretch of consecutive notes that uses two
    pitches or fewer: a line see-sawing between two notes, or stuck on one.  len(pitches) is
    the number of notes in it; the melody's final note, held to the end whatever came before,
    counts for one beat.

    >>> from tunesmith.tokenization.music import Note
    >>> m = Melody(notes=tuple(Note(62 + 2 * (i % 2), i * 0.5, 0.5) for i in range(16)) + (Note(67, 8.0, 4.0),), bars=3)
    >>> bars, start, pitches = two_pitch_run(m)
    >>> bars, start, len(pitches), sorted(set(pitches))
    (2.0, 0.0, 16, [62, 64])
    """
    notes = melody.notes
    best, left, counts = (0.0, 0.0, ()), 0, {}
    for right, note in enumerate(notes):
        counts[note.pitch] = counts.get(note.pitch, 0) + 1
        while len(counts) > 2:
            gone = notes[left].pitch
            counts[gone] -= 1
            if not counts[gone]:
                del counts[gone]
            left += 1
        end = note.end if right + 1 < len(notes) else note.onset + min(note.duration, melody.meter.beat_length)
        span = (end - notes[left].onset) / melody.bar_length  # the held final note counts one beat
        if span > best[0] + EPS:
            best = (round(span, 4), notes[left].onset, tuple(n.pitch for n in notes[left:right + 1]))
    return best


def rhythm_values(melody: Melody) -> dict[float, int]:
    """How many notes have each duration (quarters), the final note left out: it is held to
    the end whatever the rhythm before it."""
    counts: dict[float, int] = {}
    for note in melody.notes[:-1]:
        counts[round(note.duration, 4)] = counts.get(round(note.duration, 4), 0) + 1
    return counts


def check_monotony(melody: Melody) -> list[Finding]:
    """Degenerate lines, which the melody tools rank below every other candidate: two pitches
    see-sawing for RUN_BARS bars or more, and one rhythm value throughout (every note but the
    final one the same length: 6-7% of real reel and jig openings, 1% or less of the others;
    20-40% of the shipped model's 8-bar reels, jigs and hornpipes before this check)."""
    findings = []
    bars, start, pitches = two_pitch_run(melody)
    if bars >= RUN_BARS - EPS and len(pitches) >= RUN_NOTES:
        names = " and ".join(note_name(p) for p in sorted(set(pitches)))
        first, last = melody.bar_of(start), melody.bar_of(start + bars * melody.bar_length - EPS)
        findings.append(Finding("two_note_run", "warning",
                                f"{len(pitches)} notes in a row move only between {names} ({bars:g} bars)",
                                tuple(range(first, last + 1)), bars))
    values = rhythm_values(melody)
    if len(values) == 1 and len(melody.notes) >= ONE_RHYTHM_NOTES:
        (length, _), = values.items()
        findings.append(Finding("one_rhythm", "warning",
                                f"every note but the last lasts {length:g} quarter(s): one rhythm throughout",
                                value=length))
    return findings
