"""read_song / write_song: every bad file is one clear MusicFileError; writes are atomic and stay in their folder."""

from __future__ import annotations

import logging
import os
import zipfile

import pytest

from tunesmith.tokenization import files
from tunesmith.tokenization.errors import MusicFileError
from tunesmith.tokenization.files import read_song, write_song
from tunesmith.tokenization.midi import song_to_midi
from tunesmith.tokenization.music import ChordEvent, Melody, Note, Song, Syllable, parse_key, parse_meter

SONG = Song(
    Melody((Note(67, 2.0, 1.0, Syllable("a")), Note(72, 3.0, 1.0, Syllable("lit", "begin")),
            Note(71, 4.0, 0.5, Syllable("tle", "end")), Note(69, 4.5, 0.5), Note(67, 5.0, 1.0, Syllable("song")),
            Note(64, 6.0, 3.0)),
           meter=parse_meter("3/4"), key=parse_key("C"), tempo=96),
    chords=(ChordEvent("C", 3.0, 3.0), ChordEvent("G7", 6.0, 3.0)), title="Little Song")

TWO_TUNES = """X:1
T:First
M:2/4
L:1/8
K:D
DE FG | A2 d2 |]

X:2
T:Second
M:3/4
L:1/8
K:Em
E2 G2 B2 | e6 |]
"""


def one_line_error(path, **kwargs) -> str:
    with pytest.raises(MusicFileError) as info:
        read_song(path, **kwargs)
    message = str(info.value)
    assert message and "\n" not in message and "Traceback" not in message
    return message


def test_missing_directory_empty_and_unknown(tmp_path) -> None:
    assert "does not exist" in one_line_error(tmp_path / "nope.mid")
    assert "folder" in one_line_error(tmp_path)
    (tmp_path / "empty.mid").write_bytes(b"")
    assert "empty" in one_line_error(tmp_path / "empty.mid")
    (tmp_path / "blank.abc").write_text("  \n\n")
    assert "empty" in one_line_error(tmp_path / "blank.abc")
    (tmp_path / "song.docx").write_bytes(b"x")
    assert "unknown file type" in one_line_error(tmp_path / "song.docx")
    (tmp_path / "README").write_text("x")
    assert "unknown file type" in one_line_error(tmp_path / "README")


def test_not_music_renamed_files(tmp_path) -> None:
    (tmp_path / "text.mid").write_text("hello, I am a shopping list\n")
    assert "not a MIDI file" in one_line_error(tmp_path / "text.mid")
    (tmp_path / "image.mid").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    assert "PNG" in one_line_error(tmp_path / "image.mid")
    (tmp_path / "image.abc").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    assert "PNG" in one_line_error(tmp_path / "image.abc")
    (tmp_path / "notes.abc").write_text("just some words\nno tune here\n")
    assert "not ABC" in one_line_error(tmp_path / "notes.abc")
    (tmp_path / "page.xml").write_text("<?xml version='1.0'?><html><body>hi</body></html>")
    assert "not MusicXML" in one_line_error(tmp_path / "page.xml")
    (tmp_path / "fake.mxl").write_text("<score-partwise/>")
    assert "not a compressed MusicXML" in one_line_error(tmp_path / "fake.mxl")
    (tmp_path / "broken.mxl").write_bytes(b"PK\x03\x04" + bytes(50))
    assert "damaged" in one_line_error(tmp_path / "broken.mxl")
    (tmp_path / "broken.musicxml").write_text("<?xml version='1.0'?><score-partwise><part id='P1'><measure")
    one_line_error(tmp_path / "broken.musicxml")


@pytest.mark.parametrize("cut", [10, 14, 30, 60, -7])
def test_corrupt_midi(tmp_path, cut: int) -> None:
    data = song_to_midi(SONG)
    (tmp_path / "cut.mid").write_bytes(data[:cut])
    one_line_error(tmp_path / "cut.mid")


def test_midi_with_garbage_in_the_middle(tmp_path) -> None:
    data = bytearray(song_to_midi(SONG))
    data[40:60] = b"\xff" * 20
    (tmp_path / "garbage.mid").write_bytes(bytes(data))
    one_line_error(tmp_path / "garbage.mid")


def test_size_and_note_limits(tmp_path) -> None:
    path = write_song(SONG, tmp_path, stem="limits")
    for kind in ("midi", "musicxml", "abc"):
        assert "limit" in one_line_error(path[kind], max_bytes=40)
        assert "more than the limit of 3" in one_line_error(path[kind], max_notes=3)
    assert read_song(path["midi"]).melody.notes  # default limits are fine


