"""Chord slots of a melody and how well each candidate chord fits a slot.

A slot is a bar, half bar or beat that some melody note sounds in.  Each note counts with
the time it sounds inside the slot, more when it starts on the slot's first beat, less
when it is held over from before.  The melody-fit features are those of anchors §3.2:
chord-tone ratio, non-chord tones that move on by step (passing and neighbour notes),
pitch consonance (PCS, the score of theory_chords.consonance) and tonal-centroid distance
(Harte et al. 2006).  Phrase ends (long notes, notes before a rest, the last note) carry
the cadence bonus.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ...tokenization.music import Melody
from .vocab import Chord
from ..errors import ToolError
from ..theory.chords import consonance
from ..theory.key import beat_length

PERS = ("bar", "half", "beat")
HELD_WEIGHT = 0.5  # a note held into the slot from before counts half
ACCENT = 1.25  # a note that starts on the slot's first beat counts a quarter more


@dataclass(frozen=True, slots=True)
class Slot:
    """One chord slot: where it is, its weighted melody pitch classes, its place in the phrase."""

    index: int
    onset: float
    duration: float
    bar: int
    beat: float
    pcs: tuple[float, ...]  # weight of each pitch class sounding in the slot
    resolving: tuple[float, ...]  # weight of each pitch class whose note moves on by step
    phrase_end: bool = False
    final: bool = False

    @property
    def weight(self) -> float:
        return sum(self.pcs)

    @property
    def end(self) -> float:
        return self.onset + self.duration


@dataclass(frozen=True, slots=True)
class Weights:
    """How much each term counts; set by hand on 30 training chorales and 30 training folk tunes
    (never on the held-out sets that eval/eval_chords.py reports)."""

    ctr: float = 8.0
    resolved: float = 1.0
    pcs: float = 1.0
    tcd: float = 0.5
    unigram: float = 0.5
    transition: float = 0.7
    final: float = 3.0
    cadence: float = 1.0
    phrase: float = 0.5
    model: float = 0.3  # valid chorales: 0.3 keeps function agreement, higher weights lower it


def slot_edges(melody: Melody, per: str) -> list[tuple[float, float]]:
    """(onset, end) of every slot of the bar grid: a bar, two halves (3 beats: 2 + 1), or beats."""
    if per not in PERS:
        raise ToolError(f"chords per {per!r}? use one of {', '.join(PERS)}")
    bar, beat = melody.bar_length, beat_length(melody)
    beats = max(1, round(bar / beat))
    if per == "bar" or (per == "half" and beats == 1):
        cuts = [0.0, bar]
    elif per == "half":
        first = math.ceil(beats / 2) * beat
        cuts = [0.0, first, bar]
    else:
        cuts = [i * beat for i in range(beats)] + [bar]
    return [(b * bar + lo, b * bar + hi) for b in range(melody.bars) for lo, hi in zip(cuts, cuts[1:])]


def phrase_ends(melody: Melody) -> set[int]:
    """Indices of notes that end a phrase: the last note, long notes, notes followed by a rest."""
    notes = melody.notes
    if not notes:
        return set()
    beat = beat_length(melody)
    typical = statistics.median(n.duration for n in notes)
    ends = {len(notes) - 1}
    for i, (note, after) in enumerate(zip(notes, notes[1:])):
        rest = after.onset - note.end
        if i > 0 and (note.duration >= max(2 * typical, beat) - 1e-9 or rest >= beat / 2 - 1e-9):
            ends.add(i)
    return ends


def make_slots(melody: Melody, per: str) -> list[Slot]:
    """The slots that need a chord: from the first note's slot to the last note's; the last one
    rings to the end of the melody."""
    if not melody.notes:
        raise ToolError("the melody has no notes, so there is nothing to harmonize")
    notes = melody.notes
    ends = phrase_ends(melody)
    first, last_end = notes[0].onset, notes[-1].end
    edges = [(lo, hi) for lo, hi in slot_edges(melody, per) if hi > first + 1e-9 and lo < last_end - 1e-9]
    slots = []
    for index, (lo, hi) in enumerate(edges):
        if index == len(edges) - 1:
            hi = max(hi, melody.length)
        pcs, resolving = [0.0] * 12, [0.0] * 12
        phrase = False
        for i, note in enumerate(notes):
            overlap = min(note.end, hi) - max(note.onset, lo)
            if overlap <= 1e-9:
                continue
            starts = note.onset >= lo - 1e-9
            weight = overlap * (1.0 if starts else HELD_WEIGHT) * (ACCENT if abs(note.onset - lo) < 1e-9 else 1.0)
            pcs[note.pitch % 12] += weight
            if i + 1 < len(notes) and abs(notes[i + 1].pitch - note.pitch) <= 2:
                resolving[note.pitch % 12] += weight
            phrase = phrase or (starts and i in ends)
        slots.append(Slot(index=index, onset=max(lo, first), duration=hi - max(lo, first),
                          bar=melody.bar_of(lo), beat=round((lo % melody.bar_length) / beat_length(melody) + 1, 3),
                          pcs=tuple(pcs), resolving=tuple(resolving), phrase_end=phrase,
                          final=index == len(edges) - 1))
    return slots


def _centroid(pc: int) -> np.ndarray:
    """Harte's 6-D tonal centroid of one pitch class (fifths, minor thirds, major thirds)."""
    angles = (pc * 7 * math.pi / 6, pc * 3 * math.pi / 2, pc * 2 * math.pi / 3)
    radii = (1.0, 1.0, 0.5)
    return np.array([f(a) * r for a, r in zip(angles, radii) for f in (math.sin, math.cos)])


