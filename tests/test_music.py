"""The data model: keys, meters, melodies, records and the music21 bridge."""

from __future__ import annotations

import doctest

import pytest

from tunesmith.tokenization import m21, music, pitch, records, styles
from tunesmith.tokenization.errors import MusicValueError
from tunesmith.tokenization.music import KeySpec, Melody, Meter, Note, Song, Syllable, parse_key, parse_meter


@pytest.mark.parametrize("module", [music, pitch, m21, records, styles])
def test_doctests(module) -> None:
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize("text", ["H major", "", "C##", "D sideways", "Q minor"])
def test_bad_keys_fail_with_one_line(text: str) -> None:
    with pytest.raises(MusicValueError) as info:
        parse_key(text)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "tonic", "mode"),
    [("Eb major", "Eb", "major"), ("c# minor", "C#", "minor"), ("Gmix", "G", "mixolydian"), ("A Dorian", "A", "dorian")],
)
def test_keys(text: str, tonic: str, mode: str) -> None:
    assert parse_key(text) == KeySpec(tonic, mode)


def test_meter_and_bar_length() -> None:
    assert parse_meter("C").bar_length == 4.0
    assert parse_meter("9/8").bar_length == 4.5
    with pytest.raises(MusicValueError):
        parse_meter("3/5")


def test_melody_rejects_overlap_and_absurd_length() -> None:
    with pytest.raises(MusicValueError):
        Melody(notes=(Note(60, 0, 2), Note(62, 1, 1)))
    with pytest.raises(MusicValueError):
        Melody(notes=(Note(60, 0, 1),), bars=10_000)


def test_bars_are_derived_and_counted() -> None:
    melody = Melody(notes=(Note(60, 0, 1), Note(62, 5, 1)), meter=Meter(3, 4))
    assert melody.bars == 2
    assert [len(melody.notes_in_bar(b)) for b in (1, 2)] == [1, 1]


def test_transpose_respells_key() -> None:
    melody = Melody(notes=(Note(60, 0, 1),), key=KeySpec("C", "major"))
    moved = melody.transposed(3)
    assert moved.key == KeySpec("Eb", "major") and moved.notes[0].pitch == 63


def _song() -> Song:
    notes = (
        Note(67, 2.0, 1.0, Syllable("Hel", "begin")),
        Note(69, 3.0, 1.0, Syllable("lo", "end")),
        Note(71, 4.0, 3.0, Syllable("world")),
        Note(74, 7.0, 1.0),
    )
    melody = Melody(notes=notes, meter=Meter(4, 4), key=KeySpec("G"), tempo=90, bars=2)
    chords = (music.ChordEvent("G", 0.0, 4.0), music.ChordEvent("Bbmaj7", 4.0, 4.0))
    return Song(melody=melody, chords=chords, title="t")


def test_music21_round_trip_keeps_notes_lyrics_chords() -> None:
    song = _song()
    back = m21.stream_to_song(m21.song_to_score(song))
    assert back.melody == song.melody
    assert [c.symbol for c in back.chords] == ["G", "Bbmaj7"]


def test_record_round_trip_and_transposition_invariant_hash() -> None:
    song = _song()
    record = records.song_to_record(song, record_id="x", source="test", styles=["german-folk"])
    assert records.record_to_song(record).melody == song.melody
    assert record["hash"] == records.content_hash(song.melody.transposed(5))
    assert record["split"] in ("train", "valid", "test")


def test_unknown_style_lists_known_ones() -> None:
    with pytest.raises(MusicValueError, match="irish-reel"):
        styles.get_style("polka")