def test_files_without_notes(tmp_path) -> None:
    (tmp_path / "rests.abc").write_text("X:1\nT:Silence\nM:4/4\nL:1/4\nK:C\nz4 | z4 |]\n")
    assert "no notes" in one_line_error(tmp_path / "rests.abc")
    import symusic as sm

    score = sm.Score(480)
    score.tempos.append(sm.Tempo(0, qpm=100.0))
    score.tracks.append(sm.Track("Empty", 0, False))
    score.dump_midi(str(tmp_path / "silent.mid"))
    assert "no notes" in one_line_error(tmp_path / "silent.mid")


def test_write_song_then_read_every_format(tmp_path) -> None:
    paths = write_song(SONG, tmp_path / "out", stem="little")
    assert {k: p.name for k, p in paths.items()} == {"midi": "little.mid", "musicxml": "little.musicxml",
                                                     "abc": "little.abc"}
    for kind, path in paths.items():
        back = read_song(path)
        assert [(n.pitch, n.onset, n.duration) for n in back.melody.notes] == \
               [(n.pitch, n.onset, n.duration) for n in SONG.melody.notes], kind
        assert (back.melody.meter, back.melody.key, back.melody.tempo, back.title) == \
               (SONG.melody.meter, SONG.melody.key, SONG.melody.tempo, SONG.title), kind
        assert [n.lyric for n in back.melody.notes] == [n.lyric for n in SONG.melody.notes], kind
        if kind != "midi":  # MIDI carries chords as sounding notes, not symbols
            assert back.chords == SONG.chords, kind
    assert not list((tmp_path / "out").glob(".*part"))


def test_mxl_archive(tmp_path) -> None:
    xml = files.musicxml_bytes(SONG)
    with zipfile.ZipFile(tmp_path / "song.mxl", "w") as archive:
        archive.writestr("META-INF/container.xml", "<container><rootfiles><rootfile full-path='score.xml'/>"
                                                   "</rootfiles></container>")
        archive.writestr("score.xml", xml)
    back = read_song(tmp_path / "song.mxl")
    assert [n.pitch for n in back.melody.notes] == [n.pitch for n in SONG.melody.notes]


def test_abc_with_several_tunes_reads_the_first_and_says_so(tmp_path, caplog) -> None:
    (tmp_path / "book.abc").write_text(TWO_TUNES)
    with caplog.at_level(logging.WARNING, logger="tunesmith.tokenization.files"):
        first = read_song(tmp_path / "book.abc")
    assert first.title == "First" and first.melody.meter == parse_meter("2/4")
    assert "2 tunes" in caplog.text
    second = read_song(tmp_path / "book.abc", tune=2)
    assert second.title == "Second" and second.melody.key == parse_key("E minor")
    assert "no tune 3" in one_line_error(tmp_path / "book.abc", tune=3)
    (tmp_path / "header.abc").write_text("% a tune book\nL:1/16\nM:2/4\n\n" + TWO_TUNES.replace("L:1/8\n", ""))
    first = read_song(tmp_path / "header.abc")
    assert [n.duration for n in first.melody.notes] == [0.25, 0.25, 0.25, 0.25, 0.5, 0.5]
    assert read_song(tmp_path / "header.abc", tune=2).melody.meter == parse_meter("3/4")
    (tmp_path / "bare.abc").write_text("X:1\nT:Bare\nK:G\nGABc|d2B2|]\n")  # no M:, no L: means L:1/8
    assert [n.duration for n in read_song(tmp_path / "bare.abc").melody.notes] == [0.5, 0.5, 0.5, 0.5, 1.0, 1.0]


def test_humdrum(tmp_path) -> None:
    (tmp_path / "tiny.krn").write_text("**kern\n*M3/4\n=1\n4c\n4e\n4g\n=2\n2.cc\n==\n*-\n")
    song = read_song(tmp_path / "tiny.krn")
    assert [n.pitch for n in song.melody.notes] == [60, 64, 67, 72]


def test_write_refuses_paths_outside_the_folder(tmp_path) -> None:
    out = tmp_path / "session"
    for stem in ("../escape", "sub/dir", "", "   ", "/etc/passwd"):
        with pytest.raises(MusicFileError, match="refusing"):
            write_song(SONG, out, stem=stem)
    assert not (tmp_path / "escape.mid").exists()
    out.mkdir()
    (out / "linked.mid").symlink_to(tmp_path / "elsewhere.mid")
    with pytest.raises(MusicFileError, match="outside"):
        write_song(SONG, out, stem="linked")
    assert not (tmp_path / "elsewhere.mid").exists()


