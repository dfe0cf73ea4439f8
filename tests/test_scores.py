"""MusicXML a notation program shows cleanly: accidentals only where a reader needs them, the song's
own title, composer and tempo, pickup bars, extenders and chord symbols (issue 16)."""

from __future__ import annotations

import random
from pathlib import Path
import xml.etree.ElementTree as ET

import pytest

from tunesmith.eval.eval_scores import accidentals
from tunesmith.tokenization.abc import song_to_abc
from tunesmith.tokenization.files import musicxml_bytes, read_song, write_song
from tunesmith.tokenization.music import ChordEvent, Melody, Meter, Note, Song, Syllable, parse_key, parse_meter


def tree(song: Song) -> ET.Element:
    return ET.fromstring(musicxml_bytes(song))


def melody_of(notes, *, key="D", meter="4/4", tempo=100, bars=0) -> Melody:
    return Melody(tuple(notes), meter=parse_meter(meter), key=parse_key(key) if key else None, tempo=tempo, bars=bars)


def shown(root: ET.Element) -> list[tuple[str, str | None]]:
    """(step+octave, accidental shown or None) of every note, in order."""
    return [(n.findtext("pitch/step") + n.findtext("pitch/octave"), n.findtext("accidental"))
            for n in root.iter("note") if n.find("pitch") is not None]


def read_back(song: Song, folder) -> Song:
    """The song as read from the MusicXML file tunesmith writes for it."""
    return read_song(write_song(song, folder, stem="t")["musicxml"])


def test_accidentals_only_where_the_signature_and_the_bar_need_them() -> None:
    # D major: D4 D5 plain; C5 natural, C5 sharp again, C5 sharp (no sign: the bar says so);
    # bar 2: C#5 plain (a new bar), C5 natural again, C4 natural (another octave needs its own sign); bar 3: C#4 plain
    pitches = [62, 74, 72, 73, 73, 74, 72, 60, 61, 74]
    song = Song(melody_of([Note(p, float(i), 1.0) for i, p in enumerate(pitches)] + [Note(74, 10.0, 6.0)]))
    root = tree(song)
    assert shown(root)[:10] == [("D4", None), ("D5", None), ("C5", "natural"), ("C5", "sharp"), ("C5", None),
                                ("D5", None), ("C5", "natural"), ("C4", "natural"), ("C4", None), ("D5", None)]
    assert accidentals(root) == (0, 0)


@pytest.mark.parametrize("key", ["C", "D", "Bb", "F# minor", "A dorian", "Eb", "G mixolydian", None])
def test_random_tunes_have_no_redundant_or_missing_accidental(key, tmp_path) -> None:
    rng = random.Random(str(key))
    notes, onset = [], 0.0
    while onset < 28:
        duration = rng.choice([0.5, 1.0, 1.5, 2.0, 3.0])  # some notes tie over a bar line
        notes.append(Note(rng.randint(57, 81), onset, duration))
        onset += duration
    song = Song(melody_of(notes, key=key, bars=8))
    root = tree(song)
    assert accidentals(root) == (0, 0)
    assert [n.pitch for n in read_back(song, tmp_path).melody.notes] == [n.pitch for n in notes]


def test_title_composer_and_tempo_above_in_the_beat_of_the_meter(tmp_path) -> None:
    song = Song(melody_of([Note(62, 0.0, 2.0), Note(66, 2.0, 2.0)], meter="2/2", tempo=112), title="irish-reel in D major")
    root = tree(song)
    assert root.findtext("work/work-title") == "irish-reel in D major"
    assert root.findtext("identification/creator[@type='composer']") == "tunesmith"
    direction = root.find("part/measure/direction")
    assert direction.get("placement") == "above"
    assert direction.findtext("direction-type/metronome/beat-unit") == "half"
    assert direction.findtext("direction-type/metronome/per-minute") == "56"
    assert direction.find("sound").get("tempo") == "112"
    assert read_back(song, tmp_path).melody.tempo == 112


@pytest.mark.parametrize(("meter", "tempo", "unit", "number"), [("6/8", 120, "quarter", "80"), ("6/8", 116, "quarter", "116"),
                                                                ("3/4", 96, "quarter", "96")])
def test_tempo_mark_reads_back_as_the_same_tempo(meter, tempo, unit, number, tmp_path) -> None:
    length = Meter(int(meter[0]), int(meter[2])).bar_length
    song = Song(melody_of([Note(67, 0.0, length), Note(71, length, length)], key="G", meter=meter, tempo=tempo))
    metronome = tree(song).find(".//metronome")
    assert metronome.findtext("beat-unit") == unit and metronome.findtext("per-minute") == number
    assert (metronome.find("beat-unit-dot") is not None) == (number == "80")
    assert read_back(song, tmp_path).melody.tempo == tempo


