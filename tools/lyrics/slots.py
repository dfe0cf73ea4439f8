"""Syllable slots of a melody: phrases, the notes that take a syllable, and how strong each is.

A lyric is fitted phrase by phrase: each phrase becomes one line, each slot one syllable.
Phrases end at rests, at long notes and at cadences (a long note on the tonic or at a
two-bar boundary); a phrase longer than `max_syllables` is cut at its best break.  Metric
strength follows music21's `beatStrength` (1.0 on the downbeat, 0.5 on the bar's main
subdivision, 0.25 on the beats below it, …), computed here so the CLI need not import
music21; `tests/test_lyrics.py` checks the two agree.  A melisma (one syllable over several
notes) happens only where asked: on given note indices, or on short passing notes with
`melisma="auto"`.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection
from dataclasses import dataclass

from ...tokenization.music import Melody
from ..errors import ToolError

MAX_LEVEL = 6


@dataclass(frozen=True, slots=True)
class Slot:
    """One syllable's place: the note that carries it plus any melisma notes after it."""

    notes: tuple[int, ...]  # indices into melody.notes; the first carries the syllable
    onset: float
    duration: float  # from the first note's onset to the last note's end
    pitch: int  # pitch of the first note
    strength: float  # metric strength of the first note, 1.0 = downbeat

    @property
    def downbeat(self) -> bool:
        return self.strength >= 1.0


@dataclass(frozen=True, slots=True)
class Phrase:
    """The slots of one lyric line and why the phrase ends there."""

    slots: tuple[Slot, ...]
    end: str  # "rest", "long", "cadence", "cut" or "end"

    @property
    def syllables(self) -> int:
        return len(self.slots)

    @property
    def strengths(self) -> tuple[float, ...]:
        return tuple(s.strength for s in self.slots)

    def stress_pattern(self) -> str:
        """One digit per slot, 4 = downbeat … 0 = weakest, the form drafters receive.

        >>> Phrase((Slot((0,), 0, 1, 60, 1.0), Slot((1,), 1, 1, 62, 0.25)), "end").stress_pattern()
        '42'
        """
        return "".join(str(strength_digit(s)) for s in self.strengths)

    def contour(self) -> str:
        """Semitone steps between consecutive slots, the form drafters receive.

        >>> Phrase((Slot((0,), 0, 1, 60, 1.0), Slot((1,), 1, 1, 62, 0.25), Slot((2,), 2, 1, 61, 0.5)), "end").contour()
        '+2 -1'
        """
        pitches = [s.pitch for s in self.slots]
        return " ".join(f"{b - a:+d}" if b != a else "0" for a, b in zip(pitches, pitches[1:]))


def strength_digit(strength: float) -> int:
    """4 for 1.0, 3 for 0.5, 2 for 0.25, 1 for 0.125, 0 below.

    >>> [strength_digit(x) for x in (1.0, 0.5, 0.25, 0.125, 0.0625)]
    [4, 3, 2, 1, 0]
    """
    for digit, bound in ((4, 1.0), (3, 0.5), (2, 0.25), (1, 0.125)):
        if strength >= bound - 1e-9:
            return digit
    return 0


def _divisions(numerator: int) -> list[int]:
    """How a bar splits level by level before halving takes over (music21's grouping)."""
    if numerator > 3 and numerator % 3 == 0:  # compound: 6/8, 9/8, 12/8, 6/4
        beats = numerator // 3
        return ([2, 2] if beats == 4 else [beats]) + [3]
    return {1: [], 4: [2, 2], 8: [2, 2, 2]}.get(numerator, [numerator])