def test_interrupted_write_leaves_no_partial_file(tmp_path, monkeypatch) -> None:
    out = tmp_path / "session"
    write_song(SONG, out, stem="keep")
    before = (out / "keep.mid").read_bytes()

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "replace", interrupted)
    changed = Song(SONG.melody.transposed(2), title="Changed")
    with pytest.raises(KeyboardInterrupt):
        write_song(changed, out, stem="keep")
    with pytest.raises(KeyboardInterrupt):
        write_song(changed, out, stem="fresh")
    assert (out / "keep.mid").read_bytes() == before
    assert not (out / "fresh.mid").exists()
    assert sorted(os.listdir(out)) == ["keep.abc", "keep.mid", "keep.musicxml"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_written_files_get_the_usual_mode_not_mkstemps_0600(tmp_path) -> None:
    old = os.umask(0o027)
    try:
        paths = write_song(SONG, tmp_path, stem="shared")
    finally:
        os.umask(old)
    assert {oct(p.stat().st_mode & 0o777) for p in paths.values()} == {oct(0o640)}
    paths["midi"].chmod(0o600)  # a file the person locked keeps its mode when rewritten
    write_song(SONG, tmp_path, stem="shared")
    assert paths["midi"].stat().st_mode & 0o777 == 0o600


def test_write_errors_are_music_file_errors(tmp_path) -> None:
    bad = Song(SONG.melody, chords=(ChordEvent("Hmaj99", 0.0, 3.0),))
    with pytest.raises(MusicFileError, match="Hmaj99"):
        write_song(bad, tmp_path, stem="bad")
    (tmp_path / "afile").write_text("x")
    with pytest.raises(MusicFileError, match="cannot"):
        write_song(SONG, tmp_path / "afile" / "sub", stem="x")


def random_song(rng) -> Song:
    """A random song: any supported meter and key, triplets, rests, a pickup, words of 1-3 syllables, chords."""
    from fractions import Fraction

    meter = parse_meter(rng.choice(["4/4", "3/4", "6/8", "2/2", "2/4", "9/8", "12/8", "5/4", "7/8", "3/8"]))
    key = rng.choice(["C", "G", "E", "F#", "Bb", "Db", "A minor", "F# minor", "G minor", "D dorian",
                      "E dorian", "G mixolydian", "Bb mixolydian", None])
    durations = [Fraction(n, d) for n, d in ((1, 4), (1, 2), (3, 4), (1, 1), (3, 2), (2, 1), (3, 1), (1, 3), (2, 3))]
    time = Fraction(meter.bar_length) - rng.choice([Fraction(1, 2), Fraction(1)]) if rng.random() < 0.3 else Fraction(0)
    notes: list[Note] = []
    while len(notes) < rng.randint(4, 24):
        if rng.random() < 0.15:
            time += rng.choice([Fraction(1, 2), Fraction(1)])
        length = rng.choice(durations)
        notes.append(Note(rng.randint(48, 88), float(time), float(length)))
        time += length
    index = 0
    while index < len(notes):
        if rng.random() < 0.5:
            word = list(range(index, min(index + rng.randint(1, 3), len(notes))))
            for k, j in enumerate(word):
                kind = "single" if len(word) == 1 else ("begin" if k == 0 else "end" if k == len(word) - 1 else "middle")
                notes[j] = Note(notes[j].pitch, notes[j].onset, notes[j].duration, Syllable(rng.choice(["la", "o'er"]), kind))
            index += len(word)
        index += 1 + (rng.random() < 0.3)
    melody = Melody(tuple(notes), meter=meter, key=parse_key(key) if key else None, tempo=rng.randint(40, 200))
    bar, start, chords = Fraction(meter.bar_length), Fraction(0), []
    while start < melody.length:
        length = min(rng.choice([bar, bar / 2, bar * 2]), Fraction(melody.length) - start)
        chords.append(ChordEvent(rng.choice(["C", "Am", "F#m7b5", "Bb", "D7/F#", "Gsus4", "Ebmaj7", "C7b9"]),
                                 float(start), float(length)))
        start += length
    return Song(melody, tuple(chords), title="Random")


def test_random_songs_round_trip_in_every_format(tmp_path) -> None:
    import random

    rng = random.Random(7)
    for number in range(12):
        song = random_song(rng)
        for kind, path in write_song(song, tmp_path, stem=f"r{number}").items():
            back = read_song(path)
            assert [(n.pitch, round(n.onset, 6), round(n.duration, 6), n.lyric) for n in back.melody.notes] == \
                   [(n.pitch, round(n.onset, 6), round(n.duration, 6), n.lyric) for n in song.melody.notes], (kind, number)
            assert (back.melody.meter, back.melody.tempo, back.title) == \
                   (song.melody.meter, song.melody.tempo, song.title), (kind, number)
            if song.melody.key is not None:
                assert back.melody.key == song.melody.key, (kind, number)
            if kind != "midi":
                assert back.chords == song.chords and back.melody.bars == song.melody.bars, (kind, number)


def test_doctests() -> None:
    import doctest

    result = doctest.testmod(files)
    assert result.failed == 0 and result.attempted > 0
