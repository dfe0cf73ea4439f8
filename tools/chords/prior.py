"""How likely one chord follows another, before looking at the melody.

Chorales: Roman-numeral (key-relative chord) bigrams counted from the Bach-derived data,
smoothed towards the unigram distribution.  Lead sheets: a triad prior built from function
(tonic -> subdominant -> dominant -> tonic) and how common each chord is in folk and pop
songs, so a V7 resolves home, IV goes to V or I, and the tonic dominates.  Both give
log-probabilities over the candidate chords of a key.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .tables import CHORALE_BIGRAMS, CHORALE_UNIGRAMS
from .vocab import CHORALE, LEAD_SHEET, Chord, parallel_mode

SMOOTHING = 8.0  # pseudo-counts of the unigram backoff in the chorale bigrams
# How common each key-relative chord is in lead sheets (relative weights per mode).
LEAD_SHEET_WEIGHTS: dict[str, dict[str, float]] = {
    "major": {"0:maj": 1.0, "7:maj": 0.7, "5:maj": 0.7, "7:7": 0.35, "9:min": 0.4, "2:min": 0.3, "4:min": 0.12},
    "minor": {"0:min": 1.0, "7:maj": 0.55, "7:7": 0.35, "5:min": 0.5, "8:maj": 0.4, "3:maj": 0.5,
              "10:maj": 0.45, "7:min": 0.15},
    "dorian": {"0:min": 1.0, "5:maj": 0.6, "10:maj": 0.5, "3:maj": 0.3, "7:min": 0.3, "2:min": 0.2},
    "mixolydian": {"0:maj": 1.0, "10:maj": 0.6, "5:maj": 0.6, "7:min": 0.25, "2:min": 0.2, "9:min": 0.2},
}
# Function-to-function weights (T, S, D): dominants resolve, subdominants move on.
FUNCTION_FLOW = {
    "T": {"T": 0.8, "S": 1.0, "D": 0.9, "A": 0.3},
    "S": {"T": 0.6, "S": 0.6, "D": 1.3, "A": 0.3},
    "D": {"T": 1.6, "S": 0.25, "D": 0.5, "A": 0.2},
    "A": {"T": 0.6, "S": 0.6, "D": 1.2, "A": 0.3},
}
SEVENTH_RESOLVES = 2.0  # V7 -> I is more certain than V -> I


def unigram_logprobs(chords: Sequence[Chord], family: str, mode: str) -> np.ndarray:
    """log P(chord) over the candidates (normalised among them)."""
    if family == CHORALE:
        counts = CHORALE_UNIGRAMS[parallel_mode(mode)]
        weights = np.array([counts.get(c.label, 0) + 1.0 for c in chords])
    else:
        table = LEAD_SHEET_WEIGHTS[mode]
        weights = np.array([table.get(c.label, 0.05) for c in chords])
    return np.log(weights / weights.sum())


def transition_logprobs(chords: Sequence[Chord], family: str, mode: str, *, change: float = 0.5) -> np.ndarray:
    """Matrix [a, b] = log P(next = b | previous = a) over the candidates.

    `change` is the style's chance that the chord changes from one slot to the next when the
    counts say nothing about it (lead sheets: about one change per bar in folk songs).
    """
    n = len(chords)
    if family == CHORALE:
        mode = parallel_mode(mode)
        uni = CHORALE_UNIGRAMS[mode]
        bi = CHORALE_BIGRAMS[mode]
        base = np.array([uni.get(c.label, 0) + 1.0 for c in chords])
        base = base / base.sum()
        matrix = np.empty((n, n))
        for i, a in enumerate(chords):
            row = np.array([bi.get(f"{a.label}>{b.label}", 0) for b in chords], dtype=float)
            matrix[i] = (row + SMOOTHING * base) / (row.sum() + SMOOTHING)
    elif family == LEAD_SHEET:
        table = LEAD_SHEET_WEIGHTS[mode]
        base = np.array([table.get(c.label, 0.05) for c in chords])
        matrix = np.empty((n, n))
        for i, a in enumerate(chords):
            flow = np.array([FUNCTION_FLOW.get(a.function, FUNCTION_FLOW["T"]).get(b.function, 0.5) for b in chords])
            row = base * flow
            if a.quality == "7":  # a dominant seventh wants its tonic
                row = row * np.array([SEVENTH_RESOLVES if (b.rel - a.rel) % 12 == 5 else 1.0 for b in chords])
            row[i] = 0.0
            row = row / row.sum() * change
            row[i] = 1.0 - change
            matrix[i] = row
    else:
        raise ValueError(f"unknown family {family!r}")
    return np.log(matrix / matrix.sum(axis=1, keepdims=True))


def change_rate(family: str, per: str) -> float:
    """How often the chord changes between slots in the style at this harmonic rhythm."""
    if family == CHORALE:
        return 0.8
    return {"bar": 0.75, "half": 0.55, "beat": 0.4}[per]


def progression_logprob(labels: Sequence[str], chords: Sequence[Chord], matrix: np.ndarray) -> float:
    """Total transition log-probability of a progression given as chord labels."""
    index = {c.label: i for i, c in enumerate(chords)}
    ids = [index[label] for label in labels]
    return float(sum(matrix[a, b] for a, b in zip(ids, ids[1:]))) if len(ids) > 1 else 0.0


def entropy_bits(labels: Sequence[str]) -> float:
    """Entropy of a chord-label histogram in bits (CHE of anchors §3.2).

    >>> entropy_bits(["C", "C", "G", "G"])
    1.0
    """
    counts: dict[str, int] = {}
    for label in labels:
        counts[label] = counts.get(label, 0) + 1
    total = len(labels)
    return -sum(n / total * math.log2(n / total) for n in counts.values()) if total else 0.0
