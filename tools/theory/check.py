"""The music21 theory checks every melody and song passes through before a person sees it.

`check_melody` / `check_song` run every check and return a Report: errors mean broken
(notes past the last bar, unreadable chords, notes outside a requested range), warnings
are ranked hints (out-of-key notes, leaps, clashes, degenerate lines), info carries the numbers (key and
clarity, range, chord fit). music21 supplies the key profiles, scales, interval names,
chord symbols and voice-leading rules; times and pitches are read from the Melody itself,
so no score is built and one check of a 16-bar song takes a few tens of ms. The checks
live in theory_key, theory_melody, theory_chords and voice_leading, re-exported here.
"""

from __future__ import annotations

from ...tokenization.music import KeySpec, Melody, Song
from .chords import chord_fit, chord_pitch_classes, check_chord_fit
from .key import KeyEstimate, check_ending, check_key, check_out_of_key, estimate_key, key_estimate, resolve_key, scale_pitch_classes
from .melody import VOICE_RANGES, check_leaps, check_monotony, check_range, check_structure
from ..types import Finding, Report
from ..chords.voice_leading import check_four_part, check_voice_leading, voice_leading_stats

__all__ = [
    "Finding", "Report", "KeyEstimate", "VOICE_RANGES",
    "check_melody", "check_song", "check_four_part",
    "estimate_key", "key_estimate", "check_key", "check_out_of_key", "check_ending", "scale_pitch_classes",
    "check_structure", "check_range", "check_leaps", "check_monotony", "DEGENERATE", "is_degenerate",
    "check_chord_fit", "chord_fit", "chord_pitch_classes",
    "check_voice_leading", "voice_leading_stats",
]


def check_melody(melody: Melody, *, key: KeySpec | str | None = None, voice: str | None = None,
                 range_=None, leap_threshold: int = 7) -> Report:
    """Every single-line check on a melody.

    `key` overrides the melody's declared key; with neither, out-of-key notes and the ending
    are judged against the estimated key. `voice` is soprano/alto/tenor/bass/any; `range_`
    a custom (low, high) as MIDI numbers or names ('C4', 'Bb5') and wins over `voice`.
    """
    findings, used, estimate = _melody_findings(melody, key=resolve_key(key), voice=voice, range_=range_,
                                                leap_threshold=leap_threshold)
    return _report(findings, used, estimate, MELODY_CHECKS)


def check_song(song: Song, *, key: KeySpec | str | None = None, voice: str | None = None,
               range_=None, leap_threshold: int = 7) -> Report:
    """check_melody on the song's melody plus chord-melody fit when the song has chords."""
    findings, used, estimate = _melody_findings(song.melody, key=resolve_key(key), voice=voice, range_=range_,
                                                leap_threshold=leap_threshold)
    findings += check_chord_fit(song)
    return _report(findings, used, estimate, MELODY_CHECKS + (("chords",) if song.chords else ()))


MELODY_CHECKS = ("structure", "key", "out_of_key", "range", "leaps", "ending", "monotony")
DEGENERATE = ("two_note_run", "one_rhythm")  # findings the melody tools rank below any other candidate


def is_degenerate(report: Report) -> bool:
    """Whether a checked melody see-saws between two notes or keeps one rhythm throughout."""
    return any(f.code in DEGENERATE for f in report.findings)


def _report(findings, used, estimate: KeyEstimate | None, checked) -> Report:
    return Report(findings=tuple(findings), key=used, checked=checked,
                  estimated_key=estimate.key if estimate else None,
                  clarity=estimate.clarity if estimate else None)


def _melody_findings(melody: Melody, *, key: KeySpec | None, voice, range_,
                     leap_threshold: int) -> tuple[list[Finding], KeySpec | None, KeyEstimate | None]:
    findings = check_structure(melody)
    if not melody.notes:
        return findings, key or melody.key, None
    estimate = key_estimate(melody)
    declared = key or melody.key
    findings += check_key(melody, estimate=estimate, declared=declared)
    used = declared or (estimate.key if estimate else None)
    if used is not None:
        findings += check_out_of_key(melody, key=used)
        findings += check_ending(melody, key=used)
    findings += check_range(melody, voice=voice, range_=range_)
    findings += check_leaps(melody, threshold=leap_threshold)
    findings += check_monotony(melody)
    return findings, used, estimate
