"""The folk harmonizer's scores: an HMM over chords-in-key fitted on the Nottingham development tunes.

States are key-relative chords ('7:7' is V7), so one table serves every key.  A slot's
emission score is the duration-weighted log-probability of its melody pitch classes under
the chord, with separate tables for notes that start on the bar's downbeat, on another
beat, off the beat, or are held over from before (accompanists put chord tones where the
accent is).  Transitions are counted per harmonic rhythm and per place: into a slot that
starts a bar, or into one inside a bar; at half-bar rate the inside table keeps the chord
unless the melody asks for a change, which is how the harmonic rhythm is chosen.  The
tables live in folk_hmm.json, written by `python -m tunesmith.tools.chords.folk_fit`.
"""

from __future__ import annotations

import bisect
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...tokenization.music import KeySpec, Melody
from ..errors import ToolError
from ..theory.key import beat_length
from .score import Slot
from .vocab import Chord, make_chord

TABLE_FILE = Path(__file__).with_name("folk_hmm.json")
CLASSES = ("downbeat", "beat", "offbeat", "held")
RATES = ("bar", "half", "beat")


@dataclass(frozen=True, slots=True)
class FolkTables:
    """One mode family's fitted tables: the chord labels and log-probabilities over them."""

    labels: tuple[str, ...]
    emission: np.ndarray  # [class, label, relative pitch class]
    initial: np.ndarray  # [label]
    final: np.ndarray  # [label]
    transition: dict[str, dict[str, np.ndarray]]  # rate -> "start" | "inside" -> [label, label]


@dataclass(frozen=True, slots=True)
class FolkWeights:
    """Scales of the terms, tuned on the development tunes (stored with the tables)."""

    emission: float = 1.0
    transition: float = 1.0
    ends: float = 1.0
    rules: float = 0.0
    stay: float = 0.0  # head start of 'no pickup' when a melody's bar lines are guessed (pickup.py)
    accent: float = 0.0  # weight of the long-notes-on-strong-beats term (pickup.py)
    ends_on_bar: float = 0.0  # bonus of a barring whose last note ends on a bar line (pickup.py)
    prior: float = 0.0  # weight of log P(pickup length | meter) of the development tunes (pickup.py)
    temperature: float = 0.0  # of the minimum-risk chart (search.root_path); 0: the Viterbi path


def mode_family(mode: str) -> str:
    """'minor' for minor-third modes, 'major' otherwise (the tables are fitted per family)."""
    return "minor" if mode in ("minor", "dorian", "phrygian", "aeolian", "locrian") else "major"


@functools.lru_cache(maxsize=1)
def load_tables(path: str = str(TABLE_FILE)) -> tuple[dict[str, FolkTables], FolkWeights, dict]:
    """The fitted tables per mode family, the tuned weights and the fit's provenance (with the
    pickup prior: meter -> shift -> log-probability)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ToolError(f"the folk chord tables {Path(path).name} are missing or unreadable ({err}); "
                        "rebuild them with python -m tunesmith.tools.chords.folk_fit") from None
    families = {}
    for family, t in data["families"].items():
        families[family] = FolkTables(
            labels=tuple(t["labels"]), emission=np.array(t["emission"]), initial=np.array(t["initial"]),
            final=np.array(t["final"]),
            transition={rate: {place: np.array(m) for place, m in by.items()} for rate, by in t["transition"].items()})
    return families, FolkWeights(**data["weights"]), {**data["provenance"], "pickup_prior": data["pickup_prior"]}


def folk_chords(key: KeySpec, tables: FolkTables) -> tuple[Chord, ...]:
    """The chords of the fitted labels in a key, spelled and named."""
    out = []
    for label in tables.labels:
        rel, quality = label.split(":")
        out.append(make_chord(key, int(rel), quality))
    return tuple(out)


def note_classes(melody: Melody, slots: Sequence[Slot], tonic: int) -> np.ndarray:
    """[slot, class, pitch class relative to the tonic]: melody time in beats, by metrical class."""
    beat, bar = beat_length(melody), melody.bar_length
    out = np.zeros((len(slots), len(CLASSES), 12))
    notes = melody.notes
    ends = [n.end for n in notes]
    for t, slot in enumerate(slots):
        lo, hi = slot.onset, slot.end
        for note in notes[bisect.bisect_right(ends, lo + 1e-9):]:
            if note.onset >= hi - 1e-9:
                break
            overlap = min(note.end, hi) - max(note.onset, lo)
            if overlap <= 1e-9:
                continue
            if note.onset < lo - 1e-9:
                k = 3
            elif abs(note.onset / bar - round(note.onset / bar)) * bar < 1e-6:
                k = 0
            elif abs(note.onset / beat - round(note.onset / beat)) * beat < 1e-6:
                k = 1
            else:
                k = 2
            out[t, k, (note.pitch - tonic) % 12] += overlap / beat
    return out


def starts_bar(slots: Sequence[Slot], melody: Melody) -> np.ndarray:
    bar = melody.bar_length
    return np.array([abs(s.onset / bar - round(s.onset / bar)) * bar < 1e-6 for s in slots])


def folk_scores(melody: Melody, slots: Sequence[Slot], key: KeySpec, per: str, *, tables: FolkTables,
                weights: FolkWeights) -> tuple[np.ndarray, np.ndarray]:
    """(unary [slot, chord], transition [slot - 1, chord, chord]) of the fitted HMM."""
    if per not in RATES:
        raise ToolError(f"chords per {per!r}? use one of {', '.join(RATES)}")
    features = note_classes(melody, slots, key.pitch_class)
    unary = weights.emission * np.einsum("skp,kcp->sc", features, tables.emission)
    unary[0] += weights.ends * tables.initial
    unary[-1] += weights.ends * tables.final
    by_place = tables.transition[per]
    begins = starts_bar(slots, melody)
    inside = by_place.get("inside", by_place["start"])
    transition = np.stack([by_place["start"] if b else inside for b in begins[1:]]) if len(slots) > 1 else \
        np.zeros((0, len(tables.labels), len(tables.labels)))
    return unary, weights.transition * transition
