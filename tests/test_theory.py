"""Theory checks on literal melodies: exact codes and bar numbers."""

from __future__ import annotations

import doctest
import time

import pytest

from tunesmith.tokenization.music import ChordEvent, KeySpec, Melody, Meter, Note, Song, parse_key
from tunesmith.tools import types
from tunesmith.tools.theory import check as theory
from tunesmith.tools.theory import chords as theory_chords
from tunesmith.tools.theory import key as theory_key
from tunesmith.tools.theory import melody as theory_melody
from tunesmith.tools.chords import voice_leading
from tunesmith.tools.errors import ToolError
from tunesmith.tools.theory.check import Finding, Report, check_chord_fit, check_ending, check_four_part, check_leaps, check_melody, check_out_of_key, check_range, check_song, check_structure, check_voice_leading, estimate_key, voice_leading_stats


def mel(pitches, durations=None, *, key="C", meter=(4, 4), start=0.0, bars=0) -> Melody:
    """A melody from pitches and durations (quarters), notes back to back from `start`."""
    durations = durations or [1.0] * len(pitches)
    notes, onset = [], start
    for pitch, duration in zip(pitches, durations):
        if pitch is not None:  # None = a rest
            notes.append(Note(pitch, onset, duration))
        onset += duration
    return Melody(tuple(notes), meter=Meter(*meter), key=parse_key(key) if key else None, bars=bars)


C_SCALE = [60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65, 64, 62, 60]
C_SCALE_DUR = [1.5, 0.5] + [1.0] * 12 + [2.0]  # two rhythm values: not "one rhythm throughout"


def codes(findings, severity=None):
    return [f.code for f in findings if severity is None or f.severity == severity]


@pytest.mark.parametrize("module", [types, theory_key, theory_melody, theory_chords, voice_leading, theory])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.failed == 0


def test_c_major_scale_is_clean():
    report = check_melody(mel(C_SCALE, C_SCALE_DUR), voice="soprano")
    assert report.ok
    assert report.codes("error") == [] and report.codes("warning") == []
    assert report.key == KeySpec("C", "major")
    assert set(report.codes()) == {"key_match", "range_span", "ends_on_tonic"}
    tonic = next(f for f in report.findings if f.code == "ends_on_tonic")
    assert tonic.bars == (4,)


def test_two_note_see_saw_and_one_rhythm_are_degenerate():
    see_saw = mel([69, 71] * 8 + [62, 64, 66, 67, 69, 71, 73, 74, 73, 71, 69, 67, 66, 64, 62, 62],
                  [0.5] * 16 + [0.5, 0.5, 1.0] * 5 + [1.0], key="D")  # 2 bars of A-B-A-B, then a varied line
    report = check_melody(see_saw)
    run = next(f for f in report.findings if f.code == "two_note_run")
    assert (run.severity, run.bars, run.value) == ("warning", (1, 2), 2.0) and "A4 and B4" in run.message
    assert "one_rhythm" not in report.codes() and theory.is_degenerate(report)
    eighths = mel([62, 64, 66, 67, 69, 71, 73, 74] * 2 + [62], [0.5] * 16 + [4.0], key="D")
    assert report_codes(eighths) == ["one_rhythm"]
    assert report_codes(mel([62, 64] * 3 + [62], [1.0] * 6 + [2.0], key="D", bars=2)) == []  # too short to tell
    assert not theory.is_degenerate(check_melody(mel(C_SCALE, C_SCALE_DUR)))
    ending = mel([62, 64, 66, 67, 69, 71, 73] + [74, 73] * 4 + [74],
                 [0.5, 0.5, 1.0] * 2 + [1.0] + [0.5] * 8 + [4.0], key="D")  # a trill before the held end
    assert "two_note_run" not in report_codes(ending)


def report_codes(melody: Melody) -> list[str]:
    return [c for c in check_melody(melody).codes("warning") if c in theory.DEGENERATE]


TWINKLE = [60, 60, 67, 67, 69, 69, 67, 65, 65, 64, 64, 62, 62, 60]
TWINKLE_DUR = [1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 2]


