"""Chord recommendation: chord vocabulary and spelling, scoring, search, harmonization, progressions, CLI."""

from __future__ import annotations

import doctest
import itertools
import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from tunesmith.agent import cli_chords
from tunesmith.tokenization.abc import song_to_abc
from tunesmith.tokenization.music import MODES, KeySpec, Melody, Meter, Note, Song, spell_pitch_class
from tunesmith.tools.chords import explain as chords_explain
from tunesmith.tools.chords import prior as chords_prior
from tunesmith.tools.chords import progressions as chords_progressions
from tunesmith.tools.chords import score as chords_score
from tunesmith.tools.chords import search as chords_search
from tunesmith.tools.chords import tables as chords_tables
from tunesmith.tools.chords import vocab as chords_vocab
from tunesmith.tools.chords.recommend import progressions, recommend_chords
from tunesmith.tools.chords.score import make_slots
from tunesmith.tools.chords.search import kbest_paths, max_marginals
from tunesmith.tools.chords.vocab import CHORALE, LEAD_SHEET, candidate_chords, roman_function, style_family
from tunesmith.tools.errors import ToolError
from tunesmith.tools.theory.check import check_song
from tunesmith.tools.theory.chords import chord_pitch_classes

DATA = Path(__file__).resolve().parents[1] / "data" / "harmony" / "train.jsonl"


def _melody(pitches: list[int], *, key: str = "C", mode: str = "major", meter: Meter = Meter(4, 4),
            length: float = 1.0) -> Melody:
    notes = tuple(Note(p, i * length, length) for i, p in enumerate(pitches))
    return Melody(notes=notes, meter=meter, key=KeySpec(key, mode))


# C major: bars outline C, F, G, C (the last note held)
TWINKLE = [60, 60, 67, 67, 69, 69, 67, 67, 65, 65, 64, 64, 62, 62, 60, 60]
SIMPLE = [60, 64, 67, 64, 65, 69, 72, 69, 67, 71, 74, 71, 72, 67, 64, 60]


@pytest.mark.parametrize("module", [chords_vocab, chords_prior, chords_search, chords_score, chords_explain,
                                    chords_progressions, chords_tables, cli_chords])
def test_doctests(module) -> None:
    assert doctest.testmod(module).failed == 0


def _check_keys(keys) -> None:
    for key, family in itertools.product(keys, (LEAD_SHEET, CHORALE)):
        chords = candidate_chords(key, family)
        assert len({c.label for c in chords}) == len(chords)
        for chord in chords:
            assert "-" not in chord.symbol and "##" not in chord.symbol, chord.symbol
            assert chord_pitch_classes(chord.symbol) == chord.pcs, (key, chord)
            assert chord.roman and roman_function(chord.roman) in "TSDA", (key, chord)


def test_candidate_chords_are_readable_and_spelled_for_people_in_awkward_keys() -> None:
    _check_keys([KeySpec("F#"), KeySpec("Db"), KeySpec("G#", "minor"), KeySpec("Eb", "minor"),
                 KeySpec("D", "dorian"), KeySpec("Bb", "mixolydian")])


@pytest.mark.slow
def test_every_candidate_chord_in_every_key_is_readable_and_spelled_for_people() -> None:
    _check_keys([KeySpec(spell_pitch_class(pc, mode=mode), mode) for pc in range(12) for mode in MODES])


def test_spelling_follows_the_key() -> None:
    assert [c.symbol for c in candidate_chords(KeySpec("Bb"), LEAD_SHEET)] == ["Bb", "Cm", "Dm", "Eb", "F", "F7", "Gm"]
    chorale = {c.roman: c.symbol for c in candidate_chords(KeySpec("C"), CHORALE)}
    assert chorale["V7/V"] == "D7" and chorale["bVII"] == "Bb" and chorale["viio7/vi"] == "G#dim7"
    minor = {c.roman: c.symbol for c in candidate_chords(KeySpec("A", "minor"), LEAD_SHEET)}
    assert minor["V7"] == "E7" and minor["VI"] == "F" and minor["VII"] == "G"


