"""Melody metrics from one Melody (anchors-and-metrics.md §3.1), as plain functions.

Everything is computed from the note list; the key comes from one Krumhansl-Schmuckler
estimate with music21's own `analyze('key')` profiles (Aarden-Essen) and arithmetic, done
here in plain Python because building a music21 stream costs more than all the metrics
together.  A metric that is undefined for a piece (no leaps to recover, one bar only) is
NaN, so that band statistics can skip it instead of counting a made-up value.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np

from ..tokenization.errors import MusicValueError
from ..tokenization.music import KeySpec, Melody
from ..tokenization.pitch import LEADING_TONE, RAISED_SIXTH, SCALE_STEPS, parallel_mode, scale_pitch_classes
from ..tools.theory.key import KeyEstimate, key_estimate
from ..tools.melody.swing import dotted_share
from ..tools.theory.melody import check_monotony, rhythm_values, two_pitch_run

_NAN = float("nan")


def estimate_key(melody: Melody) -> KeyEstimate:
    """The key music21's `analyze('key')` gives for this melody (tools/theory/key computes it)."""
    found = key_estimate(melody)
    if found is None:
        raise MusicValueError("a melody without notes has no key")
    return found


def _entropy(counts: Iterable[float]) -> float:
    values = np.sort(np.asarray([c for c in counts if c > 0], dtype=float))  # order-free sum
    if values.size == 0:
        return _NAN
    p = values / values.sum()
    return float(-(p * np.log2(p)).sum()) + 0.0


def pitch_class_entropy(melody: Melody) -> float:
    """Entropy in bits of the note-count pitch-class histogram (MusPy).

    >>> from tunesmith.tokenization.music import Note
    >>> pitch_class_entropy(Melody(notes=tuple(Note(60 + i, i, 1) for i in range(4))))
    2.0
    """
    return _entropy(Counter(n.pitch % 12 for n in melody.notes).values())


def windowed_pitch_entropy(melody: Melody, *, bars: int) -> float:
    """Mean pitch-class entropy over sliding windows of `bars` bars, empty windows skipped (MusDr H1/H4)."""
    per_bar = [Counter() for _ in range(melody.bars)]
    for note in melody.notes:
        per_bar[melody.bar_of(note.onset) - 1][note.pitch % 12] += 1
    size = min(bars, melody.bars)
    values = []
    for start in range(melody.bars - size + 1):
        window = sum(per_bar[start:start + size], Counter())
        if window:
            values.append(_entropy(window.values()))
    return float(np.mean(values)) if values else _NAN


def scale_consistency(melody: Melody) -> float:
    """Largest share of notes inside one major/natural-minor scale (MusPy; 12 distinct collections)."""
    counts = Counter(n.pitch % 12 for n in melody.notes)
    total = sum(counts.values())
    best = max(sum(counts[(root + pc) % 12] for pc in SCALE_STEPS["major"]) for root in range(12))
    return best / total if total else _NAN


def in_key_ratio(melody: Melody, key: KeySpec) -> float:
    """Duration share of notes in the key's scale (minor also takes the raised 6th and 7th)."""
    scale = scale_pitch_classes(key, minor_raised=(RAISED_SIXTH, LEADING_TONE))
    total = sum(n.duration for n in melody.notes)
    inside = sum(n.duration for n in melody.notes if n.pitch % 12 in scale)
    return inside / total if total else _NAN


def key_adherence(estimate: KeySpec, requested: KeySpec) -> dict[str, float]:
    """Did the melody land in the requested key?  Modal keys compare with the major/minor on their tonic.

    `key_match` needs tonic and mode (CK); `key_match_lenient` also accepts the other mode on the
    same tonic or the key with the same scale collection (the usual KS confusions).

    >>> key_adherence(KeySpec("A", "minor"), KeySpec("C"))
    {'key_match': 0.0, 'key_match_lenient': 1.0}
    """
    nearest = KeySpec(requested.tonic, parallel_mode(requested.mode))
    same_tonic = estimate.pitch_class == requested.pitch_class
    relative = scale_pitch_classes(estimate) == scale_pitch_classes(nearest)
    exact = same_tonic and estimate.mode == nearest.mode
    return {"key_match": float(exact), "key_match_lenient": float(same_tonic or relative)}


