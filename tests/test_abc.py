"""The ABC emitter: music21 must read back what it writes, note for note."""

from __future__ import annotations

import doctest

import pytest

from tunesmith.tokenization import abc
from tunesmith.tokenization.abc import abc_lyrics, pickup_length, song_to_abc, spell
from tunesmith.tokenization.m21 import stream_to_song
from tunesmith.tokenization.music import ChordEvent, KeySpec, Melody, Note, Song, Syllable, parse_key, parse_meter


def make(notes, *, meter="4/4", key="C", chords=(), tempo=100, title="Test", bars=0) -> Song:
    built = []
    for item in notes:
        pitch, onset, duration, *lyric = item
        built.append(Note(pitch, onset, duration, Syllable(*lyric) if lyric else None))
    melody = Melody(tuple(built), meter=parse_meter(meter), key=parse_key(key) if key else None, tempo=tempo,
                    bars=bars)
    return Song(melody, tuple(ChordEvent(s, o, d) for s, o, d in chords), title=title)


def seq(pitches, durations, start=0.0):
    """Notes one after another."""
    out, t = [], start
    for p, d in zip(pitches, durations):
        out.append((p, t, d))
        t += d
    return out


CASES = {
    "4/4 C major with chords": make(
        seq([60, 62, 64, 65, 67, 67, 69, 67, 65, 64, 62, 60], [1, 1, 1, 1, 2, 2, 1, 1, 1, 1, 2, 2]),
        chords=[("C", 0, 4), ("G7", 4, 4), ("F", 8, 2), ("G", 10, 2), ("C", 12, 4)]),
    "6/8 jig in G, chord in the middle of a note": make(
        seq([67, 71, 74, 72, 71, 69, 67, 66, 67], [1, 0.5, 1.5, 0.5, 0.5, 0.5, 1.5, 1.5, 3]),
        meter="6/8", key="G", chords=[("G", 0, 3), ("C", 3, 2), ("D7", 5, 1), ("G", 6, 6)]),
    "3/4 waltz in F with B natural and Bb again": make(
        seq([65, 69, 72, 70, 71, 70, 72, 69, 67, 65], [1, 1, 1, 1, 1, 1, 1, 1, 1, 3]),
        meter="3/4", key="F", chords=[("F", 0, 3), ("Bb", 3, 1), ("G7/B", 4, 2), ("C7", 6, 3), ("F", 9, 3)]),
    "2/2 in D with a long note over two bar lines": make(
        seq([62, 66, 69, 74, 73, 71, 69], [2, 2, 2, 10, 2, 2, 4]), meter="2/2", key="D"),
    "A minor with raised 6th and 7th and a natural after a sharp": make(
        seq([69, 71, 72, 74, 76, 78, 80, 81, 79, 77, 76, 80, 79, 69], [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5,
                                                                      1, 1, 1, 0.5, 0.5, 4]),
        key="A minor", chords=[("Am", 0, 4), ("E7", 4, 4), ("Dm", 8, 2), ("E", 10, 2), ("Am", 12, 4)]),
    "A dorian with F natural": make(
        seq([69, 72, 74, 78, 77, 76, 74, 72, 69], [1, 1, 1, 1, 1, 1, 1, 1, 4]), key="A dorian",
        chords=[("Am", 0, 4), ("D", 4, 4), ("Am", 8, 4)]),
    "G mixolydian": make(seq([67, 71, 74, 77, 76, 74, 67], [1, 1, 1, 1, 1, 1, 2]), key="G mixolydian",
                         chords=[("G", 0, 4), ("F", 4, 4)]),
    "triplets of eighths and quarters": make(
        seq([60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67],
            [1 / 3, 1 / 3, 1 / 3, 1, 2 / 3, 2 / 3, 2 / 3, 2, 1 / 3, 1 / 3, 1 / 3 + 2])),
    "odd triplet group": make(
        seq([64, 65, 67, 69, 71], [1 / 3, 1 / 2, 1 / 6 + 1, 1, 1]) + [(72, 4.0, 4.0)]),
    "ties across bars in 4/4": make(seq([60, 64, 67, 72, 71], [2, 4, 3, 5, 2])),
    "pickup in 3/4": make([(67, 2.0, 1.0, "the")] + [(p, 3.0 + i, 1.0) for i, p in enumerate([72, 71, 69, 67, 69])]
                          + [(72, 8.0, 3.0)], meter="3/4", key="C", chords=[("C", 3, 3), ("G", 6, 3), ("C", 9, 3)]),
    "sixteenths use L:1/16": make(seq([72, 71, 69, 67] * 4 + [60], [0.25] * 16 + [4]), key="C"),
    "wide range and flat key": make(
        seq([43, 48, 51, 55, 58, 63, 70, 75, 82, 87, 57, 61], [1] * 12), key="Eb",
        chords=[("Eb", 0, 4), ("Abmaj7", 4, 2), ("Bb7", 6, 2), ("Cm7b5", 8, 2), ("Eb/G", 10, 2)]),
    "six sharps": make(seq([66, 68, 70, 71, 73, 75, 77, 78], [1] * 8), key="F#"),
    "no key, trailing empty bars": make(seq([60, 61, 63, 66], [1, 1, 1, 1]), key=None, bars=3),
    "9/8 slip jig": make(seq([69, 67, 69, 72, 71, 69, 67, 64, 62], [1, 0.5, 1, 0.5, 1, 0.5, 1.5, 1.5, 1.5]),
                         meter="9/8", key="G"),
}