def test_estimate_key():
    key, clarity = estimate_key(mel(TWINKLE, TWINKLE_DUR, key=None))
    assert key == KeySpec("C", "major")
    assert 0.8 < clarity <= 1.0
    key, _ = estimate_key(mel([p + 2 for p in TWINKLE], TWINKLE_DUR, key=None))
    assert key == KeySpec("D", "major")
    with pytest.raises(ToolError):
        estimate_key(Melody((), bars=1))
    report = check_melody(mel(TWINKLE, TWINKLE_DUR, key=None))
    assert report.key == KeySpec("C") and report.codes("info")[0] == "key_estimate"
    assert report.estimated_key == KeySpec("C") and report.clarity == pytest.approx(clarity)
    declared = check_melody(mel(TWINKLE, TWINKLE_DUR, key="G"))  # the declared key is what the checks use
    assert declared.key == KeySpec("G") and declared.estimated_key == KeySpec("C")
    assert "key_mismatch" in declared.codes("warning")


def test_key_estimate_matches_music21_analyze():
    import random

    from tunesmith.tokenization.m21 import melody_to_score

    rng = random.Random(3)
    melodies = [mel(TWINKLE, TWINKLE_DUR), mel(C_SCALE, C_SCALE_DUR),
                mel([69, 72, 76, 74, 72, 71, 68, 69, 64, 69], [1, 1, 1, 1, 1, 1, 1, 2, 1, 2], key=None),
                mel([rng.randrange(55, 80) for _ in range(24)], [rng.choice([0.5, 1.0, 1.5]) for _ in range(24)])]
    for melody, method in [(m, method) for m in melodies for method in ("key", "krumhansl")]:
        ours = theory_key.key_estimate(melody, method=method)
        found = melody_to_score(melody).analyze(method)
        assert (ours.key.pitch_class, ours.key.mode) == (found.tonic.pitchClass, found.mode)
        assert ours.clarity == pytest.approx(found.correlationCoefficient, abs=1e-9)
        theirs = {(k.tonic.pitchClass, k.mode): k.correlationCoefficient for k in found.alternateInterpretations}
        for spec, r in ours.ranking[1:]:
            assert r == pytest.approx(theirs[(spec.pitch_class, spec.mode)], abs=1e-9)


def test_unknown_key_method_is_a_tool_error():
    with pytest.raises(ToolError):
        theory_key.key_estimate(mel(TWINKLE, TWINKLE_DUR), method="astrology")


def test_key_mismatch_warns():
    # a tune in C declared as E major: the declared key does not fit
    report = check_melody(mel(C_SCALE, C_SCALE_DUR, key="E major"))
    assert "key_mismatch" in report.codes("warning")
    # and the out-of-key notes are judged against the declared key (E major has no C, D, F, G)
    out = [f for f in report.findings if f.code == "out_of_key"]
    assert {f.message.split()[0] for f in out} == {"C", "D", "F", "G"}


def test_unrecovered_leap_and_octave_plus():
    # bar 1: C D E F | bar 2: C5 (leap of a 5th? no: F4->C5 = 7, allowed) A4 ...
    pitches = [60, 62, 64, 65, 64, 74, 76, 74, 72, 71, 55, 57, 60]
    # E4->D5 (10 up, bar 2) then E5 (up again): unrecovered; B4->G3 (16 down, bar 3): too large
    report = check_melody(mel(pitches, [1.0] * 12 + [4.0]))
    leaps = [(f.code, f.bars, f.value) for f in report.findings if f.code.startswith("leap")]
    assert leaps == [("leap_unrecovered", (2,), 10.0), ("leap_too_large", (3,), 16.0)]


def test_leap_recovered_by_step_back_is_fine():
    melody = mel([60, 69, 67, 65, 64, 62, 60], [1, 1, 1, 1, 1, 1, 2])  # up a 6th, then step down
    assert check_leaps(melody) == []
    # the anchors' stricter 4-semitone threshold flags the same leap only when not answered
    assert check_leaps(mel([60, 67, 72, 71], [1, 1, 1, 1]), threshold=4) == [
        Finding("leap_unrecovered", "warning", "a perfect fifth up is not followed by a step back", (1,), 7.0)]


def test_leap_across_a_phrase_rest_is_not_a_leap():
    melody = mel([60, 62, 64, None, 76, 74, 72, 71, 72], [1, 1, 1, 1, 1, 1, 1, 1, 4])
    assert check_leaps(melody) == []


