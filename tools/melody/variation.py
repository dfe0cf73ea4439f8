"""How closely a variation follows its original: rhythm, contour and changed pitches.

`vary_melody` (compose) picks, step by step, the model's continuation that follows the
original's onsets and up/down motion while changing its pitches; eval/eval_melody measures
whole variations with the same parts.
"""

from __future__ import annotations

from dataclasses import replace

from ...tokenization.music import Melody, snap

# eval_melody --vary, 3 styles x 2 melodies: contour weight 1 with 2-bar steps of 6 candidates
# followed the original's up/down motion 0.54 of the time, weight 2 with 1-bar steps of 8: 0.72.
CONTOUR_WEIGHT = 2.0

def notes_between(melody: Melody, lo: float, hi: float) -> tuple:
    """The notes starting in [lo, hi) quarters."""
    return tuple(n for n in melody.notes if lo - 1e-9 <= n.onset < hi - 1e-9)


def within(notes: tuple, end: float) -> tuple:
    """Notes cut at `end` (a note sampled across the step's last bar line would overlap the next step)."""
    return tuple(n if n.end <= end + 1e-9 else replace(n, duration=snap(end - n.onset)) for n in notes)


def last_pitch(melody: Melody, before: float) -> int | None:
    """The pitch of the last note starting before `before` quarters (None: none does)."""
    earlier = [n.pitch for n in melody.notes if n.onset < before - 1e-9]
    return earlier[-1] if earlier else None


def likeness(original: tuple, candidate: tuple, *, before: int | None = None, was: int | None = None) -> float:
    """How well `candidate` notes vary `original` (the same stretch of time): rhythm plus
    CONTOUR_WEIGHT x contour less half the same-pitch share (`likeness_parts`; a copy is no variation).

    >>> from tunesmith.tokenization.music import Note
    >>> line = lambda *ps: tuple(Note(p, i * 0.5, 0.5) for i, p in enumerate(ps))
    >>> a = line(62, 64, 66, 64)
    >>> likeness(a, line(64, 66, 69, 66), before=60, was=60), likeness(a, a, before=60, was=60)
    (3.0, 2.5)
    >>> likeness(a, line(66, 64, 62, 64), before=60, was=60)  # same rhythm, contour turned over
    1.25
    """
    rhythm, contour, same = likeness_parts(original, candidate, before=before, was=was)
    return rhythm + CONTOUR_WEIGHT * contour - 0.5 * same


def likeness_parts(original: tuple, candidate: tuple, *, before: int | None = None,
                   was: int | None = None) -> tuple[float, float, float]:
    """(rhythm, contour, same), each 0..1: the share of onsets the two note lists share, of
    up/down/same moves between the original's onsets that agree, and of the original's onsets
    where the candidate sounds the same pitch.  `was` / `before`: the pitch sounding just before
    the stretch in the original / the candidate."""
    if not original or not candidate:
        return 0.0, 0.0, 0.0
    grid_a = {round(n.onset * 12) for n in original}
    grid_b = {round(n.onset * 12) for n in candidate}
    rhythm = len(grid_a & grid_b) / len(grid_a | grid_b)

    def sounding(notes: tuple, at: float, fallback: int | None) -> int | None:
        pitch = fallback
        for note in notes:
            if note.onset <= at + 1e-9:
                pitch = note.pitch
        return pitch

    times = [n.onset for n in original]
    ours = [was] + [n.pitch for n in original]
    theirs = [before] + [sounding(candidate, t, before) for t in times]
    moves = [(a, b, c, d) for a, b, c, d in zip(ours, ours[1:], theirs, theirs[1:]) if None not in (a, b, c, d)]
    sign = lambda x: (x > 0) - (x < 0)
    contour = sum(sign(b - a) == sign(d - c) for a, b, c, d in moves) / len(moves) if moves else 0.0
    same = sum(p == q for p, q in zip(ours[1:], theirs[1:])) / len(times)
    return rhythm, contour, same