def beat_strength(onset: float, melody: Melody) -> float:
    """Metric strength of a time in a melody's bars, as music21's `beatStrength`.

    >>> from tunesmith.tokenization.music import Meter
    >>> m = Melody(notes=(), meter=Meter(4, 4), bars=1)
    >>> [beat_strength(t, m) for t in (0, 1, 2, 3, 0.5)]
    [1.0, 0.25, 0.5, 0.25, 0.125]
    >>> m68 = Melody(notes=(), meter=Meter(6, 8), bars=1)
    >>> [beat_strength(t, m68) for t in (0, 0.5, 1.5, 2.0)]
    [1.0, 0.25, 0.5, 0.25]
    """
    bar = melody.bar_length
    position = onset % bar
    if min(position, bar - position) < 1e-6:
        return 1.0
    unit = bar
    divisions = _divisions(melody.meter.numerator)
    for level in range(1, MAX_LEVEL + 1):
        unit /= divisions[level - 1] if level <= len(divisions) else 2
        ratio = position / unit
        if abs(ratio - round(ratio)) < 1e-6:
            return 1.0 / 2 ** level
    return 1.0 / 2 ** (MAX_LEVEL + 1)


def beat_length(melody: Melody) -> float:
    """Quarter lengths in one counted beat (a dotted quarter in 6/8)."""
    meter = melody.meter
    unit = 4 / meter.denominator
    return unit * 3 if meter.numerator > 3 and meter.numerator % 3 == 0 else unit


def _melisma_notes(melody: Melody, melisma: bool | str | Collection[int]) -> set[int]:
    """Indices of notes that continue the previous syllable."""
    if melisma is False or melisma is None:
        return set()
    if melisma is True or melisma == "auto":
        notes = melody.notes
        chosen: set[int] = set()
        for i in range(1, len(notes)):
            prev, cur = notes[i - 1], notes[i]
            passing = (cur.onset - prev.end < 1e-6 and cur.duration <= prev.duration / 2 + 1e-9
                       and abs(cur.pitch - prev.pitch) <= 2 and cur.pitch != prev.pitch
                       and beat_strength(cur.onset, melody) < beat_strength(prev.onset, melody))
            if passing and (i - 1) not in chosen:
                chosen.add(i)
        return chosen
    if isinstance(melisma, str):
        raise ToolError(f"melisma must be 'auto', true/false or note numbers, not {melisma!r}")
    bad = [i for i in melisma if not 0 < i < len(melody.notes)]
    if bad:
        raise ToolError(f"melisma note {bad[0]} is not a note after the first (the melody has {len(melody.notes)})")
    return set(melisma)


def _break_scores(melody: Melody) -> list[float]:
    """Score of a phrase break after each note: large after rests, long notes and cadences."""
    notes = melody.notes
    median = statistics.median(n.duration for n in notes)
    beat = beat_length(melody)
    tonic = melody.key.pitch_class if melody.key is not None else None
    scores = []
    for i, note in enumerate(notes):
        if i + 1 == len(notes):
            scores.append(100.0)
            continue
        gap = notes[i + 1].onset - note.end
        score = 0.0
        if gap >= beat / 2 - 1e-6:
            score += 10.0
        if note.duration >= max(beat, 1.5 * median) - 1e-6:
            score += 2.0
            if note.duration >= 2 * median:
                score += 1.0
            if tonic is not None and note.pitch % 12 in (tonic, (tonic + 7) % 12):
                score += 0.5
        next_onset = notes[i + 1].onset
        if abs(next_onset / melody.bar_length - round(next_onset / melody.bar_length)) < 1e-6:
            score += 0.5
            if round(next_onset / melody.bar_length) % 2 == 0:
                score += 0.5
            elif score < 10:
                score -= 1.5  # songs phrase in two-bar units: a long note in an odd bar is a breath, not a line end
        elif score < 10:
            score -= 1.0  # nor does a line end inside a bar, unless a rest ends it there
        scores.append(score)
    return scores