def interval_profile(melody: Melody) -> dict[str, float]:
    """Mean |interval|, step/repeat/leap shares and leap recovery over consecutive notes.

    >>> from tunesmith.tokenization.music import Note
    >>> scale = Melody(notes=tuple(Note(p, i, 1) for i, p in enumerate([60, 62, 64, 65, 67])))
    >>> interval_profile(scale)["step_ratio"], interval_profile(scale)["mean_abs_interval"]
    (1.0, 1.75)
    """
    pitches = [n.pitch for n in melody.notes]
    deltas = [b - a for a, b in zip(pitches, pitches[1:])]
    if not deltas:
        keys = ("mean_abs_interval", "step_ratio", "repeat_ratio", "leap_ratio", "large_leap_ratio",
                "leap_recovery")
        return dict.fromkeys(keys, _NAN)
    size = len(deltas)
    recovered = [d * after < 0 for d, after in zip(deltas, deltas[1:]) if abs(d) > 4]
    return {
        "mean_abs_interval": sum(abs(d) for d in deltas) / size,
        "step_ratio": sum(1 <= abs(d) <= 2 for d in deltas) / size,
        "repeat_ratio": sum(d == 0 for d in deltas) / size,
        "leap_ratio": sum(abs(d) > 4 for d in deltas) / size,
        "large_leap_ratio": sum(abs(d) > 7 for d in deltas) / size,
        "leap_recovery": sum(recovered) / len(recovered) if recovered else _NAN,
    }


def onset_grid(melody: Melody) -> np.ndarray:
    """Bars x 16th-slots boolean onset matrix (a 6/8 bar has 12 slots, 3/4 has 12, 4/4 has 16)."""
    slots = max(1, round(melody.bar_length * 4))
    grid = np.zeros((melody.bars, slots), dtype=bool)
    for note in melody.notes:
        bar = melody.bar_of(note.onset) - 1
        position = math.floor((note.onset - bar * melody.bar_length) * 4 + 1e-6)
        grid[bar, min(max(position, 0), slots - 1)] = True
    return grid


def groove_consistency(grid: np.ndarray) -> float:
    """1 - mean Hamming distance between consecutive bars / slots (MusPy)."""
    if grid.shape[0] < 2:
        return _NAN
    return 1.0 - float(np.count_nonzero(grid[:-1] != grid[1:])) / (grid.shape[1] * (grid.shape[0] - 1))


def grooving_similarity(grid: np.ndarray) -> float:
    """Mean over all bar pairs i<j of 1 - |G_i xor G_j| / slots (MusDr GS)."""
    bars = grid.shape[0]
    if bars < 2:
        return _NAN
    g = grid.astype(np.int32)
    ones = g.sum(axis=1)
    xor = ones[:, None] + ones[None, :] - 2 * (g @ g.T)
    upper = xor[np.triu_indices(bars, k=1)]
    return float(1.0 - upper.mean() / grid.shape[1])


def bar_repetition(melody: Melody, *, transposed: bool = False) -> float:
    """Share of non-empty bars whose (onset, duration, pitch) content equals an earlier bar.

    With `transposed`, pitches are taken relative to the bar's first note.
    """
    seen: set[tuple] = set()
    repeats = filled = 0
    for bar in range(1, melody.bars + 1):
        notes = melody.notes_in_bar(bar)
        if not notes:
            continue
        start, base = (bar - 1) * melody.bar_length, notes[0].pitch if transposed else 0
        content = tuple((round(n.onset - start, 4), round(n.duration, 4), n.pitch - base) for n in notes)
        filled += 1
        repeats += content in seen
        seen.add(content)
    return repeats / filled if filled else _NAN


def ngram_repeat_share(melody: Melody, *, n: int = 4) -> float:
    """Share of interval n-grams that occur more than once in the piece.

    >>> from tunesmith.tokenization.music import Note
    >>> motif = [60, 62, 64, 60] * 4
    >>> ngram_repeat_share(Melody(notes=tuple(Note(p, i, 1) for i, p in enumerate(motif))))
    1.0
    """
    pitches = [note.pitch for note in melody.notes]
    deltas = tuple(b - a for a, b in zip(pitches, pitches[1:]))
    grams = Counter(deltas[i:i + n] for i in range(len(deltas) - n + 1))
    total = sum(grams.values())
    return sum(c for c in grams.values() if c > 1) / total if total else _NAN


def pitch_histogram(melody: Melody) -> np.ndarray:
    """Note counts over MIDI 60-83 with every pitch folded into that range by octaves, normalised."""
    hist = np.zeros(24)
    for note in melody.notes:
        hist[_fold(note.pitch) - 60] += 1
    return hist / hist.sum() if hist.sum() else hist


def _fold(pitch: int) -> int:
    """Move a pitch by octaves into 60-83 (below comes up to 60-71, above comes down to 72-83).

    >>> _fold(36), _fold(70), _fold(96)
    (60, 70, 72)
    """
    if pitch < 60:
        return 60 + (pitch - 60) % 12
    if pitch > 83:
        return 72 + (pitch - 72) % 12
    return pitch


def rhythm_value_entropy(melody: Melody) -> float:
    """Entropy in bits of the note durations (the held final note left out): 0 for one rhythm
    value throughout, 1 for two values used equally (issue 16's degenerate-rhythm measure).

    >>> from tunesmith.tokenization.music import Note
    >>> rhythm_value_entropy(Melody(notes=(Note(60, 0, 1), Note(62, 1, 1), Note(64, 2, 0.5), Note(65, 2.5, 0.5), Note(67, 3, 1))))
    1.0
    """
    return _entropy(rhythm_values(melody).values())


