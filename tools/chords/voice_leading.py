"""Four-part (SATB) voice leading: parallel fifths/octaves, crossings, wide spacing.

Real Bach trips these naive rules (anchors §3.4: 0.17 parallel fifths per 100 chord
changes, crossings in 2.5%, spacing in 1.5%; 14% of chorales have a parallel), so the
findings are ranked warnings with a rate per 100 transitions, never errors.

A "slice" is every moment where some voice starts a note; a transition is two
consecutive slices in which all four voices sound. Candidates for parallels are found
with integers and confirmed with music21's VoiceLeadingQuartet (which knows a
diminished sixth from a fifth). Bars are counted 1-based from the first measure, so a
pickup measure is bar 1 (as in tunesmith's Melody), whatever the score prints.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from ..errors import ToolError
from ..types import Finding, Report

VOICES = ("soprano", "alto", "tenor", "bass")
KINDS = ("parallel_octaves", "parallel_fifths", "voice_crossing", "spacing")  # rank order
_LABEL = {
    "parallel_octaves": "parallel octaves/unisons",
    "parallel_fifths": "parallel fifths",
    "voice_crossing": "voices cross",
    "spacing": "more than an octave apart",
}


@dataclass(frozen=True, slots=True)
class Issue:
    """One rule broken between two voices at one chord change."""

    kind: str
    upper: int  # voice index, 0 = soprano
    lower: int
    bar: int


@dataclass(frozen=True, slots=True)
class VoiceLeadingStats:
    """Counts of each issue over all transitions of a score."""

    transitions: int
    counts: tuple[tuple[str, int], ...]
    issues: tuple[Issue, ...]

    def count(self, kind: str) -> int:
        return dict(self.counts).get(kind, 0)

    def per_100(self, kind: str) -> float:
        """Issues of a kind per 100 transitions (0 when there are none)."""
        return 100.0 * self.count(kind) / self.transitions if self.transitions else 0.0


def _voice_events(part):
    """(start, end, element-or-None) per note/rest of one voice, ties merged."""
    flat = part.stripTies().flatten()
    events = []
    for el in flat.notesAndRests:
        if el.duration.isGrace or el.quarterLength <= 0:
            continue
        events.append((float(el.offset), float(el.offset + el.quarterLength), None if el.isRest else el))
    events.sort(key=lambda e: e[0])
    return events


def _sounding(events, starts, t):
    i = bisect.bisect_right(starts, t + 1e-9) - 1
    if i < 0 or events[i][1] <= t + 1e-9:
        return None
    return events[i][2]


def _top_note(el):
    """A Note for a voice element; the top note of a chord (divisi)."""
    if el is None:
        return None
    if el.isChord:
        from music21 import note

        return note.Note(el.pitches[-1])
    return el


def _measure_starts(score, part) -> list[float]:
    """Offsets where bars begin: the measures, or every bar of the time signature if none."""
    starts = [float(m.offset) for m in part.getElementsByClass("Measure")]
    if starts:
        return starts
    signature = score.recurse().getElementsByClass("TimeSignature").first()
    bar = float(signature.barDuration.quarterLength) if signature is not None else 4.0
    end = float(score.highestTime)
    return [i * bar for i in range(int(end // bar) + 1)]


def voice_leading_stats(score, *, max_spacing: int = 12, contrary: bool = False) -> VoiceLeadingStats:
    """Scan a 4-part music21 Score (parts top to bottom) for voice-leading issues.

    Parallels are counted when both voices move the same way (the anchors' rule);
    `contrary=True` also counts fifths/octaves reached by contrary motion (5th -> 12th),
    which music21's parallelFifth() includes and Bach writes at many cadences.
    """
    from music21 import voiceLeading

    parts = list(score.parts)
    if len(parts) != 4:
        raise ToolError(f"four-part checks need exactly 4 parts (soprano to bass), not {len(parts)}")
    measure_starts = _measure_starts(score, parts[0])
    voices = [_voice_events(p) for p in parts]
    starts = [[e[0] for e in v] for v in voices]
    times = sorted({e[0] for v in voices for e in v if e[2] is not None})
    slices = []
    for t in times:
        notes = [_top_note(_sounding(v, s, t)) for v, s in zip(voices, starts)]
        slices.append((t, notes))
    issues: list[Issue] = []
    transitions = 0
    for (_, a), (t, b) in zip(slices, slices[1:]):
        if any(n is None for n in a) or any(n is None for n in b):
            continue
        transitions += 1
        bar = bisect.bisect_right(measure_starts, t + 1e-9)
        pa = [n.pitch.midi for n in a]
        pb = [n.pitch.midi for n in b]
        for i in range(4):
            for j in range(i + 1, 4):
                motion = (pb[i] - pa[i]) * (pb[j] - pa[j])
                if motion == 0 or (motion < 0 and not contrary):
                    continue
                ic_a, ic_b = abs(pa[i] - pa[j]) % 12, abs(pb[i] - pb[j]) % 12
                if ic_a != ic_b or ic_a not in (0, 7):
                    continue
                vlq = voiceLeading.VoiceLeadingQuartet(a[i], b[i], a[j], b[j])
                if ic_a == 7 and vlq.parallelFifth():
                    issues.append(Issue("parallel_fifths", i, j, bar))
                elif ic_a == 0 and vlq.parallelUnisonOrOctave():
                    issues.append(Issue("parallel_octaves", i, j, bar))
        for i in range(3):
            if pb[i + 1] > pb[i]:
                issues.append(Issue("voice_crossing", i, i + 1, bar))
        for i in range(2):
            if pb[i] - pb[i + 1] > max_spacing:
                issues.append(Issue("spacing", i, i + 1, bar))
    counts = tuple((k, sum(1 for x in issues if x.kind == k)) for k in KINDS)
    return VoiceLeadingStats(transitions=transitions, counts=counts, issues=tuple(issues))


def check_voice_leading(score, *, max_spacing: int = 12, contrary: bool = False,
                        stats: VoiceLeadingStats | None = None) -> list[Finding]:
    """Ranked warnings, one per (issue kind, voice pair) with its bars, plus an info line of rates."""
    stats = stats or voice_leading_stats(score, max_spacing=max_spacing, contrary=contrary)
    grouped: dict[tuple[str, int, int], list[int]] = {}
    for issue in stats.issues:
        grouped.setdefault((issue.kind, issue.upper, issue.lower), []).append(issue.bar)
    ranked = sorted(grouped.items(), key=lambda item: (KINDS.index(item[0][0]), -len(item[1])))
    findings = []
    for (kind, upper, lower), bars in ranked:
        times = f"{len(bars)} time{'s' if len(bars) > 1 else ''}"
        findings.append(Finding(kind, "warning", f"{VOICES[upper]} and {VOICES[lower]}: {_LABEL[kind]} ({times})",
                                tuple(sorted(set(bars))), float(len(bars))))
    n = stats.transitions
    rates = ", ".join(f"{_LABEL[k]} {stats.per_100(k):.1f}" for k in KINDS)
    findings.append(Finding("voice_leading_rates", "info", f"per 100 of {n} chord changes: {rates}",
                            value=round(sum(stats.per_100(k) for k in KINDS), 3)))
    return findings


def check_four_part(score, *, max_spacing: int = 12, contrary: bool = False) -> Report:
    """A Report for a four-part score (voice leading only; check the melody with check_melody)."""
    return Report(findings=tuple(check_voice_leading(score, max_spacing=max_spacing, contrary=contrary)),
                  checked=("voice_leading",))
