"""Chord progressions without a melody: for a key, a style, a mood and a length.

Candidates are the well-known loops of the style (I-V-vi-IV, i-VI-III-VII, ...) tiled over
the bars plus the best paths of the style's transition prior; all are scored by the same
prior with a mood bias (bright = major chords, dark = minor ones, tense = dominants and
diminished chords, calm = tonic and subdominant) and a cadence home in the last bar.  A chord
style with bends (chord_styles.toml: pop, jazz-lite) adds its twins and biases to that prior, and
each loop chord takes the style's favourite quality on its root (Cmaj7 and G7 in jazz-lite).
"""

from __future__ import annotations

import numpy as np

from ...tokenization.music import ChordEvent, KeySpec, parse_meter
from ...tokenization.styles import MOODS as MOOD_TABLE, get_style
from .prior import transition_logprobs, unigram_logprobs
from .chord_styles import Bend, style_for
from .folk import mode_family
from .search import kbest_paths
from .types import Progression
from .vocab import CHORALE, Chord, candidate_chords, chord_from_label, make_chord, style_family
from ..errors import ToolError
from ..theory.key import resolve_key

# Mood word -> the colour it asks of a progression (bright, dark, tense, calm): tokenization/styles.toml.
MOODS: dict[str, str] = {m.name: m.chord for m in MOOD_TABLE if m.chord}
# Loops people know, as key-relative labels with a name.
LOOPS: dict[str, tuple[tuple[str, str], ...]] = {
    "major": (("0:maj 7:maj 9:min 5:maj", "the four-chord pop loop"),
              ("0:maj 9:min 5:maj 7:maj", "the fifties doo-wop loop"),
              ("0:maj 5:maj 7:maj 0:maj", "the folk three-chord cadence"),
              ("9:min 5:maj 0:maj 7:maj", "the minor-start pop loop"),
              ("0:maj 5:maj 0:maj 7:maj", "the hymn and folk back-and-forth"),
              ("2:min 7:7 0:maj 0:maj", "ii-V-I, the jazz and hymn cadence")),
    "minor": (("0:min 8:maj 3:maj 10:maj", "the epic minor loop"),
              ("0:min 5:min 7:maj 0:min", "the classic minor cadence"),
              ("0:min 10:maj 8:maj 7:maj", "the Andalusian descent"),
              ("0:min 3:maj 10:maj 0:min", "the folk minor sway")),
    "dorian": (("0:min 5:maj 0:min 5:maj", "the dorian i-IV vamp"),
               ("0:min 10:maj 5:maj 0:min", "the modal folk turn")),
    "mixolydian": (("0:maj 10:maj 5:maj 0:maj", "the mixolydian rock turn"),
                   ("0:maj 10:maj 0:maj 5:maj", "the bagpipe-style I-bVII sway")),
}


def _mood_bias(chords: tuple[Chord, ...], mood: str | None) -> np.ndarray:
    if mood is None:
        return np.zeros(len(chords))
    kind = MOODS.get(mood.strip().lower())
    if kind is None:
        raise ToolError(f"unknown mood {mood!r}; try one of {', '.join(sorted(MOODS))}")
    bias = {
        "bright": lambda c: 0.8 if not c.dark else -0.4,
        "dark": lambda c: 0.8 if c.dark and c.quality not in ("dim", "dim7") else -0.3,
        "tense": lambda c: 0.8 if c.function in ("D", "A") or c.quality in ("dim", "dim7", "7") else 0.0,
        "calm": lambda c: 0.6 if c.function in ("T", "S") and c.quality in ("maj", "min", "maj7") else -0.4,
    }[kind]
    return np.array([bias(c) for c in chords])


def _bent(key: KeySpec, chords: tuple[Chord, ...], bend: Bend | None) -> tuple[tuple[Chord, ...], np.ndarray,
                                                                            np.ndarray, np.ndarray]:
    """(chords with the style's twins, the fitted chord each copies, chord bias, move bias)."""
    labels = [c.label for c in chords]
    out, base = list(chords), list(range(len(chords)))
    for new, old in bend.twins if bend else ():
        if old in labels and new not in labels + [c.label for c in out]:
            rel, quality = new.split(":")
            out.append(make_chord(key, int(rel), quality))
            base.append(labels.index(old))
    index = {c.label: i for i, c in enumerate(out)}
    bias, moves = np.zeros(len(out)), np.zeros((len(out), len(out)))
    for label, value in bend.label_bias if bend else ():
        if label in index:
            bias[index[label]] += value
    for a, b, value in bend.transition_bias if bend else ():
        if a in index and b in index:
            moves[index[a], index[b]] += value
    return tuple(out), np.array(base), bias, moves


