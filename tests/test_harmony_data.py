"""Harmony data: beat chords from the full four-voice texture, labels, records, cache, validation."""

from __future__ import annotations

import doctest
import json
import os

import pytest
from typer.testing import CliRunner

from tunesmith.agent.cli_harmony import harmony_app
from tunesmith.finetune.harmony import build as harmony_build
from tunesmith.finetune.harmony import cache as harmony_cache
from tunesmith.finetune.harmony import chords as harmony_chords
from tunesmith.finetune.harmony import data as harmony_data
from tunesmith.finetune.harmony import validate as harmony_validate
from tunesmith.finetune.errors import CorpusError
from tunesmith.finetune.harmony.cache import Chorale, derive_many
from tunesmith.finetune.harmony.chords import best_template, label_chord, roman_figure
from tunesmith.finetune.harmony.data import beat_chords, derive_chorale
from tunesmith.finetune.harmony.validate import compare
from tunesmith.tokenization.records import record_to_song, split_of

# I - IV - V - I in C, one chord per beat; S A T B, each a list of (pitch, quarter length).
CADENCE = {
    "Soprano": [("G4", 1), ("A4", 1), ("C5", 0.25), ("B4", 0.75), ("C5", 1)],  # C5: an accented passing tone
    "Alto": [("E4", 1), ("F4", 0.75), ("G4", 0.25), ("D4", 1), ("E4", 1)],  # G4: a short passing tone
    "Tenor": [("C4", 1), ("C4", 1), ("G3", 1), ("G3", 1)],
    "Bass": [("C3", 1), ("F2", 1), ("G2", 1), ("C3", 1)],
}


def make_score(voices=CADENCE, *, lyrics=("la", "le", "li", None, "lo")):
    from music21 import key, meter, note, stream

    score = stream.Score()
    for name, notes in voices.items():
        part = stream.Part()
        part.partName = name
        measure = stream.Measure(number=1)
        measure.append(meter.TimeSignature("4/4"))
        measure.append(key.KeySignature(0))
        for index, (name_, length) in enumerate(notes):
            n = note.Note(name_, quarterLength=length)
            if part.partName == "Soprano" and index < len(lyrics) and lyrics[index]:
                n.lyric = lyrics[index]
            measure.append(n)
        part.append(measure)
        score.insert(0, part)
    return score


def test_cadence_symbols_and_romans_exactly():
    harmony = derive_chorale(make_score(), source="cadence.xml")
    assert [b.symbol for b in harmony.beats] == ["C", "F", "G", "C"]
    assert [b.roman for b in harmony.beats] == ["I", "IV", "V", "I"]
    assert [b.root for b in harmony.beats] == [0, 5, 7, 0]
    assert [b.quality for b in harmony.beats] == ["maj"] * 4
    assert [(b.onset, b.duration) for b in harmony.beats] == [(0.0, 1.0), (1.0, 1.0), (2.0, 1.0), (3.0, 1.0)]
    assert harmony.song.melody.key is not None and str(harmony.song.melody.key) == "C major"
    assert [n.lyric.text for n in harmony.song.melody.notes if n.lyric] == ["la", "le", "li", "lo"]


def test_onset_pick_is_fooled_by_the_accented_passing_tone():
    from music21 import key

    score = make_score()
    romans = [b.roman for b in beat_chords(score, key.Key("C"), pick="onset")]
    assert romans == ["I", "IV", "V54", "I"]  # the C5 over G-D-G is read, not the G major filling the beat
    with pytest.raises(CorpusError):
        beat_chords(score, key.Key("C"), pick="loudest")


def test_record_format_and_round_trip():
    record = derive_chorale(make_score(), source="cadence.xml").to_record(record_id="test/cadence")
    assert record["chords"] == [
        ["C", 0.0, 1.0, "I"], ["F", 1.0, 1.0, "IV"], ["G", 2.0, 1.0, "V"], ["C", 3.0, 1.0, "I"]]
    assert record["chord_roots"] == [0, 5, 7, 0] and record["chord_qualities"] == ["maj"] * 4
    assert record["styles"] == ["bach-chorale"] and record["split"] == split_of(record["hash"])
    assert record["key"] == "C" and record["mode"] == "major" and record["lyrics"][0] == [0, "la", "single"]
    song = record_to_song(json.loads(json.dumps(record)))
    assert [c.roman for c in song.chords] == ["I", "IV", "V", "I"]