def test_bar_overflow_is_an_error():
    melody = mel([60, 62, 64, 65, 67, 69], [1, 1, 1, 1, 1, 1])  # 6 beats = 2 bars of 4/4
    object.__setattr__(melody, "bars", 1)  # what a broken generator could hand over
    findings = check_structure(melody)
    assert [(f.code, f.severity, f.bars) for f in findings] == [("bar_overflow", "error", (2,))]
    report = check_melody(melody)
    assert not report.ok and report.findings[0].code == "bar_overflow"


def test_empty_and_trailing_bars_warn_pickup_does_not():
    # pickup of one beat, bar 2 full, bar 3 silent, bar 4 ends, bar 5 trailing
    notes = (Note(67, 3.0, 1.0), Note(72, 4.0, 4.0), Note(71, 12.0, 2.0), Note(72, 14.0, 2.0))
    melody = Melody(notes, key=KeySpec("C"), bars=5)
    findings = check_structure(melody)
    assert [(f.code, f.severity, f.bars) for f in findings] == [
        ("empty_bar", "warning", (3,)), ("trailing_empty_bars", "warning", (5,))]
    assert check_structure(mel([67, 72, 71, 72], [1, 4, 2, 1], start=3.0)) == []


def test_off_grid_note_is_an_error():
    melody = Melody((Note(60, 0.0, 1.0), Note(62, 1.0, 0.301), Note(64, 2.0, 2.0)))
    assert codes(check_structure(melody)) == ["off_grid"]


def test_no_notes_is_an_error():
    report = check_melody(Melody((), bars=2))
    assert report.codes() == ["no_notes"] and not report.ok


def test_f_sharp_in_c_major():
    pitches = [60, 62, 64, 66, 67, 69, 71, 72, 66, 67, 65, 64, 62, 60]
    report = check_melody(mel(pitches, [1.0] * 13 + [3.0]))
    out = [f for f in report.findings if f.code == "out_of_key"]
    assert len(out) == 1
    assert out[0].severity == "warning" and out[0].bars == (1, 3)
    assert out[0].message.startswith("F# is outside C major")
    assert report.ok  # a warning, not an error


def test_minor_accepts_raised_sixth_and_seventh_modes_use_their_scale():
    a_minor = mel([69, 71, 72, 74, 76, 78, 80, 81, 79, 77, 76, 74, 72, 71, 69], C_SCALE_DUR, key="A minor")
    assert check_out_of_key(a_minor, key=KeySpec("A", "minor")) == []
    dorian = mel([62, 64, 65, 67, 69, 71, 72, 70, 69, 62], [1] * 9 + [3], key="D dorian")
    out = check_out_of_key(dorian, key=KeySpec("D", "dorian"))
    assert [(f.code, f.bars) for f in out] == [("out_of_key", (2,))]
    assert out[0].message.startswith("Bb is outside D dorian")


def test_range_for_voices_and_custom():
    melody = mel([57, 60, 64, 67, 72, 76, 79, 84], [1] * 7 + [1])
    report = check_melody(melody, voice="soprano")
    ranged = [(f.code, f.severity, f.bars, f.value) for f in report.findings if f.code.startswith("range_")]
    assert ranged == [("range_low", "error", (1,), 3.0), ("range_high", "error", (2,), 3.0),
                      ("range_span", "info", (), 27.0)]
    assert codes(check_range(melody, range_=("A3", "C6")), "error") == []
    assert codes(check_range(melody, range_=(57, 83)), "error") == ["range_high"]
    assert codes(check_range(melody, voice="any"), "error") == []
    with pytest.raises(ToolError):
        check_range(melody, voice="countertenor")