def read_back(text: str) -> Song:
    from music21 import converter

    return stream_to_song(converter.parseData(text, format="abc"))


def same_key(a: KeySpec | None, b: KeySpec | None) -> bool:
    a = a or KeySpec("C")
    return b is not None and (a.pitch_class, a.mode) == (b.pitch_class, b.mode)


@pytest.mark.parametrize("name", list(CASES))
def test_music21_reads_back_the_same_song(name: str) -> None:
    song = CASES[name]
    text = song_to_abc(song)
    back = read_back(text)
    want = [(n.pitch, round(n.onset, 4), round(n.duration, 4)) for n in song.melody.notes]
    got = [(n.pitch, round(n.onset, 4), round(n.duration, 4)) for n in back.melody.notes]
    assert got == want, text
    assert back.melody.meter == song.melody.meter
    assert same_key(song.melody.key, back.melody.key), text
    assert back.melody.tempo == song.melody.tempo
    assert back.melody.bars == song.melody.bars or name.startswith("no key"), text
    assert [(c.symbol, c.onset, c.duration) for c in back.chords] == \
           [(c.symbol, c.onset, c.duration) for c in song.chords], text


@pytest.mark.parametrize(("meter", "tempo", "field"), [("2/2", 224, "Q:1/2=112"), ("6/8", 174, "Q:3/8=116"),
                                                      ("9/8", 180, "Q:3/8=120"), ("6/8", 100, "Q:1/4=100"),
                                                      ("2/2", 113, "Q:1/4=113"), ("3/4", 72, "Q:1/4=72")])
def test_tempo_is_written_in_the_meters_beat_when_whole(meter: str, tempo: int, field: str) -> None:
    bar = parse_meter(meter).bar_length
    song = make([(62, 0.0, bar), (64, bar, bar)], meter=meter, tempo=tempo)
    text = song_to_abc(song)
    assert text.splitlines()[4] == field
    assert read_back(text).melody.tempo == tempo  # music21 reads the quarter tempo back exactly


def test_read_song_keeps_trailing_rest_bars(tmp_path) -> None:
    from tunesmith.tokenization.files import read_song

    song = CASES["no key, trailing empty bars"]
    (tmp_path / "rests.abc").write_text(song_to_abc(song))
    assert read_song(tmp_path / "rests.abc").melody.bars == 3


def test_headers_mode_and_unit() -> None:
    text = song_to_abc(CASES["A dorian with F natural"], x=7)
    assert text.splitlines()[:6] == ["X:7", "T:Test", "M:4/4", "L:1/8", "Q:1/4=100", "K:Ador"]
    assert "K:Am" in song_to_abc(CASES["A minor with raised 6th and 7th and a natural after a sharp"])
    assert "K:Gmix" in song_to_abc(CASES["G mixolydian"])
    assert "L:1/16" in song_to_abc(CASES["sixteenths use L:1/16"])


def test_spelling_follows_the_key() -> None:
    text = song_to_abc(CASES["A minor with raised 6th and 7th and a natural after a sharp"])
    body = abc.abc_body(text).upper()
    assert "^G" in body and "^F" in body and "=G" in body  # raised 7th, raised 6th, natural after sharp
    assert "_" not in body.split("w:")[0]  # no flats in A minor here
    assert "=f" in abc.abc_body(song_to_abc(CASES["A dorian with F natural"]))
    wide = abc.abc_body(song_to_abc(CASES["wide range and flat key"]))
    assert "G,," in wide and "e'" in wide and "^C" not in wide and "_D" in wide  # C# in Eb is spelled Db
    assert spell(61, KeySpec("A", "major")) == ("C", 1, 4)
    assert spell(66, KeySpec("F#")) == ("F", 1, 4)