def test_style_family() -> None:
    assert style_family("bach-chorale") == style_family("chorale") == CHORALE
    assert style_family("irish-reel") == style_family("folk") == style_family(None) == LEAD_SHEET
    with pytest.raises(ToolError, match="unknown style"):
        style_family("polka")


def test_kbest_and_max_marginals_match_brute_force() -> None:
    rng = np.random.default_rng(3)
    for _ in range(15):
        steps, n, k = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 5))
        unary, transition = rng.normal(size=(steps, n)), rng.normal(size=(n, n))
        paths = sorted(((sum(unary[t, p[t]] for t in range(steps))
                         + sum(transition[a, b] for a, b in zip(p, p[1:])), list(p))
                        for p in itertools.product(range(n), repeat=steps)), key=lambda x: -x[0])
        got = kbest_paths(unary, transition, k)
        assert np.allclose([s for s, _ in got], [s for s, _ in paths[:k]])
        marginals = max_marginals(unary, transition)
        for t, c in itertools.product(range(steps), range(n)):
            assert np.isclose(marginals[t, c], max(s for s, p in paths if p[t] == c))


def test_slots_per_bar_half_and_beat_with_a_pickup() -> None:
    notes = (Note(67, 3.0, 1.0), *(Note(60 + i, 4.0 + i, 1.0) for i in range(8)))
    melody = Melody(notes=notes, meter=Meter(4, 4), key=KeySpec("C"))
    bar, half, beat = (make_slots(melody, per) for per in ("bar", "half", "beat"))
    assert [s.bar for s in bar] == [1, 2, 3]
    assert bar[0].onset == 3.0 and bar[0].duration == 1.0  # the pickup's chord starts with its note
    assert len(half) == 5 and len(beat) == 9
    assert beat[-1].final and beat[-1].end == melody.length
    three = Melody(notes=tuple(Note(60, i, 1.0) for i in range(6)), meter=Meter(3, 4))
    assert [s.duration for s in make_slots(three, "half")] == [2.0, 1.0, 2.0, 1.0]
    with pytest.raises(ToolError, match="per"):
        make_slots(melody, "quaver")


def test_harmonizes_a_plain_tune_with_the_obvious_chords() -> None:
    result = recommend_chords(_melody(SIMPLE), k=3, scorer="rules")
    assert [c.symbol for c in result.chords] == ["C", "F", "G", "C"]
    assert [c.roman for c in result.chords] == ["I", "IV", "V", "I"]
    assert result.per == "bar" and result.scorer == "rules"
    assert result.report.ok and "chord_clash" not in result.report.codes()
    for slot in result.slots:
        assert len(slot.alternatives) == 3
        assert slot.chosen.symbol not in {a.symbol for a in slot.alternatives}
        assert all(a.reason and "\n" not in a.reason and a.roman in a.reason for a in slot.alternatives)
        assert slot.chosen.score == 1.0 and all(0 <= a.score <= 1 for a in slot.alternatives)
    assert len(result.progressions) == 3
    assert result.progressions[0].symbols == ("C", "F", "G", "C")
    assert len({p.symbols for p in result.progressions}) == 3


def test_reason_names_the_shared_melody_note() -> None:
    result = recommend_chords(_melody([64, 64, 64, 64, 65, 65, 67, 67, 67, 67, 67, 67, 60, 60, 60, 60]), k=6)
    first = result.slots[0]
    assert first.chosen.symbol == "C"
    relative = next(a for a in first.alternatives if a.symbol == "Am")
    assert relative.reason.startswith("vi instead of I: same melody note E") and "darker" in relative.reason