def progressions(key: KeySpec | str, *, style: str | None = None, mood: str | None = None, bars: int = 8,
                 k: int = 3, meter: str | None = None) -> list[Progression]:
    """k progressions of one chord per bar for a key, style and mood, best first, ending home."""
    key = resolve_key(key)
    if key is None:
        raise ToolError("a progression needs a key, e.g. 'G major' or 'E minor'")
    if not 1 <= bars <= 64:
        raise ToolError(f"bars must be between 1 and 64, not {bars}")
    if k < 1:
        raise ToolError(f"k must be at least 1, not {k}")
    family = style_family(style)
    if meter is None:
        meter = get_style(style).meter if style and family == CHORALE else "4/4"
    bar_length = parse_meter(meter).bar_length
    chords = candidate_chords(key, family)
    if family == CHORALE:  # a progression to sing over: plain triads and dominant sevenths
        chords = tuple(c for c in chords if c.quality in ("maj", "min", "7") and "/" not in c.roman) or chords
    bend = style_for(style, family).bends.get(mode_family(key.mode)) if style else None
    fitted = chords
    chords, base, bias, moves = _bent(key, chords, bend)
    index = {c.label: i for i, c in enumerate(chords)}
    transition = transition_logprobs(fitted, family, key.mode, change=0.85)[np.ix_(base, base)] + moves
    unary = np.tile(0.5 * unigram_logprobs(fitted, family, key.mode)[base] + bias + _mood_bias(chords, mood),
                    (bars, 1))

    def favourite(label: str) -> int:
        """The loop's chord, or another on its root that the style favours more (V7 for V in jazz-lite)."""
        mine = index[label]
        rivals = [i for i, c in enumerate(chords) if c.rel == chords[mine].rel and bias[i] > bias[mine]]
        return max(rivals, key=lambda i: bias[i]) if rivals else mine
    tonic = np.array([3.0 if c.rel == 0 and c.quality in ("maj", "min") else 0.0 for c in chords])
    dominant = np.array([1.5 if c.function == "D" and c.rel in (7, 11) else 0.0 for c in chords])
    unary[0] += tonic / 2
    unary[-1] += tonic
    if bars > 1:
        unary[-2] += dominant
    candidates: dict[tuple[int, ...], str] = {}
    for labels, name in LOOPS.get(key.mode, ()) if family != CHORALE else ():
        loop = [favourite(label) for label in labels.split() if label in index]
        path = [loop[b % len(loop)] for b in range(bars)]
        if bars > 2 and path[-1] != index.get(labels.split()[0]):
            path[-1] = index[labels.split()[0]]
        roman = "-".join(chords[i].roman for i in loop)
        candidates.setdefault(tuple(path), f"{roman}: {name}")
    transition[base[:, None] == base[None, :]] -= 6.0  # without a melody, keep moving (C to Cmaj7 is no move)
    searched: dict[tuple[int, ...], str] = {}
    for _score, path in kbest_paths(unary, transition, 3 * k):
        searched.setdefault(tuple(path), "the most likely progression in this style" if not searched else
                            "a likely progression in this style")

    def total(path: tuple[int, ...]) -> float:
        moves = sum(transition[a, b] for a, b in zip(path, path[1:]))
        return float(sum(unary[t, c] for t, c in enumerate(path)) + moves)

    loops = sorted(((total(p), p, r) for p, r in candidates.items()), key=lambda item: -item[0])
    found = sorted(((total(p), p, r) for p, r in searched.items() if p not in candidates), key=lambda item: -item[0])
    merged = [item for pair in zip(loops, found) for item in pair] + loops[len(found):] + found[len(loops):]
    best = max(item[0] for item in merged)
    result = []
    for total_score, path, reason in merged[:k]:
        events = tuple(ChordEvent(symbol=chords[c].symbol, onset=b * bar_length, duration=bar_length,
                                  roman=chords[c].roman) for b, c in enumerate(path))
        mood_note = f" ({mood})" if mood else ""
        result.append(Progression(chords=events, score=float(np.exp((total_score - best) / max(bars, 1))),
                                  reason=reason + mood_note, meter=parse_meter(meter)))
    return result


def loop_chords(key: KeySpec, labels: str) -> list[Chord]:
    """The chords of a loop written as key-relative labels ('0:maj 7:maj')."""
    return [chord_from_label(key, label) for label in labels.split()]