def test_accidental_is_repeated_within_the_bar_and_after_a_tie() -> None:
    song = make([(66, 0.0, 1.0), (67, 1.0, 1.0), (66, 2.0, 2.0 + 1.0), (66, 5.0, 1.0)], key="C", bars=2)
    body = abc.abc_body(song_to_abc(song)).split("|")
    assert body[0].count("^F") == 2 and body[1].startswith(" ^F") and body[1].count("^F") == 2


def test_ties_triplets_and_line_breaks() -> None:
    text = song_to_abc(CASES["ties across bars in 4/4"])
    assert "-" in abc.abc_body(text)
    trip = abc.abc_body(song_to_abc(CASES["triplets of eighths and quarters"]))
    assert trip.count("(3") >= 3
    long = make(seq([60] * 9, [4] * 9))
    lines = abc.abc_body(song_to_abc(long)).splitlines()
    assert len(lines) == 3 and lines[0].count("|") == 4 and lines[-1].endswith("|]")


def test_pickup_is_written_as_an_upbeat_only_when_simple() -> None:
    song = CASES["pickup in 3/4"]
    assert pickup_length(song) == 2
    first_bar = abc.abc_body(song_to_abc(song)).split("|")[0]
    assert "z" not in first_bar
    short_rest = make([(60, 0.5, 3.5), (62, 4.0, 4.0)])
    assert pickup_length(short_rest) == 0
    assert abc.abc_body(song_to_abc(short_rest)).startswith("z")
    chord_in_rest = make([(60, 3.0, 1.0), (62, 4.0, 4.0)], chords=[("C", 0, 8)])
    assert pickup_length(chord_in_rest) == 0


@pytest.mark.parametrize("name", [n for n in CASES if pickup_length(CASES[n])] + ["4/4 C major with chords"])
def test_abc_and_musicxml_agree_on_the_pickup_and_every_bar(name: str) -> None:
    """The ABC upbeat and the MusicXML pickup bar (number 0) hold the same notes; so do the bars after."""
    import xml.etree.ElementTree as ET

    from music21 import converter

    from tunesmith.tokenization.files import musicxml_bytes

    song = CASES[name]
    measures = ET.fromstring(musicxml_bytes(song)).findall("part/measure")
    assert (measures[0].get("number") == "0") == bool(pickup_length(song))
    xml_bars = [sum(int(n.findtext("duration")) for n in m.iter("note") if n.find("chord") is None) / 10080
                for m in measures]
    parsed = converter.parse(song_to_abc(song), format="abc").parts[0].getElementsByClass("Measure")
    abc_bars = [float(m.duration.quarterLength) for m in parsed]
    assert abc_bars == xml_bars
    assert abc_bars[0] == float(song.melody.bar_length - pickup_length(song))


def test_chord_starting_inside_a_note_splits_it_with_a_tie() -> None:
    text = abc.abc_body(song_to_abc(CASES["6/8 jig in G, chord in the middle of a note"]))
    assert '-"D7"' in text.replace(" ", "")


def test_lyrics_lines_with_hyphens_and_melisma() -> None:
    song = make([(60, 0.0, 1.0, "hap", "begin"), (62, 1.0, 1.0, "py", "end"), (64, 2.0, 1.0, "day", "single", True),
                 (65, 3.0, 1.0), (67, 4.0, 4.0, "oh")])
    text = song_to_abc(song)
    assert "w: hap-py day _ oh" in text
    syllables = [s for _, s in abc_lyrics(text)]
    assert [(s.text, s.syllabic) if s else None for s in syllables] == [
        ("hap", "begin"), ("py", "end"), ("day", "single"), None, ("oh", "single")]


def test_abc_lyrics_reads_the_standard_forms() -> None:
    tune = "X:1\nM:4/4\nL:1/4\nK:C\nC D E F | G A B c |\nw: syll-a--ble time__ of~the~day\n"
    got = [s for _, s in abc_lyrics(tune)]
    assert [(s.text, s.syllabic) if s else None for s in got] == [
        ("syll", "begin"), ("a", "middle"), None, ("ble", "end"), ("time", "single"), None, None, ("of the day", "single")]


def test_doctests() -> None:
    result = doctest.testmod(abc)
    assert result.failed == 0 and result.attempted > 0