def test_harmonic_rhythm_and_style_defaults() -> None:
    melody = _melody(TWINKLE)
    assert len(recommend_chords(melody, per="beat").slots) == 16
    assert len(recommend_chords(melody, per="half").slots) == 8
    chorale = recommend_chords(Song(melody=melody, style="bach-chorale"))
    assert chorale.per == "beat" and chorale.style == "bach-chorale"
    assert chorale.chords[-1].symbol == "C"
    folk = recommend_chords(Song(melody=melody, style="irish-reel"))  # the folk HMM chooses the rate
    assert folk.scorer == "folk-hmm" and folk.per == "half"
    assert [c.symbol.rstrip("7") for c in folk.chords] == ["C", "F", "C", "F", "C", "G", "C"]  # C | F C | F C | G C
    assert recommend_chords(Song(melody=melody, style="folk"), per="bar").per == "bar"
    assert recommend_chords(Song(melody=melody, style="pop")).scorer == "folk-hmm"  # bent by chord_styles.toml


def test_flat_keys_minor_and_estimated_key() -> None:
    bb = _melody([p - 2 for p in SIMPLE], key="Bb")
    assert [c.symbol.rstrip("7") for c in recommend_chords(bb).chords] == ["Bb", "Eb", "F", "Bb"]
    minor = _melody([57, 60, 64, 60, 62, 65, 69, 65, 64, 68, 71, 68, 69, 64, 60, 57], key="A", mode="minor")
    assert [c.symbol.rstrip("7") for c in recommend_chords(minor).chords] == ["Am", "Dm", "E", "Am"]
    unkeyed = replace(_melody(SIMPLE), key=None)
    assert str(recommend_chords(unkeyed).key) == "C major"
    assert str(recommend_chords(_melody(SIMPLE), key="A minor").key) == "A minor"


def test_every_result_passes_the_chord_checks_or_says_so() -> None:
    rng = random.Random(7)
    for trial in range(6):
        pitches = [rng.randint(55, 79) for _ in range(24)]
        result = recommend_chords(_melody(pitches, length=0.5 + 0.5 * (trial % 2)), per=["bar", "beat"][trial % 2])
        report = check_song(result.song, key=result.key)
        assert report.ok
        clash = "chord_clash" in report.codes()
        assert not clash or any("clash" in note for note in result.notes)


def test_seed_gives_reproducible_variations() -> None:
    melody = _melody(TWINKLE * 2)
    first = recommend_chords(melody, per="half", seed=5)
    assert [c.symbol for c in first.chords] == [c.symbol for c in recommend_chords(melody, per="half", seed=5).chords]
    assert first.report.ok


def test_bad_requests_raise_tool_errors() -> None:
    with pytest.raises(ToolError, match="no notes"):
        recommend_chords(Melody(notes=(), bars=2))
    with pytest.raises(ToolError, match="unknown style"):
        recommend_chords(_melody(SIMPLE), style="polka")
    with pytest.raises(ToolError, match="k must"):
        recommend_chords(_melody(SIMPLE), k=0)
    with pytest.raises(ToolError, match="Song or a Melody"):
        recommend_chords("C D E")  # type: ignore[arg-type]


def test_progressions_without_a_melody() -> None:
    found = progressions("G", style="pop", mood="happy", bars=8, k=3)
    assert len(found) == 3 and len({p.symbols for p in found}) == 3
    for prog in found:
        assert len(prog.chords) == 8 and prog.chords[-1].symbol == "G" and prog.reason
        assert all(chord_pitch_classes(c.symbol) for c in prog.chords)
    assert any("pop loop" in p.reason or "cadence" in p.reason for p in found)
    assert found[0].chart().startswith("| G |")

    def minor_share(mood: str) -> float:
        chords = [c for p in progressions("C", style="folk", mood=mood, bars=8, k=3) for c in p.chords]
        return sum(c.symbol.endswith("m") for c in chords) / len(chords)

    assert minor_share("sad") > minor_share("happy")
    chorale = progressions("E minor", style="chorale", bars=4, k=2)
    assert all(a.symbol != b.symbol for p in chorale for a, b in zip(p.chords, p.chords[1:]))
    with pytest.raises(ToolError, match="mood"):
        progressions("C", mood="purple")