def _segment(scores: list[float], lo: int, hi: int, *, min_len: int, max_len: int) -> list[int]:
    """Break points (exclusive ends) in notes[lo:hi] with lengths in [min_len, max_len] that
    maximise the total break score above a threshold (dynamic programming)."""
    n = hi - lo
    best: list[tuple[float, list[int]] | None] = [None] * (n + 1)
    best[0] = (0.0, [])
    for end in range(1, n + 1):
        for length in range(min_len, max_len + 1):
            start = end - length
            if start < 0 or best[start] is None:
                continue
            gain = best[start][0] + (scores[lo + end - 1] - 2.5 if end < n else 0.0) - 0.02 * abs(length - 8)
            if best[end] is None or gain > best[end][0] + 1e-9:
                best[end] = (gain, best[start][1] + [lo + end])
    if best[n] is None:  # too short for min_len: one phrase
        return [hi]
    return best[n][1]


def _reason(score: float, last: bool) -> str:
    if last:
        return "end"
    if score >= 10:
        return "rest"
    if score >= 3:
        return "cadence"
    return "long" if score >= 2 else "cut"


def melody_phrases(melody: Melody, *, melisma: bool | str | Collection[int] = False,
                   min_syllables: int = 4, max_syllables: int = 12) -> tuple[Phrase, ...]:
    """Split a melody into lyric phrases of syllable slots.

    Rests of half a beat or more always end a phrase, unless the part before would have fewer
    than `min_syllables` slots (a pickup note joins the phrase it leads into)."""
    if not melody.notes:
        raise ToolError("the melody has no notes, so there is nothing to put words to")
    if not 1 <= min_syllables <= max_syllables:
        raise ToolError(f"min_syllables {min_syllables} must be between 1 and max_syllables {max_syllables}")
    continuing = _melisma_notes(melody, melisma)
    notes = melody.notes
    scores = _break_scores(melody)
    # a note that a melisma carries on from cannot end a phrase
    for i in continuing:
        scores[i - 1] = -100.0
    heads = [i for i in range(len(notes)) if i not in continuing]
    ends = [nxt - 1 for nxt in heads[1:]] + [len(notes) - 1]  # last note of each slot
    slot_scores = [scores[e] for e in ends]
    hard = [k + 1 for k, s in enumerate(slot_scores) if s >= 10]
    chunks, start = [], 0
    for end in hard:
        if end - start >= min_syllables or end == len(heads):
            chunks.append((start, end))
            start = end
    if start < len(heads):
        if chunks and len(heads) - start < min_syllables:
            chunks[-1] = (chunks[-1][0], len(heads))
        else:
            chunks.append((start, len(heads)))
    phrases = []
    for lo, hi in chunks:
        begin = lo
        for cut in _segment(slot_scores, lo, hi, min_len=min(min_syllables, hi - lo), max_len=max_syllables):
            slots = []
            for k in range(begin, cut):
                first, last = heads[k], ends[k]
                members = tuple(range(first, last + 1))
                slots.append(Slot(notes=members, onset=notes[first].onset,
                                  duration=notes[last].end - notes[first].onset, pitch=notes[first].pitch,
                                  strength=beat_strength(notes[first].onset, melody)))
            phrases.append(Phrase(slots=tuple(slots), end=_reason(slot_scores[cut - 1], cut == len(heads))))
            begin = cut
    return tuple(phrases)


def lyric_slots(melody: Melody) -> tuple[Slot, ...]:
    """The slots of a melody that already has lyrics: one per note with a syllable, the notes
    without one after it as its melisma (for measuring real songs)."""
    notes = melody.notes
    heads = [i for i, n in enumerate(notes) if n.lyric is not None and n.lyric.text.strip()]
    slots = []
    for k, first in enumerate(heads):
        last = (heads[k + 1] if k + 1 < len(heads) else len(notes)) - 1
        while last > first and notes[last].onset - notes[last - 1].end > 1e-6:
            last -= 1  # a rest ends the melisma
        slots.append(Slot(notes=tuple(range(first, last + 1)), onset=notes[first].onset,
                          duration=notes[last].end - notes[first].onset, pitch=notes[first].pitch,
                          strength=beat_strength(notes[first].onset, melody)))
    return tuple(slots)
