"""MIDI writing (symusic) and melody-track import."""

from __future__ import annotations

import doctest
import time

import pytest
import symusic as sm

from tunesmith.tokenization import midi
from tunesmith.tokenization.errors import MusicFileError
from tunesmith.tokenization.files import read_song
from tunesmith.tokenization.midi import chord_voicing, pick_melody_track, song_to_midi, write_midi
from tunesmith.tokenization.music import ChordEvent, Melody, Note, Song, Syllable, parse_key, parse_meter


def make(notes, *, meter="4/4", key="C", chords=(), tempo=100, title="Test") -> Song:
    built = [Note(p, o, d, Syllable(*ly) if ly else None) for p, o, d, *ly in notes]
    melody = Melody(tuple(built), meter=parse_meter(meter), key=parse_key(key) if key else None, tempo=tempo)
    return Song(melody, tuple(ChordEvent(s, o, d) for s, o, d in chords), title=title)


SONG = make([(69, 1.0, 1.0, "hel", "begin"), (69, 2.0, 1.0, "lo", "end"), (72, 3.0, 2.0, "world"), (74, 5.0, 1.0),
             (76, 6.0, 2.0), (77, 8.0, 4.0)],
            key="D minor", tempo=88, title="Round Trip",
            chords=[("Dm", 0, 4), ("Bb", 4, 2), ("Bb", 6, 2), ("A7", 8, 4)])


def raw_tracks(data: bytes):
    """(ticks per quarter, format, [[(tick, event type name, channel, pitch, velocity, data)]]) from music21's reader."""
    from music21 import midi as m21midi

    mf = m21midi.MidiFile()
    mf.readstr(data)
    tracks = []
    for track in mf.tracks:
        tick, events = 0, []
        for event in track.events:
            if event.isDeltaTime():
                tick += event.time
                continue
            name = getattr(event.type, "name", str(event.type))
            events.append((tick, name, event.channel, event.pitch, event.velocity, event.data))
        tracks.append(events)
    return mf.ticksPerQuarterNote, mf.format, tracks


def note_spans(events):
    """Pair every note-on with its note-off; fail on a stuck or zero-length note."""
    open_notes, spans = {}, []
    for tick, name, channel, pitch, velocity, _ in events:
        if name == "NOTE_ON" and velocity > 0:
            assert (channel, pitch) not in open_notes, f"note {pitch} restarted before it ended at {tick}"
            open_notes[(channel, pitch)] = tick
        elif name == "NOTE_OFF" or (name == "NOTE_ON" and velocity == 0):
            start = open_notes.pop((channel, pitch))
            assert tick > start, f"zero-length note {pitch} at {tick}"
            spans.append((start, tick, pitch))
    assert not open_notes, f"stuck notes: {open_notes}"
    return sorted(spans)


def test_type1_layout_conductor_melody_chords() -> None:
    tpq, fmt, tracks = raw_tracks(song_to_midi(SONG))
    assert (tpq, fmt, len(tracks)) == (480, 1, 3)
    conductor, lead, chords = tracks
    kinds = {name for _, name, *_ in conductor}
    assert {"SET_TEMPO", "TIME_SIGNATURE", "KEY_SIGNATURE", "SEQUENCE_TRACK_NAME"} <= kinds
    assert not any(name == "NOTE_ON" for _, name, *_ in conductor)
    key = next(data for _, name, *_, data in conductor if name == "KEY_SIGNATURE")
    assert key == bytes([0xFF, 1])  # one flat, minor
    assert next(data for _, name, *_, data in conductor if name == "SEQUENCE_TRACK_NAME") == b"Round Trip"
    assert next(data for _, name, *_, data in lead if name == "SEQUENCE_TRACK_NAME") == b"Melody"
    assert any(name == "PROGRAM_CHANGE" for _, name, *_ in lead)
    lyrics = [(tick, data) for tick, name, *_, data in lead if name == "LYRIC"]
    assert lyrics == [(480, b"hel-"), (960, b"lo"), (1440, b"world")]
    spans = note_spans(lead)
    assert [(a, b, p) for a, b, p in spans][:3] == [(480, 960, 69), (960, 1440, 69), (1440, 2400, 72)]
    assert note_spans(chords)[:3] == [(0, 1920, 50), (0, 1920, 53), (0, 1920, 57)]
    # the repeated Bb chord is re-struck: the off of the first comes before the on of the second
    bb = [(a, b) for a, b, p in note_spans(chords) if p == 58]
    assert bb == [(1920, 2880), (2880, 3840)]