def test_ending_checks():
    on_fifth = mel([60, 62, 64, 65, 67, 65, 64, 62, 60, 62, 64, 67], [1] * 10 + [1.5, 0.5])
    found = check_ending(on_fifth, key=KeySpec("C"))
    assert [(f.code, f.severity, f.bars) for f in found] == [
        ("ends_off_tonic", "warning", (3,)), ("final_note_short", "warning", (3,)), ("final_leap", "info", (3,))]
    from_dominant = mel([64, 62, 67, 60], [1, 1, 1, 1])
    assert codes(check_ending(from_dominant, key=KeySpec("C"))) == ["ends_on_tonic"]
    six_eight = mel([60, 62, 64, 60], [1.5, 1.5, 2.0, 1.0], meter=(6, 8))  # a quarter, less than the 6/8 beat
    assert codes(check_ending(six_eight, key=KeySpec("C"))) == ["ends_on_tonic", "final_note_short", "final_leap"]
    # an eighth followed by a rest to the bar line is held long enough
    rested = mel([64, 62, 60], [1, 1, 0.5], bars=1)
    assert codes(check_ending(rested, key=KeySpec("C"))) == ["ends_on_tonic"]


def test_chord_that_does_not_fit():
    melody = mel([60, 64, 67, 64, 60, 62, 64, 60, 65, 64, 62, 62, 60], [1] * 12 + [4])
    song = Song(melody, chords=(ChordEvent("C", 0, 4), ChordEvent("F#", 4, 4), ChordEvent("G7", 8, 4),
                                ChordEvent("C", 12, 4)))
    found = check_chord_fit(song)
    assert [(f.code, f.severity, f.bars) for f in found] == [("chord_fit", "info", ()),
                                                            ("chord_clash", "warning", (2,))]
    assert "F#" in found[1].message and found[1].value < 0
    report = check_song(song)
    assert report.ok and "chord_clash" in report.codes("warning") and "chords" in report.checked


def test_chord_metrics_match_the_anchor_definitions():
    # C over C major (chord tone), D over C (non-chord, resolves to E by step), E, then F over C (non-chord,
    # followed by a leap)
    song = Song(mel([60, 62, 64, 65, 72], [1, 1, 1, 1, 4]), chords=(ChordEvent("C", 0, 8),))
    fit = theory_chords.chord_fit(song, {"C": frozenset({0, 4, 7})})
    assert fit.ctr == pytest.approx(6 / 8)
    assert fit.ctnctr == pytest.approx((6 + 1) / 8)
    # PCS per note: C 2/3, D -1/3, E 1, F -2/3, C 2/3 (x4 duration)
    assert fit.pcs == pytest.approx((2 / 3 - 1 / 3 + 1 - 2 / 3 + 4 * 2 / 3) / 8)


def test_unreadable_chord_is_an_error_flats_are_fine():
    song = Song(mel(C_SCALE, C_SCALE_DUR), chords=(ChordEvent("Bb7", 0, 4), ChordEvent("Hmaj7", 4, 4),
                                                   ChordEvent("N.C.", 8, 4), ChordEvent("Hmaj7", 12, 4),
                                                   ChordEvent("C", 16, 4)))
    found = check_chord_fit(song)
    unreadable = [(f.code, f.severity, f.bars) for f in found if f.severity == "error"]
    assert unreadable == [("chord_unreadable", "error", (2, 4))]
    assert [(f.code, f.bars) for f in found if f.code == "chord_past_end"] == [("chord_past_end", (5,))]
    assert not check_song(song).ok


def _four_part(voices, *, meter="4/4", measures=True):
    """A Score from four lists of (pitch name, quarters), soprano first."""
    from music21 import meter as m21meter
    from music21 import note, stream

    score = stream.Score()
    for line in voices:
        part = stream.Part()
        part.append(m21meter.TimeSignature(meter))
        for name, ql in line:
            part.append(note.Rest(quarterLength=ql) if name is None else note.Note(name, quarterLength=ql))
        score.insert(0, part.makeMeasures() if measures else part)
    return score


