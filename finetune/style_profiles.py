"""Style profiles: a small nearest-centroid classifier over melody features.

Used to name the nearest corpus style of a melody a person brings (`tunesmith analyze`)
and, in eval/, to check that generated melodies sound like the style that was asked for.
Features are cheap (no music21): meter, interval and duration histograms, the pitch-class
profile relative to the tonic, range and note density.  Profiles are built from the
corpus train split and stored as JSON beside the model.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..tokenization.music import Melody
from .errors import CorpusError

METERS = ("2/4", "3/4", "4/4", "6/8", "3/8", "9/8", "2/2", "3/2", "4/2", "6/4", "12/8")
DURATIONS = (0.25, 1 / 3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0)
INTERVAL_SPAN = 12  # intervals are clipped to -12..12
PROFILE_VERSION = 1


def melody_features(melody: Melody, *, tonic_pc: int | None = None) -> list[float]:
    """A fixed-length feature vector for one melody (tonic from its key unless given).

    >>> from tunesmith.tokenization.music import Note, KeySpec
    >>> m = Melody(notes=(Note(60, 0, 1), Note(62, 1, 1), Note(64, 2, 2)), key=KeySpec("C"))
    >>> len(melody_features(m))
    60
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
    """Per-style feature centroids and a shared scale for each feature."""

    centroids: dict[str, list[float]]
    scale: list[float]
    counts: dict[str, int]

    def rank(self, features: list[float]) -> list[tuple[str, float]]:
        """Styles ordered by similarity (1 / (1 + scaled distance)), best first."""
        scored = []
        for style, centre in self.centroids.items():
            dist = math.sqrt(sum(((f - c) / s) ** 2 for f, c, s in zip(features, centre, self.scale)))
            scored.append((style, 1.0 / (1.0 + dist / math.sqrt(len(features)))))
        return sorted(scored, key=lambda item: -item[1])

    def nearest(self, melody: Melody, *, tonic_pc: int | None = None) -> str:
        return self.rank(melody_features(melody, tonic_pc=tonic_pc))[0][0]

    def save(self, path: Path) -> None:
        data = {"version": PROFILE_VERSION, "centroids": self.centroids, "scale": self.scale, "counts": self.counts}
        path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def build_profiles(examples: Iterable[tuple[str, Melody]], *, min_count: int = 20) -> StyleProfiles:
    """Centroids from (style, melody) pairs; styles with fewer than min_count examples are dropped."""
    sums: dict[str, list[float]] = {}
    counts: dict[str, int] = defaultdict(int)
    all_rows: list[list[float]] = []
    for style, melody in examples:
        row = melody_features(melody)
        all_rows.append(row)
        sums[style] = [a + b for a, b in zip(sums.get(style, [0.0] * len(row)), row)]
        counts[style] += 1
    if not all_rows:
        raise CorpusError("no melodies to build style profiles from")
    width = len(all_rows[0])
    mean = [sum(r[i] for r in all_rows) / len(all_rows) for i in range(width)]
    scale = [max(math.sqrt(sum((r[i] - mean[i]) ** 2 for r in all_rows) / len(all_rows)), 0.02) for i in range(width)]
    centroids = {s: [v / counts[s] for v in total] for s, total in sums.items() if counts[s] >= min_count}
    return StyleProfiles(centroids=centroids, scale=scale, counts={s: counts[s] for s in centroids})


def load_profiles(path: Path) -> StyleProfiles:
    """Read profiles written by StyleProfiles.save."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise CorpusError(f"cannot read style profiles {path}: {err}") from err
    if data.get("version") != PROFILE_VERSION:
        raise CorpusError(f"style profiles {path} have version {data.get('version')}, expected {PROFILE_VERSION}")
    return StyleProfiles(centroids=data["centroids"], scale=data["scale"], counts=data["counts"])


def profiles_from_corpus(corpus_dir: Path, *, splits: tuple[str, ...] = ("train",)) -> StyleProfiles:
    """Profiles from corpus records; a genre record also counts for its parent style."""
    from ..tokenization.records import record_to_song
    from ..tokenization.styles import get_style

    def examples():
        for split in splits:
            path = Path(corpus_dir) / f"{split}.jsonl"
            if not path.is_file():
                raise CorpusError(f"{path} is missing; run `tunesmith corpus build` first")
            with path.open(encoding="utf-8") as handle:
                for line in handle:
                    record = json.loads(line)
                    melody = record_to_song(record).melody
                    labels = set(record.get("styles") or ())
                    labels |= {get_style(s).parent for s in labels if get_style(s).parent}
                    for label in sorted(labels):
                        yield label, melody

    return build_profiles(examples())