def dotted_pair_share(melody: Melody) -> float:
    """Share of the short two-note groups (tools/melody/swing.rhythm_pairs) that are dotted or snapped rather than
    even: near 0 for straight-played notation, high for hornpipes and strathspeys written with
    their dotted feel; NaN when the melody has no such groups.

    >>> from tunesmith.tokenization.music import Note
    >>> dotted_pair_share(Melody(notes=(Note(60, 0, .75), Note(62, .75, .25), Note(64, 1, .5), Note(65, 1.5, .5), Note(67, 2, 2))))
    0.5
    """
    share = dotted_share(melody)
    return _NAN if share is None else share


def distinct_pitches_per_bar(melody: Melody) -> float:
    """Mean number of different pitches starting in a bar, over the bars where notes start.

    >>> from tunesmith.tokenization.music import Note
    >>> distinct_pitches_per_bar(Melody(notes=(Note(60, 0, 1), Note(62, 1, 1), Note(60, 2, 2), Note(64, 4, 4)), bars=2))
    1.5
    """
    bars: dict[int, set[int]] = {}
    for note in melody.notes:
        bars.setdefault(melody.bar_of(note.onset), set()).add(note.pitch)
    return float(np.mean([len(p) for p in bars.values()])) if bars else _NAN


def duration_histogram(melody: Melody) -> dict[str, float]:
    """Share of notes per duration, in multiples of the piece's shortest duration (keys like '1', '1.5')."""
    if not melody.notes:
        return {}
    shortest = min(n.duration for n in melody.notes)
    counts = Counter(f"{round(n.duration / shortest, 2):g}" for n in melody.notes)
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()}


def overlap(p: Mapping[str, float] | np.ndarray, q: Mapping[str, float] | np.ndarray) -> float:
    """Overlapping area sum_k min(p_k, q_k) of two normalised histograms (TeleMelody PD/DD).

    >>> overlap({"1": 0.5, "2": 0.5}, {"1": 1.0})
    0.5
    """
    if isinstance(p, Mapping):
        return float(sum(min(v, q.get(k, 0.0)) for k, v in p.items()))
    return float(np.minimum(p, q).sum())


def mean_histograms(melodies: Iterable[Melody]) -> tuple[np.ndarray, dict[str, float]]:
    """Reference pitch and duration histograms of a set (each piece weighs the same)."""
    pitch, duration, count = np.zeros(24), Counter(), 0
    for melody in melodies:
        pitch += pitch_histogram(melody)
        duration.update(duration_histogram(melody))
        count += 1
    if not count:
        raise MusicValueError("a reference set needs at least one melody")
    return pitch / count, {k: v / count for k, v in duration.items()}


def distribution_overlap(melody: Melody, reference: tuple[np.ndarray, Mapping[str, float]]) -> dict[str, float]:
    """Pitch and duration histogram overlap of a melody with a reference from `mean_histograms`."""
    return {"pitch_oa": overlap(pitch_histogram(melody), np.asarray(reference[0])),
            "duration_oa": overlap(duration_histogram(melody), reference[1])}


def melody_metrics(melody: Melody, *, requested: KeySpec | None = None) -> dict[str, float]:
    """Every single-piece metric of §3.1 with one key estimate; `requested` adds key adherence."""
    key = estimate_key(melody)
    pitches = [n.pitch for n in melody.notes]
    grid = onset_grid(melody)
    metrics = {
        "pitch_class_entropy": pitch_class_entropy(melody),
        "h1": windowed_pitch_entropy(melody, bars=1),
        "h4": windowed_pitch_entropy(melody, bars=4),
        "scale_consistency": scale_consistency(melody),
        "in_key_ratio": in_key_ratio(melody, key.key),
        "key_clarity": key.clarity,
        "pitch_range": float(max(pitches) - min(pitches)),
        **interval_profile(melody),
        "groove_consistency": groove_consistency(grid),
        "grooving_similarity": grooving_similarity(grid),
        "bar_repetition": bar_repetition(melody),
        "bar_repetition_transposed": bar_repetition(melody, transposed=True),
        "interval_4gram_repeat_share": ngram_repeat_share(melody, n=4),
        "ends_on_tonic": float(pitches[-1] % 12 == key.key.pitch_class),
        "rhythm_value_entropy": rhythm_value_entropy(melody),
        "dotted_pair_share": dotted_pair_share(melody),
        "distinct_pitches_per_bar": distinct_pitches_per_bar(melody),
        "two_pitch_run_bars": two_pitch_run(melody)[0],
        "degenerate": float(bool(check_monotony(melody))),  # the ranking's guard (tools/theory/melody)
    }
    if requested is not None:
        metrics.update(key_adherence(key.key, requested))
    return metrics