def test_four_part_parallel_fifths_and_octaves():
    # C major -> D minor with every voice stepping up: alto/bass octaves, tenor/bass fifths (bar 1)
    score = _four_part([
        [("E5", 1), ("F5", 1), ("E5", 1), ("D5", 1), ("C5", 4)],
        [("C5", 1), ("D5", 1), ("C5", 1), ("B4", 1), ("C5", 4)],
        [("G4", 1), ("A4", 1), ("G4", 1), ("G4", 1), ("E4", 4)],
        [("C3", 1), ("D3", 1), ("E3", 1), ("G2", 1), ("C3", 4)],
    ])
    stats = voice_leading_stats(score)
    assert stats.transitions == 4
    found = [(f.code, f.message, f.bars) for f in check_voice_leading(score, stats=stats) if f.severity == "warning"]
    assert found == [("parallel_octaves", "alto and bass: parallel octaves/unisons (1 time)", (1,)),
                     ("parallel_fifths", "tenor and bass: parallel fifths (1 time)", (1,))]
    assert stats.per_100("parallel_fifths") == pytest.approx(25.0)
    assert stats.count("voice_crossing") == stats.count("spacing") == 0
    report = check_four_part(score)
    assert report.ok and report.codes("warning") == ["parallel_octaves", "parallel_fifths"]


def test_four_part_crossing_and_spacing():
    score = _four_part([
        [("C5", 2), ("G5", 2)],
        [("E4", 2), ("E4", 2)],  # soprano G5 is more than an octave above alto E4 in the second chord
        [("G3", 2), ("G4", 2)],  # the tenor rises above the alto
        [("C3", 2), ("C3", 2)],
    ])
    found = [(f.code, f.message, f.bars) for f in check_voice_leading(score) if f.severity == "warning"]
    assert found == [("voice_crossing", "alto and tenor: voices cross (1 time)", (1,)),
                     ("spacing", "soprano and alto: more than an octave apart (1 time)", (1,))]
    with pytest.raises(ToolError):
        voice_leading_stats(_four_part([[("C5", 4)], [("E4", 4)], [("C3", 4)]]))
    # without measures the bars come from the time signature: the same chords moved to bar 2
    flat = _four_part([[("C5", 4), ("C5", 2), ("G5", 2)], [("E4", 4), ("E4", 2), ("E4", 2)],
                       [("G3", 4), ("G3", 2), ("G4", 2)], [("C3", 4), ("C3", 2), ("C3", 2)]], measures=False)
    assert [(f.code, f.bars) for f in check_voice_leading(flat) if f.severity == "warning"] == [
        ("voice_crossing", (2,)), ("spacing", (2,))]


def test_report_sorting_summary_and_dict():
    report = Report(findings=(Finding("b", "info", "fine"), Finding("a", "warning", "hmm", (5,)),
                              Finding("c", "error", "broken", (2,)), Finding("d", "warning", "hmm", (1,))),
                    key=KeySpec("G"))
    assert report.codes() == ["c", "d", "a", "b"] and not report.ok
    text = report.summary(max_lines=2)
    assert text.splitlines()[0] == "Theory check: needs fixing (1 error, 2 warnings, key G major)"
    assert text.splitlines()[-1] == "  … and 2 more"
    assert report.as_dict()["findings"][0] == {"code": "c", "severity": "error", "message": "broken",
                                               "bars": [2], "value": None}
    with pytest.raises(ValueError):
        Finding("x", "fatal", "nope")


def test_check_melody_is_fast_when_warm():
    melody = mel(C_SCALE * 2 + [60], [1.0] * 30 + [2.0])  # 8 bars
    song = Song(melody, chords=tuple(ChordEvent(s, 4.0 * i, 4.0) for i, s in
                                     enumerate(["C", "F", "G7", "C", "Am", "Dm", "G7", "C"])))
    check_song(song)  # warm music21
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        check_song(song)
        runs.append(time.perf_counter() - start)
    assert sorted(runs)[1] < 0.5  # typically 20-40 ms; generous for a loaded machine


@pytest.mark.slow
def test_voice_leading_rates_on_bach_chorales():
    from music21 import corpus

    names = list(corpus.chorales.Iterator(returnType="filename"))[:40]
    transitions, counts = 0, {k: 0 for k in voice_leading.KINDS}
    for name in names:
        score = corpus.parse(name)
        if len(score.parts) != 4:
            continue
        stats = voice_leading_stats(score)
        transitions += stats.transitions
        for kind in counts:
            counts[kind] += stats.count(kind)
    assert transitions > 2000
    assert 100 * counts["parallel_fifths"] / transitions < 1.0
    assert 0.5 < 100 * counts["voice_crossing"] / transitions < 6.0
    assert 0.3 < 100 * counts["spacing"] / transitions < 4.0