def test_pickup_shifts_chords_like_the_melody():
    from music21 import key, meter, note, stream

    score = stream.Score()
    voices = {"Soprano": ("G4", "C5"), "Alto": ("D4", "E4"), "Tenor": ("B3", "G3"), "Bass": ("G2", "C3")}
    for name, pitches in voices.items():
        part = stream.Part()
        part.partName = name
        pickup = stream.Measure(number=0)
        pickup.append([meter.TimeSignature("3/4"), key.KeySignature(0), note.Note(pitches[0], quarterLength=1)])
        pickup.paddingLeft = 2.0
        full = stream.Measure(number=1)
        full.append(note.Note(pitches[1], quarterLength=3))
        part.append([pickup, full])
        score.insert(0, part)
    harmony = derive_chorale(score, source="pickup.xml")
    assert harmony.song.melody.notes[0].onset == 2.0
    assert [(b.onset, b.measure, b.beat, b.roman) for b in harmony.beats] == [
        (2.0, 0, 3.0, "V"), (3.0, 1, 1.0, "I"), (4.0, 1, 2.0, "I"), (5.0, 1, 3.0, "I")]


def test_roman_figures_use_analysts_spelling():
    from music21 import key

    a_minor, c_major = key.Key("a"), key.Key("C")
    assert roman_figure("G", "maj", 7, a_minor) == "VII"  # music21's romanNumeralFromChord says bVII
    assert roman_figure("E", "7", 4, a_minor) == "V7"
    assert roman_figure("G#", "dim7", 8, a_minor) == "viio7"
    assert roman_figure("A", "maj", 9, a_minor) == "I"  # Picardy third
    assert roman_figure("D", "maj", 6, c_major) == "V6/V"
    assert roman_figure("F#", "hdim7", 6, c_major) == "viiø7/V"
    assert roman_figure("B", "dim", 2, c_major) == "viio6"
    assert roman_figure("E", "m7", 2, c_major) == "iii42"


def test_odd_sonorities_fall_back_to_root_and_quality():
    from music21 import chord, key

    assert best_template({9, 0, 4, 7}, prefer_root=9) == (9, "m7")
    assert label_chord(chord.Chord("A2 E3 A3 E4"), key.Key("a")).symbol == "Am"  # bare fifth: the key's third
    assert label_chord(chord.Chord("A2 E3 A3 E4"), key.Key("A")).symbol == "A"
    added = label_chord(chord.Chord("C3 E3 G3 D4"), key.Key("C"))
    assert (added.symbol, added.quality, added.roman) == ("C", "maj", "I")
    flat = label_chord(chord.Chord("B-2 D3 F3 A-3"), key.Key("E-"))
    assert (flat.symbol, flat.roman, flat.root, flat.quality) == ("Bb7", "V7", 10, "7")
    sus = label_chord(chord.Chord("G2 C3 D3 G3"), key.Key("C"))
    assert (sus.symbol, sus.roman) == ("Gsus4", "V54")


def test_four_voices_picks_the_choir_or_fails():
    from music21 import stream

    score = make_score()
    extra = stream.Part()
    extra.partName = "Trumpet 1"
    score.insert(0, extra)
    assert [p.partName for p in harmony_data.four_voices(score).parts] == ["Soprano", "Alto", "Tenor", "Bass"]
    solo = make_score({"Soprano": CADENCE["Soprano"], "Alto": CADENCE["Alto"], "Flute": CADENCE["Tenor"]})
    with pytest.raises(CorpusError, match="3 parts"):
        derive_chorale(solo, source="trio.xml")