@pytest.mark.skipif(not DATA.is_file(), reason="data/harmony not built")
def test_chorale_tables_match_the_data() -> None:
    unigrams, bigrams = chords_tables.count_chorale_tables(DATA)
    assert unigrams == chords_tables.CHORALE_UNIGRAMS and bigrams == chords_tables.CHORALE_BIGRAMS


def test_transition_priors_are_distributions_and_musical() -> None:
    key = KeySpec("C")
    for family in (LEAD_SHEET, CHORALE):
        chords = candidate_chords(key, family)
        matrix = np.exp(chords_prior.transition_logprobs(chords, family, "major", change=0.6))
        assert np.allclose(matrix.sum(axis=1), 1.0)
        index = {c.roman: i for i, c in enumerate(chords)}
        assert matrix[index["V7"], index["I"]] > matrix[index["V7"], index["IV"]]


def _midi_notes(data: bytes) -> list[tuple[int, int, str, int]]:
    """(track, tick, 'on'|'off', pitch) of a Standard MIDI File (enough of the format for these files)."""
    def varlen(chunk: bytes, i: int) -> tuple[int, int]:
        value = 0
        while True:
            byte = chunk[i]
            i += 1
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                return value, i

    assert data[:4] == b"MThd"
    pos, events, track = 8 + int.from_bytes(data[4:8], "big"), [], 0
    while pos < len(data):
        length = int.from_bytes(data[pos + 4:pos + 8], "big")
        chunk, pos = data[pos + 8:pos + 8 + length], pos + 8 + length
        i = tick = status = 0
        while i < len(chunk):
            delta, i = varlen(chunk, i)
            tick += delta
            if chunk[i] >= 0x80:
                status, i = chunk[i], i + 1
            if status == 0xFF:
                size, i = varlen(chunk, i + 1)
                i += size
            elif status in (0xF0, 0xF7):
                size, i = varlen(chunk, i)
                i += size
            else:
                kind, args = status & 0xF0, chunk[i:i + (1 if status & 0xF0 in (0xC0, 0xD0) else 2)]
                i += len(args)
                if kind in (0x80, 0x90):
                    events.append((track, tick, "on" if kind == 0x90 and args[1] else "off", args[0]))
        track += 1
    return events


def test_cli_prints_chart_and_writes_lead_sheet_and_midi_without_stuck_notes(tmp_path: Path) -> None:
    song = Song(melody=_melody(TWINKLE * 2), title="Twinkle")
    source = tmp_path / "twinkle.abc"
    source.write_text(song_to_abc(song), encoding="utf-8")
    app = typer.Typer()
    app.command()(cli_chords.chords)
    out = tmp_path / "out"
    env = {"TUNESMITH_CHECKPOINTS": str(tmp_path / "none"), "TUNESMITH_HOME": str(tmp_path / "home")}
    result = CliRunner().invoke(app, [str(source), "--per", "half", "--k", "2", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "Chords:\n| C" in result.output
    assert "rule-based scorer only" not in result.output  # the folk harmonizer needs no harmony adapter
    assert "instead of" in result.output and "Whole progressions:" in result.output
    midi = next(out.glob("*.mid")).read_bytes()
    xml = next(out.glob("*.musicxml")).read_text(encoding="utf-8")
    assert xml.count("<harmony") >= 4 and "<root-step>C</root-step>" in xml
    sounding: dict[tuple[int, int], int] = {}
    for track, _tick, kind, pitch in _midi_notes(midi):
        if kind == "on":
            assert (track, pitch) not in sounding, f"pitch {pitch} struck again before its note-off"
            sounding[(track, pitch)] = 1
        else:
            sounding.pop((track, pitch), None)
    assert not sounding, "notes left sounding at the end"
    assert {track for track, *_ in _midi_notes(midi)} == {1, 2}  # melody and chords
    bad = CliRunner().invoke(app, [str(tmp_path / "missing.abc")], env=env)
    assert bad.exit_code != 0 and "does not exist" in str(bad.exception)
