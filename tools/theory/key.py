"""Tonal checks of a melody: estimated key and clarity, out-of-key notes, the ending.

The key estimate is what music21's `analyze('key')` computes (Aarden-Essen profiles,
duration weighted; Krumhansl-Schmuckler on request).
It is noisy on short tunes (anchors §3.4: real tunes score 0.69-0.96), so a declared key
that fits nearly as well as the winner is not called a mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...tokenization.music import KeySpec, Melody, parse_key, spell_pitch_class
from ...tokenization.pitch import LEADING_TONE, RAISED_SIXTH, parallel_mode, pitch_name
from ...tokenization.pitch import scale_pitch_classes as _scale
from ..errors import ToolError
from ..types import Finding

MIN_NOTES_FOR_KEY = 8  # fewer notes say little about a key
UNCLEAR_BELOW = 0.6  # random pitches score ~0.51, real folk tunes p10 ~0.69


@dataclass(frozen=True, slots=True)
class KeyEstimate:
    """The best key, its correlation (clarity) and every other key's correlation, best first."""

    key: KeySpec
    clarity: float
    ranking: tuple[tuple[KeySpec, float], ...]

    def correlation(self, key: KeySpec) -> float:
        """How well a key fits; a modal key is scored as its parallel major/minor."""
        target = (key.pitch_class, parallel_mode(key.mode))
        for candidate, r in self.ranking:
            if (candidate.pitch_class, candidate.mode) == target:
                return r
        return -1.0


def key_estimate(melody: Melody, *, method: str = "key") -> KeyEstimate | None:
    """music21's key finding; None for a melody without notes.

    This is the statistic `analyze(method)` computes (Pearson correlation of the duration-
    weighted pitch-class histogram with the method's major/minor profiles, all 24 keys),
    taken straight from the Melody: building a Score and 24 Key objects costs ~20 ms more for
    the same numbers (tests/test_theory.py checks that they agree). music21's 'key' is the
    Aarden-Essen profile (the one the anchors' reference values used); 'krumhansl' gives
    Krumhansl-Schmuckler.
    """
    if not melody.notes:
        return None
    from music21.analysis.discrete import analysisClassFromMethodName

    finder_class = analysisClassFromMethodName(method)
    if finder_class is None or not hasattr(finder_class, "getWeights"):
        raise ToolError(f"unknown key-finding method {method!r}; try 'key' or 'krumhansl'")
    finder = finder_class()
    histogram = [0.0] * 12
    for n in melody.notes:
        histogram[n.pitch % 12] += n.duration
    scored = [
        (r, tonic, mode)
        for mode in ("major", "minor")
        for tonic, r in enumerate(correlations(histogram, finder.getWeights(mode)))
    ]
    scored.sort(reverse=True)  # music21 sorts (coefficient, pitch, mode) and takes the top: same ties
    ranking = tuple((KeySpec(spell_pitch_class(tonic, mode=mode), mode), r) for r, tonic, mode in scored)
    return KeyEstimate(key=ranking[0][0], clarity=ranking[0][1], ranking=ranking)


def correlations(histogram: list[float], weights) -> list[float]:
    """Pearson correlation of a pitch-class histogram with a key profile rotated to each tonic,
    in music21's own operation order (KeyWeightKeyAnalysis._getDifference), 0.0 when constant.

    >>> [round(r, 3) for r in correlations([1.0] + [0.0] * 11, [1.0] + [0.0] * 11)][:2]
    [1.0, -0.091]
    """
    w_avg = sum(weights) / len(weights)
    d_avg = sum(histogram) / len(histogram)
    result = []
    for tonic in range(12):
        top = right = left = 0.0
        for j in range(12):
            w, d = weights[(j - tonic) % 12] - w_avg, histogram[j] - d_avg
            top, right, left = top + w * d, right + w ** 2, left + d ** 2
        result.append(0.0 if right == 0 or left == 0 else float(top / ((right * left) ** 0.5)))
    return result


def estimate_key(melody: Melody) -> tuple[KeySpec, float]:
    """The most likely key of a melody and how clear it is (the correlation, -1..1)."""
    found = key_estimate(melody)
    if found is None:
        raise ToolError("the melody has no notes, so it has no key")
    return found.key, found.clarity


def same_key(declared: KeySpec, estimated: KeySpec) -> bool:
    """A major/minor estimate matches a key with the same tonic and (parallel) mode.

    >>> same_key(KeySpec("D", "dorian"), KeySpec("D", "minor")), same_key(KeySpec("C"), KeySpec("A", "minor"))
    (True, False)
    """
    return declared.pitch_class == estimated.pitch_class and parallel_mode(declared.mode) == estimated.mode


