"""Style profiles: a small class-balanced softmax classifier over melody features.

Used to name the nearest corpus style of a melody a person brings (`tunesmith analyze`)
and, in eval/, to check that generated melodies sound like the style that was asked for.
Features are cheap (no music21): meter, interval and duration histograms, the pitch-class
profile relative to the tonic, range and note density.  Profiles are built from the
corpus train split and stored as JSON beside the model.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ...tokenization.music import Melody
from ..errors import CorpusError

METERS = ("2/4", "3/4", "4/4", "6/8", "3/8", "9/8", "2/2", "3/2", "4/2", "6/4", "12/8")
DURATIONS = (0.25, 1 / 3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
INTERVAL_SPAN = 12  # intervals are clipped to -12..12
PROFILE_VERSION = 2


def melody_features(melody: Melody, *, tonic_pc: int | None = None) -> list[float]:
    """A fixed-length feature vector for one melody (tonic from its key unless given).

    >>> from tunesmith.tokenization.music import Note, KeySpec
    >>> m = Melody(notes=(Note(60, 0, 1), Note(62, 1, 1), Note(64, 2, 2)), key=KeySpec("C"))
    >>> len(melody_features(m))
    61
    """
    notes = melody.notes
    count = max(len(notes), 1)
    meter = [1.0 if str(melody.meter) == m else 0.0 for m in METERS]
    intervals = [0.0] * (2 * INTERVAL_SPAN + 1)
    for a, b in zip(notes, notes[1:]):
        step = max(-INTERVAL_SPAN, min(INTERVAL_SPAN, b.pitch - a.pitch))
        intervals[step + INTERVAL_SPAN] += 1 / max(count - 1, 1)
    durations = [0.0] * len(DURATIONS)
    for n in notes:
        nearest = min(range(len(DURATIONS)), key=lambda i: abs(DURATIONS[i] - n.duration))
        durations[nearest] += 1 / count
    if tonic_pc is None:
        tonic_pc = melody.key.pitch_class if melody.key else 0
    profile = [0.0] * 12
    total = sum(n.duration for n in notes) or 1.0
    for n in notes:
        profile[(n.pitch - tonic_pc) % 12] += n.duration / total
    pitches = [n.pitch for n in notes] or [60]
    shape = [
        (max(pitches) - min(pitches)) / 24,
        (sum(pitches) / len(pitches) - 60) / 12,
        len(notes) / max(melody.bars, 1) / 8,
        sum(1 for n in notes if n.onset % 1 > 1e-6) / count,  # share of off-beat onsets
    ]
    return meter + intervals + durations + profile + shape


@dataclass(frozen=True, slots=True)
class StyleProfiles:
    """A class-balanced softmax regression over standardised melody features."""

    labels: list[str]
    mean: list[float]
    scale: list[float]
    weights: list[list[float]]  # (features + 1) x labels, last row = bias
    counts: dict[str, int]

    def probabilities(self, features: list[float]) -> list[tuple[str, float]]:
        """Styles with their probability, most likely first."""
        import numpy as np

        row = (np.asarray(features) - np.asarray(self.mean)) / np.asarray(self.scale)
        logits = np.append(row, 1.0) @ np.asarray(self.weights)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        return sorted(zip(self.labels, probs.tolist()), key=lambda item: -item[1])

    def rank(self, features: list[float]) -> list[tuple[str, float]]:
        return self.probabilities(features)

    def nearest(self, melody: Melody, *, tonic_pc: int | None = None) -> str:
        return self.rank(melody_features(melody, tonic_pc=tonic_pc))[0][0]

    def save(self, path: Path) -> None:
        data = {"version": PROFILE_VERSION, "labels": self.labels, "mean": self.mean, "scale": self.scale,
                "weights": self.weights, "counts": self.counts}
        Path(path).write_text(json.dumps(data), encoding="utf-8")


def build_profiles(examples: Iterable[tuple[str, Melody]], *, min_count: int = 3, steps: int = 500,
                   l2: float = 1e-3) -> StyleProfiles:
    """Fit the classifier on (style, melody) pairs; every style weighs the same whatever its size."""
    import numpy as np

    rows, names = [], []
    for style, melody in examples:
        rows.append(melody_features(melody))
        names.append(style)
    counts = {s: names.count(s) for s in sorted(set(names))}
    labels = [s for s, c in counts.items() if c >= min_count]
    if not labels:
        raise CorpusError("no style has enough melodies to build style profiles")
    keep = [i for i, s in enumerate(names) if s in labels]
    x = np.asarray([rows[i] for i in keep])
    y = np.asarray([labels.index(names[i]) for i in keep])
    mean, scale = x.mean(0), x.std(0) + 1e-3
    design = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    per_class = np.bincount(y, minlength=len(labels))
    sample_weight = (len(y) / (len(labels) * per_class))[y][:, None]
    target = np.eye(len(labels))[y]
    weights = np.zeros((design.shape[1], len(labels)))
    for _ in range(steps):  # full-batch gradient descent: small, convex, deterministic
        logits = design @ weights
        probs = np.exp(logits - logits.max(1, keepdims=True))
        probs /= probs.sum(1, keepdims=True)
        weights -= design.T @ ((probs - target) * sample_weight) / len(y) + l2 * weights
    return StyleProfiles(labels=labels, mean=mean.tolist(), scale=scale.tolist(), weights=weights.tolist(),
                         counts={s: counts[s] for s in labels})


def load_profiles(path: Path) -> StyleProfiles:
    """Read profiles written by StyleProfiles.save."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise CorpusError(f"cannot read style profiles {path}: {err}") from err
    if data.get("version") != PROFILE_VERSION:
        raise CorpusError(f"style profiles {path} have version {data.get('version')}, expected {PROFILE_VERSION}")
    return StyleProfiles(labels=data["labels"], mean=data["mean"], scale=data["scale"], weights=data["weights"],
                         counts=data["counts"])


def profiles_from_corpus(corpus_dir: Path, *, splits: tuple[str, ...] = ("train",), min_count: int = 3,
                         steps: int = 500, l2: float = 1e-3) -> StyleProfiles:
    """Profiles from corpus records, labelled by top-level style (a genre counts as its parent);
    `tunesmith train profiles` writes them beside the model."""
    from ...tokenization.records import record_to_song
    from ...tokenization.styles import get_style
    from .build import read_split

    def examples():
        for split in splits:
            for record in read_split(corpus_dir, split):
                style = get_style((record.get("styles") or ["german-folk"])[0])
                yield style.parent or style.name, record_to_song(record).melody

    return build_profiles(examples(), min_count=min_count, steps=steps, l2=l2)