@pytest.mark.parametrize(("key", "fifths", "minor"), [("A dorian", 1, 0), ("G mixolydian", 0, 0), ("C minor", -3, 1),
                                                      ("E major", 4, 0), ("D# major", -3, 0)])
def test_key_signature_is_mode_aware(key: str, fifths: int, minor: int) -> None:
    song = make([(60, 0.0, 4.0)], key=key)
    _, _, tracks = raw_tracks(song_to_midi(song))
    data = next(data for _, name, *_, data in tracks[0] if name == "KEY_SIGNATURE")
    assert (int.from_bytes(data[:1], "big", signed=True), data[1]) == (fifths, minor)


@pytest.mark.parametrize("song", [
    SONG,
    make([(67, 2.0, 1.0), (72, 3.0, 1.5), (71, 4.5, 0.5), (69, 5.0, 1.0), (67, 6.0, 3.0)], meter="3/4", key="G",
         tempo=132, chords=[("G", 3, 3), ("D7", 6, 3)]),
    make([(69, 0.0, 1.5), (72, 1.5, 1.5), (74, 3.0, 0.5), (78, 3.5, 0.5), (77, 4.0, 2.0)], meter="6/8",
         key="A dorian", tempo=120),
    make([(60, 0.0, 1 / 3), (62, 1 / 3, 1 / 3), (64, 2 / 3, 1 / 3), (65, 1.0, 3.0)], key="F mixolydian"),
])
def test_round_trip_through_read_song(tmp_path, song: Song) -> None:
    path = write_midi(song, tmp_path / "song.mid")
    back = read_song(path)
    assert [(n.pitch, n.onset, n.duration) for n in back.melody.notes] == \
           [(n.pitch, n.onset, n.duration) for n in song.melody.notes]
    assert back.melody.meter == song.melody.meter
    assert back.melody.key == song.melody.key
    assert back.melody.tempo == song.melody.tempo
    assert back.title == song.title
    assert [n.lyric for n in back.melody.notes] == [n.lyric for n in song.melody.notes]


def test_an_upbeat_is_a_short_first_bar_as_in_the_abc() -> None:
    from music21 import converter

    from tunesmith.tokenization.abc import song_to_abc

    song = make([(67, 2.0, 1.0), (72, 3.0, 1.5), (71, 4.5, 0.5), (69, 5.0, 1.0), (67, 6.0, 3.0)], meter="3/4",
                key="G", chords=[("G", 3, 3), ("D7", 6, 3)])
    score = sm.Score.from_midi(song_to_midi(song))
    assert [(ts.time, ts.numerator, ts.denominator) for ts in score.time_signatures] == [(0, 1, 4), (480, 3, 4)]
    lead, backing = score.tracks[-2:]
    assert lead.notes[0].time == 0 and backing.notes[0].time == 480  # the G chord on the downbeat of bar 1
    abc = converter.parse(song_to_abc(song), format="abc").flatten().notes
    assert (lead.end() / 480) == float(abc[-1].offset + abc[-1].quarterLength) == 7.0
    plain = make([(67, 1.0, 2.0), (72, 3.0, 3.0)], meter="3/4", key="G")  # a short rest stays a rest
    first = sm.Score.from_midi(song_to_midi(plain))
    assert len(first.time_signatures) == 1 and first.tracks[-1].notes[0].time == 480