def check_key(melody: Melody, *, estimate: KeyEstimate | None = None, declared: KeySpec | None = None,
              tolerance: float = 0.03) -> list[Finding]:
    """Compare the estimated key with the declared one (the melody's own unless `declared`)."""
    estimate = estimate or key_estimate(melody)
    if estimate is None:
        return []
    declared = declared or melody.key
    top = ", ".join(f"{k} {r:.2f}" for k, r in estimate.ranking[1:3])
    findings = []
    if declared is None:
        findings.append(Finding("key_estimate", "info",
                                f"sounds like {estimate.key} (clarity {estimate.clarity:.2f}; next {top})",
                                value=round(estimate.clarity, 3)))
    elif same_key(declared, estimate.key):
        findings.append(Finding("key_match", "info",
                                f"sounds like the declared {declared} (clarity {estimate.clarity:.2f})",
                                value=round(estimate.clarity, 3)))
    else:
        fit = estimate.correlation(declared)
        close = estimate.clarity - fit <= tolerance
        findings.append(Finding(
            "key_match" if close else "key_mismatch", "info" if close else "warning",
            f"declared {declared} ({fit:.2f}) {'fits about as well as' if close else 'but it sounds like'} "
            f"{estimate.key} ({estimate.clarity:.2f})",
            value=round(fit, 3)))
    if len(melody.notes) >= MIN_NOTES_FOR_KEY and estimate.clarity < UNCLEAR_BELOW:
        findings.append(Finding("key_unclear", "warning",
                                f"no clear key: the best guess {estimate.key} fits only {estimate.clarity:.2f}",
                                value=round(estimate.clarity, 3)))
    return findings


def scale_pitch_classes(key: KeySpec) -> frozenset[int]:
    """Pitch classes that belong to a key; minor also accepts its raised 6th and 7th.

    >>> sorted(scale_pitch_classes(KeySpec("A", "minor")))
    [0, 2, 4, 5, 6, 7, 8, 9, 11]
    >>> sorted(scale_pitch_classes(KeySpec("D", "dorian")))
    [0, 2, 4, 5, 7, 9, 11]
    """
    return _scale(key, minor_raised=(RAISED_SIXTH, LEADING_TONE))


def check_out_of_key(melody: Melody, *, key: KeySpec) -> list[Finding]:
    """One warning per foreign pitch class, with its bars; value = its share of the sounding time."""
    allowed = scale_pitch_classes(key)
    total = sum(n.duration for n in melody.notes) or 1.0
    foreign: dict[int, list] = {}
    for n in melody.notes:
        if n.pitch % 12 not in allowed:
            foreign.setdefault(n.pitch % 12, []).append(n)
    findings = []
    for pc, notes in sorted(foreign.items(), key=lambda item: -sum(n.duration for n in item[1])):
        bars = tuple(sorted({melody.bar_of(n.onset) for n in notes}))
        share = sum(n.duration for n in notes) / total
        count = f"{len(notes)} note{'s' if len(notes) > 1 else ''}"
        findings.append(Finding("out_of_key", "warning",
                                f"{pitch_name(pc, key)} is outside {key} ({count})", bars, round(share, 3)))
    return findings


def beat_length(melody: Melody) -> float:
    """Quarter lengths of one beat: a dotted quarter in 6/8, 9/8, 12/8, else the denominator.

    >>> from tunesmith.tokenization.music import Meter
    >>> beat_length(Melody((), Meter(6, 8), bars=1)), beat_length(Melody((), Meter(3, 4), bars=1))
    (1.5, 1.0)
    """
    numerator, denominator = melody.meter.numerator, melody.meter.denominator
    unit = 4 / denominator
    return unit * 3 if denominator >= 8 and numerator % 3 == 0 and numerator > 3 else unit


def check_ending(melody: Melody, *, key: KeySpec) -> list[Finding]:
    """Does it end on the tonic, on a long enough note, approached by step (or from the 5th)?"""
    if not melody.notes:
        return []
    last = melody.notes[-1]
    bar = (melody.bar_of(last.onset),)
    degree = (last.pitch - key.pitch_class) % 12
    findings = []
    if degree == 0:
        findings.append(Finding("ends_on_tonic", "info", f"ends on the tonic {key.tonic}", bar))
    else:
        third = 3 if parallel_mode(key.mode) == "minor" else 4
        role = {7: " (the 5th: it sounds like a question)", third: " (the 3rd)"}.get(degree, "")
        findings.append(Finding("ends_off_tonic", "warning",
                                f"ends on {pitch_name(last.pitch, key)}{role}, not the tonic {key.tonic}", bar))
    beat = beat_length(melody)
    held = melody.length - last.onset  # a rest after the last note lets it ring as well
    if held < beat - 1e-9:
        findings.append(Finding("final_note_short", "warning",
                                f"the last note is only {_fraction(held / beat)} of a beat; "
                                "hold it for at least a beat so the tune comes to rest", bar, held))
    if len(melody.notes) > 1:
        step = last.pitch - melody.notes[-2].pitch
        from_fifth = degree == 0 and (melody.notes[-2].pitch - key.pitch_class) % 12 == 7
        if abs(step) > 2 and not from_fifth:
            findings.append(Finding("final_leap", "info",
                                    f"the last note is reached by a leap of {abs(step)} semitones "
                                    "rather than by step", bar, float(step)))
    return findings


def _fraction(value: float) -> str:
    """A short fraction for people.

    >>> _fraction(0.5), _fraction(1 / 3), _fraction(0.75)
    ('1/2', '1/3', '3/4')
    """
    from fractions import Fraction

    return str(Fraction(value).limit_denominator(16))


def resolve_key(value: KeySpec | str | None) -> KeySpec | None:
    """Accept a KeySpec, a string such as 'F# minor', or None."""
    if value is None or isinstance(value, KeySpec):
        return value
    return parse_key(value)