def test_a_long_leading_rest_is_a_pickup_bar_in_musicxml_and_abc(tmp_path) -> None:
    notes = [Note(69, 2.0, 1.0), Note(71, 3.0, 1.0)] + [Note(74, 4.0 + i, 1.0) for i in range(8)] + [Note(74, 12.0, 4.0)]
    song = Song(melody_of(notes), chords=(ChordEvent("D", 4.0, 4.0), ChordEvent("G", 8.0, 8.0)))
    measures = tree(song).findall("part/measure")
    assert (measures[0].get("number"), measures[0].get("implicit")) == ("0", "yes")
    assert [m.get("number") for m in measures[1:]] == ["1", "2", "3"]
    assert measures[0].find("note/rest") is None and len(measures[0].findall("note")) == 2
    assert sum(int(n.findtext("duration")) for n in measures[0].iter("note")) == 2 * 10080
    assert song_to_abc(song).splitlines()[6].startswith("A2 B2 |")  # the ABC's upbeat is the same two beats
    back = read_back(song, tmp_path)
    assert back.melody.notes == song.melody.notes and back.melody.bars == 4


def test_a_short_leading_rest_stays_a_rest() -> None:
    song = Song(melody_of([Note(69, 1.0, 3.0), Note(74, 4.0, 4.0)]))
    first = tree(song).find("part/measure")
    assert first.get("number") == "1" and first.find("note/rest") is not None


def test_extenders_on_word_ends_held_over_a_melisma_and_hyphens_inside_words() -> None:
    notes = [Note(62, 0.0, 1.0, Syllable("Hel", "begin", extend=True)), Note(64, 1.0, 1.0),
             Note(66, 2.0, 1.0, Syllable("lo", "end", extend=True)), Note(67, 3.0, 1.0), Note(69, 4.0, 2.0),
             Note(71, 6.0, 2.0, Syllable("love"))]
    root = tree(Song(melody_of(notes)))
    lyrics = [(ly.findtext("syllabic"), ly.findtext("text"), ly.find("extend") is not None) for ly in root.iter("lyric")]
    assert lyrics == [("begin", "Hel", False), ("end", "lo", True), ("single", "love", False)]
    assert root.find(".//extend").get("type") == "start"


def test_chord_symbols_are_harmony_elements(tmp_path) -> None:
    song = Song(melody_of([Note(62, 0.0, 4.0), Note(70, 4.0, 4.0)]), chords=(ChordEvent("D", 0.0, 4.0), ChordEvent("Bb7", 4.0, 4.0)))
    harmony = tree(song).findall(".//harmony")
    assert [(h.findtext("root/root-step"), h.findtext("root/root-alter"), h.findtext("kind")) for h in harmony] == [
        ("D", None, "major"), ("B", "-1", "dominant")]
    assert [c.symbol for c in read_back(song, tmp_path).chords] == ["D", "Bb7"]


def test_the_part_plays_as_the_midi_does_and_prints_no_instrument_name() -> None:
    root = tree(Song(melody_of([Note(62, 0.0, 4.0)])))
    assert root.findtext(".//midi-program") == "74"
    assert root.find(".//part-name").get("print-object") == "no"


def test_each_new_song_gets_its_own_title_and_a_given_title_is_kept(tmp_path, tiny_checkpoint) -> None:
    from dataclasses import replace

    from tunesmith.eval.eval_scores import midi_track_name
    from tunesmith.tools.actions import melody as act
    from tunesmith.tools.actions.base import Context
    from tunesmith.tools.actions.models import Models
    from tunesmith.tools.actions.state import SongState

    ctx = Context(models=Models(tiny_checkpoint), out_dir=tmp_path)
    first = act.generate_melody(SongState(), ctx, key="F", bars=2, seed=1)
    second = act.generate_melody(first.state, ctx, key="A minor", bars=2, seed=2)
    assert first.state.song.title == "Melody in F major"
    assert second.state.song.title == "Melody in A minor"
    assert midi_track_name(Path(second.files["midi"])) == "Melody in A minor"
    moved = act.continue_melody(second.state, ctx, bars=1, seed=3, key="C")
    assert moved.state.song.title == "Melody in C major"  # a made-up title follows the new key
    named = replace(second.state, song=replace(second.state.song, title="Evening Song"))
    assert act.continue_melody(named, ctx, bars=1, seed=3).state.song.title == "Evening Song"


@pytest.mark.skipif(__import__("shutil").which("fc-match") is None, reason="needs fontconfig")
def test_lyric_collisions_count_words_that_touch_in_the_rasteriser_font(tmp_path) -> None:
    from tunesmith.eval.eval_scores import lyric_collisions

    def syllable(x: int, text: str) -> str:
        return f'<g class="syl"><text x="{x}" y="900" font-size="0px"><tspan class="text"><tspan font-size="400px">{text}</tspan></tspan></text></g>'

    svg = tmp_path / "s.svg"
    svg.write_text('<svg font-family="Times, serif">' + syllable(0, "shall") + syllable(900, "bend") +
                   syllable(3000, "to") + "</svg>")
    assert lyric_collisions(svg) == 1  # "shall" is wider than 900 units at 400 px; "bend" ends well before "to"