def test_cache_hits_and_invalidation(tmp_path):
    path = tmp_path / "cadence.musicxml"
    make_score().write("musicxml", fp=str(path))
    chorale = Chorale(path=str(path), name="test/cadence")
    first = list(derive_many([chorale], jobs=1, cache_dir=tmp_path / "cache", progress=False))
    second = list(derive_many([chorale], jobs=1, cache_dir=tmp_path / "cache", progress=False))
    assert [cached for _, cached in first] == [False] and [cached for _, cached in second] == [True]
    assert first[0][0] == second[0][0] and [c[0] for c in first[0][0]["record"]["chords"]] == ["C", "F", "G", "C"]
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    third = list(derive_many([chorale], jobs=1, cache_dir=tmp_path / "cache", progress=False))
    assert [cached for _, cached in third] == [False]
    twice = list(derive_many([Chorale(str(path), "test/cadence", 7)], jobs=1, cache_dir=tmp_path / "cache",
                             progress=False))
    assert twice[0][1] and twice[0][0]["number"] == 7 and twice[0][0]["record"]["riemenschneider"] == 7
    bad = list(derive_many([Chorale(path=str(tmp_path / "cache"), name="x")], jobs=1, cache_dir=None, progress=False))
    assert "error" in bad[0][0] and bad[0][1] is False


def test_compare_finds_transposition_and_counts():
    entry = {"record": derive_chorale(make_score(), source="c.xml").to_record(record_id="c"),
             "positions": [[1, 1.0, 0], [1, 2.0, 5], [1, 3.0, 7], [1, 4.0, 0]]}
    # The same cadence analysed in D major, with beat 3 read as V7 and beat 4 as vi.
    events = [(0.0, [("I", "D major")], 2, 2, "m1b1"), (1.0, [("IV", "D major")], 7, 2, "m1b2"),
              (2.0, [("V7", "D major")], 9, 2, "m1b3"), (3.0, [("vi", "D major")], 11, 2, "m1b4")]
    result = compare(entry, {"timelines": {"as written": events}})
    assert result["transposed_by"] == 10 and result["key_agrees"]
    assert (result["beats"], result["root"], result["exact"], result["exact_local_key"]) == (4, 3, 2, 2)
    assert result["roman_exact_in_key"] == 0.5


def test_doctests():
    for module in (harmony_chords, harmony_data, harmony_validate, harmony_cache, harmony_build):
        assert doctest.testmod(module).failed == 0


def test_real_chorale_first_beats():
    from music21 import corpus

    harmony = derive_chorale(corpus.parse(str(corpus.getWork("bach/bwv269"))), source="bach/bwv269.mxl")
    assert str(harmony.song.melody.key) == "G major" and str(harmony.song.melody.meter) == "3/4"
    assert [b.roman for b in harmony.beats[:4]] == ["I", "I", "IV6", "V6"]  # as in riemenschneider001.rntxt
    assert [b.symbol for b in harmony.beats[:4]] == ["G", "G", "C", "D"]
    assert harmony.song.melody.notes[0].lyric.text == "Aus"


def test_cli_build_two_chorales(tmp_path):
    out = tmp_path / "harmony"
    result = CliRunner().invoke(harmony_app, ["build", "--out", str(out), "--limit", "2", "--jobs", "1",
                                              "--cache-dir", str(tmp_path / "cache"), "-q"])
    assert result.exit_code == 0, result.output
    stats = json.loads((out / "stats.json").read_text())
    assert stats["used"] == 2 and stats["beats"] == sum(stats["beats_by_split"].values())
    rows = [json.loads(line) for name in ("train", "valid", "test") for line in (out / f"{name}.jsonl").open()]
    assert sorted(r["id"] for r in rows) == ["bach/bwv269", "bach/bwv347"]
    assert all(len(r["chords"]) == len(r["chord_roots"]) == len(r["chord_qualities"]) for r in rows)
    with pytest.raises(CorpusError):
        harmony_build.build_harmony_data(out, key_method="guess", use_cache=False, progress=False)