def test_unknown_chord_symbol_is_a_one_line_error() -> None:
    from tunesmith.tokenization.errors import MusicValueError

    with pytest.raises(MusicValueError) as info:
        chord_voicing("Hmaj13#")
    assert "\n" not in str(info.value)


def test_voicings_are_root_position_around_c3() -> None:
    for symbol in ("C", "Am", "F#m7b5", "Bb7", "Ebmaj7", "G7/F", "Dsus4"):
        pitches = chord_voicing(symbol)
        assert pitches == sorted(pitches) and len(set(pitches)) == len(pitches)
        assert 36 <= pitches[0] <= 59 and pitches[-1] <= 76
    assert chord_voicing("G7/F")[0] % 12 == 5 and chord_voicing("G7/F")[1] == 55


def _multitrack(tmp_path, tracks, *, type0=False):
    score = sm.Score(480)
    score.tempos.append(sm.Tempo(0, qpm=100.0))
    score.time_signatures.append(sm.TimeSignature(0, 4, 4))
    for name, program, drum, notes in tracks:
        track = sm.Track(name, program, drum)
        for start, end, pitch in notes:
            track.notes.append(sm.Note(start, end - start, pitch, 80))
        score.tracks.append(track)
    path = tmp_path / "band.mid"
    score.dump_midi(str(path))
    return path


TUNE = [(i * 480, i * 480 + 480, p) for i, p in enumerate([72, 74, 76, 77, 79, 77, 76, 74])]
DRUMS = [(i * 240, i * 240 + 60, 36 + (i % 3)) for i in range(32)]
BASS = [(i * 480, i * 480 + 480, 36 + (i % 5)) for i in range(8)]
PAD = [(0, 1920, p) for p in (60, 64, 67)] + [(1920, 3840, p) for p in (57, 60, 64)]


def test_melody_track_is_picked_from_a_band(tmp_path) -> None:
    path = _multitrack(tmp_path, [("Drums", 0, True, DRUMS), ("Bass", 33, False, BASS), ("Keys", 0, False, PAD),
                                  ("", 73, False, TUNE)])
    song = read_song(path)
    assert [n.pitch for n in song.melody.notes] == [72, 74, 76, 77, 79, 77, 76, 74]


def test_named_melody_track_wins_and_polyphony_keeps_the_top_line(tmp_path) -> None:
    chords_under = TUNE + [(s, e, p - 12) for s, e, p in TUNE] + [(0, 3840, 48)]
    path = _multitrack(tmp_path, [("Strings", 48, False, [(0, 3840, 79)] * 1), ("Lead Vocal", 0, False, chords_under)])
    song = read_song(path)
    assert [n.pitch for n in song.melody.notes] == [72, 74, 76, 77, 79, 77, 76, 74]


def test_pick_rule_directly() -> None:
    tracks = [("Drums", True, DRUMS), ("Piano", False, PAD), ("Flute", False, TUNE), ("Chords", False, TUNE * 2)]
    assert pick_melody_track(tracks) == 2
    assert pick_melody_track([("Bass", False, BASS)]) == 0  # backing only: still read something
    with pytest.raises(MusicFileError):
        pick_melody_track([("Drums", True, DRUMS)])


def test_drums_only_file_fails_clearly(tmp_path) -> None:
    path = _multitrack(tmp_path, [("Drums", 0, True, DRUMS)])
    with pytest.raises(MusicFileError, match="no pitched notes"):
        read_song(path)


def test_writing_is_fast() -> None:
    long_song = make([(60 + i % 12, i * 0.5, 0.5) for i in range(400)], chords=[("C", i * 4.0, 4.0) for i in range(50)])
    start = time.perf_counter()
    data = song_to_midi(long_song)
    assert time.perf_counter() - start < 5.0
    _, _, tracks = raw_tracks(data)
    assert len(note_spans(tracks[1])) == 400 and len(note_spans(tracks[2])) == 150


def test_doctests() -> None:
    result = doctest.testmod(midi)
    assert result.failed == 0 and result.attempted > 0