_CENTROIDS = np.stack([_centroid(pc) for pc in range(12)])


def fit_tables(chords: Sequence[Chord]) -> dict[str, np.ndarray]:
    """Per chord x pitch class: membership, consonance and tonal-centroid distance."""
    member = np.array([[1.0 if pc in c.pcs else 0.0 for pc in range(12)] for c in chords])
    cons = np.array([[consonance(pc, c.pcs) for pc in range(12)] for c in chords])
    centre = member @ _CENTROIDS / member.sum(axis=1, keepdims=True)
    distance = np.linalg.norm(_CENTROIDS[None, :, :] - centre[:, None, :], axis=2)
    return {"member": member, "consonance": cons, "distance": distance}


def melody_features(slot: Slot, tables: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Chord-tone ratio, resolved non-chord share, PCS and centroid distance of every chord in a slot."""
    weights = np.array(slot.pcs)
    total = weights.sum()
    n = tables["member"].shape[0]
    if total <= 1e-9:
        zero = np.zeros(n)
        return {"ctr": zero, "resolved": zero, "pcs": zero, "tcd": zero, "weight": 0.0}
    member = tables["member"]
    return {
        "ctr": member @ weights / total,
        "resolved": (1.0 - member) @ np.array(slot.resolving) / total,
        "pcs": tables["consonance"] @ weights / total,
        "tcd": tables["distance"] @ weights / total,
        "weight": float(total),
    }


def fit_score(features: dict[str, np.ndarray]) -> np.ndarray:
    """A 0..1 melody fit for people: chord tones count fully, passing notes half, clashes nothing."""
    if features["weight"] <= 0:
        return np.full_like(features["ctr"], 0.5)
    return np.clip(features["ctr"] + 0.5 * features["resolved"] + 0.1 * features["pcs"], 0.0, 1.0)


def cadence_bonus(slot: Slot, following: Slot | None, chords: Sequence[Chord], weights: Weights,
                  *, first: bool) -> np.ndarray:
    """Tonic at the end and at the start, dominant before a phrase end, I or V on a phrase end."""
    bonus = np.zeros(len(chords))
    for i, chord in enumerate(chords):
        tonic = chord.rel == 0 and chord.quality in ("maj", "min")
        dominant = chord.function == "D" and chord.rel in (7, 11)
        if slot.final:
            bonus[i] += weights.final if tonic else -weights.final * 0.5
        elif following is not None and following.final and following.phrase_end:
            bonus[i] += weights.cadence if dominant else 0.0
        elif slot.phrase_end:
            bonus[i] += weights.phrase if (tonic or (dominant and chord.quality == "maj")) else 0.0
        elif following is not None and following.phrase_end:
            bonus[i] += weights.phrase * 0.5 if chord.function in ("D", "S") else 0.0
        if first:
            bonus[i] += weights.phrase if tonic or dominant else 0.0
    return bonus


def unary_scores(slots: Sequence[Slot], chords: Sequence[Chord], unigram: np.ndarray,
                 weights: Weights) -> tuple[np.ndarray, np.ndarray]:
    """(score matrix [slot, chord] without the model term, melody fit 0..1 [slot, chord])."""
    tables = fit_tables(chords)
    scores = np.zeros((len(slots), len(chords)))
    fits = np.zeros((len(slots), len(chords)))
    for t, slot in enumerate(slots):
        f = melody_features(slot, tables)
        scores[t] = (weights.ctr * f["ctr"] + weights.resolved * f["resolved"] + weights.pcs * f["pcs"]
                     - weights.tcd * f["tcd"] + weights.unigram * unigram)
        scores[t] += cadence_bonus(slot, slots[t + 1] if t + 1 < len(slots) else None, chords, weights, first=t == 0)
        fits[t] = fit_score(f)
    return scores, fits
