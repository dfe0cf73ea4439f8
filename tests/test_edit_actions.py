"""The song-edit actions (tools/actions/edit.py): one chord, new chords for a bar range, another key,
the parallel mode, another tempo or meter.  Every edit keeps what it does not touch, writes files that
show it and refuses bad input with one readable line."""

from __future__ import annotations

import doctest
from dataclasses import replace
from pathlib import Path

import pytest
from tunes import c_major_tune, down_tune

from tunesmith.agent import cli_tool
from tunesmith.tokenization.contract import contract
from tunesmith.tokenization.files import read_song
from tunesmith.tokenization.music import ChordEvent, KeySpec, Melody, Meter, Note, Song, Syllable
from tunesmith.tokenization.view import chord_chart
from tunesmith.tools.actions import actions, edit
from tunesmith.tools.actions.base import Context
from tunesmith.tools.actions.models import Models
from tunesmith.tools.actions.state import SongState
from tunesmith.tools.chords import edit as chord_edit
from tunesmith.tools.chords.recommend import recommend_chords
from tunesmith.tools.errors import ToolError
from tunesmith.tools.melody import transform

C_CHORDS = (ChordEvent("C", 0.0, 4.0), ChordEvent("G7", 4.0, 2.0), ChordEvent("F", 6.0, 2.0),
            ChordEvent("C", 8.0, 4.0), ChordEvent("G", 12.0, 2.0), ChordEvent("C", 14.0, 2.0))


def _ctx(tmp_path: Path) -> Context:
    return Context(models=Models(None), out_dir=tmp_path)


def _c_song(title: str = "Tune") -> Song:
    """c_major_tune with a syllable on every note and C_CHORDS."""
    song = c_major_tune()
    notes = tuple(replace(n, lyric=Syllable(f"la{i}")) for i, n in enumerate(song.melody.notes))
    return replace(song, melody=replace(song.melody, notes=notes), chords=C_CHORDS, title=title)


def _d_pickup_song() -> Song:
    """D major with a one-beat pickup: D | D E F# G | A B A G | F# E C# E | D; chords D G A7 Bm A7 D."""
    pitches = [62, 64, 66, 67, 69, 71, 69, 67, 66, 64, 61, 64]
    notes = (Note(62, 3.0, 1.0), *(Note(p, 4.0 + i, 1.0) for i, p in enumerate(pitches)), Note(62, 16.0, 4.0))
    chords = (ChordEvent("D", 3.0, 5.0), ChordEvent("G", 8.0, 2.0), ChordEvent("A7", 10.0, 2.0),
              ChordEvent("Bm", 12.0, 2.0), ChordEvent("A7", 14.0, 2.0), ChordEvent("D", 16.0, 4.0))
    melody = Melody(notes=notes, meter=Meter(4, 4), key=KeySpec("D"), tempo=100, bars=5)
    return Song(melody=melody, chords=chords, title="Melody in D major")


def _symbols(song: Song) -> list[tuple[str, float, float]]:
    return [(c.symbol, c.onset, c.duration) for c in song.chords]


def test_the_edit_modules_doctests_pass() -> None:
    for module in (transform, chord_edit, edit):
        assert doctest.testmod(module).failed == 0, module.__name__


def test_every_edit_tool_has_its_action() -> None:
    table = actions()
    for name in ("change_chord", "reharmonize_bars", "transpose", "change_mode", "change_tempo"):
        assert table[name] is getattr(edit, name)


def test_change_chord_replaces_only_that_chord_and_the_files_show_it(tmp_path) -> None:
    out = edit.change_chord(SongState(song=_c_song()), _ctx(tmp_path), bar=3, chord="am")
    song = out.state.song
    assert _symbols(song) == [("C", 0.0, 4.0), ("G7", 4.0, 2.0), ("F", 6.0, 2.0), ("Am", 8.0, 4.0),
                              ("G", 12.0, 2.0), ("C", 14.0, 2.0)]
    assert song.chords[3].roman == "vi"
    assert song.melody == _c_song().melody and song.title == "Tune"
    files = ", ".join(out.files.values())
    assert out.summary == f"Bar 3 is now Am (was C). Chords: | C | G7 F | Am | G C |. Files: {files}"
    assert set(out.files) == {"musicxml", "midi", "abc"}
    back = read_song(Path(out.files["musicxml"]))
    assert [(c.symbol, c.onset) for c in back.chords] == [(c.symbol, c.onset) for c in song.chords]
    assert "<root-step>A</root-step>" in Path(out.files["musicxml"]).read_text(encoding="utf-8")
    assert out.findings and all("code" in f for f in out.findings)


def test_change_chord_at_a_beat_replaces_the_first_or_splits_the_held_chord(tmp_path) -> None:
    state, ctx = SongState(song=_c_song()), _ctx(tmp_path)
    first = edit.change_chord(state, ctx, bar=2, chord="Dm7")
    assert _symbols(first.state.song)[1:3] == [("Dm7", 4.0, 2.0), ("F", 6.0, 2.0)]
    assert "Bar 2 is now Dm7 (was G7)" in first.summary
    split = edit.change_chord(state, ctx, bar=1, beat=3, chord="Bb")
    assert _symbols(split.state.song)[:3] == [("C", 0.0, 2.0), ("Bb", 2.0, 2.0), ("G7", 4.0, 2.0)]
    assert split.summary.startswith("Bar 1 beat 3 is now Bb (was C). Chords: | C Bb | G7 F |")
    bare = edit.change_chord(SongState(song=replace(_c_song(), chords=C_CHORDS[3:])), ctx, bar=2, beat=2, chord="E7")
    assert _symbols(bare.state.song)[0] == ("E7", 5.0, 3.0)  # lasts until the next chord
    assert "(was none)" in bare.summary
    long = replace(_c_song(), chords=(ChordEvent("C", 0.0, 8.0), *C_CHORDS[3:]))
    only_bar = edit.change_chord(SongState(song=long), ctx, bar=1, chord="F")
    assert _symbols(only_bar.state.song)[:3] == [("F", 0.0, 4.0), ("C", 4.0, 4.0), ("C", 8.0, 4.0)]
    assert "Chords: | F | C | C | G C |" in only_bar.summary


def test_change_chord_counts_bars_from_the_first_full_bar_after_a_pickup(tmp_path) -> None:
    state, ctx = SongState(song=_d_pickup_song()), _ctx(tmp_path)
    out = edit.change_chord(state, ctx, bar=4, chord="G")
    assert _symbols(out.state.song)[-1] == ("G", 16.0, 4.0)
    assert "Bar 4 is now G (was D)" in out.summary
    pickup = edit.change_chord(state, ctx, bar=0, chord="A")
    assert _symbols(pickup.state.song)[:2] == [("A", 3.0, 1.0), ("D", 4.0, 4.0)]  # D sounds again in bar 1
    assert "Bar 0 beat 4 is now A (was D). Chords: | - A | D | G A7 |" in pickup.summary
    held = edit.change_chord(state, ctx, bar=1, beat=3, chord="Em")
    assert _symbols(held.state.song)[:3] == [("D", 3.0, 3.0), ("Em", 6.0, 2.0), ("G", 8.0, 2.0)]
    back = read_song(Path(out.files["musicxml"]))
    assert back.melody.notes[0].onset == 3.0 and back.chords[-1].symbol == "G"
    with pytest.raises(ToolError, match=r"no bar 5: the song has 4 bars after a pickup \(bar 0\)"):
        edit.change_chord(state, ctx, bar=5, chord="G")
    with pytest.raises(ToolError, match="pickup .bar 0. starts on beat 4"):
        edit.change_chord(state, ctx, bar=0, beat=1, chord="G")


def test_change_chord_refuses_bad_input_in_one_line(tmp_path) -> None:
    state, ctx = SongState(song=_c_song()), _ctx(tmp_path)
    with pytest.raises(ToolError, match="cannot read the chord 'H7'"):
        edit.change_chord(state, ctx, bar=1, chord="H7")
    with pytest.raises(ToolError, match="no bar 9: the song has 4 bars$"):
        edit.change_chord(state, ctx, bar=9, chord="F")
    with pytest.raises(ToolError, match="a bar of 4/4 has 4 beats, so there is no beat 5"):
        edit.change_chord(state, ctx, bar=1, beat=5, chord="F")
    with pytest.raises(ToolError, match=contract().message("no_melody")[:20]):
        edit.change_chord(SongState(), ctx, bar=1, chord="F")


def test_reharmonize_bars_changes_only_the_span_and_picks_another_harmonization(tmp_path) -> None:
    song = recommend_chords(_c_song(), seed=0).song  # the recommender's own best chords
    song = replace(song, melody=_c_song().melody)
    state, ctx = SongState(song=song), _ctx(tmp_path)
    out = edit.reharmonize_bars(state, ctx, span="2-3")
    new = out.state.song
    assert [c for c in new.chords if c.onset + c.duration <= 4.0] == \
        [c for c in song.chords if c.onset + c.duration <= 4.0]
    assert [c for c in new.chords if c.onset >= 12.0] == [c for c in song.chords if c.onset >= 12.0]
    assert chord_edit.inside(new.chords, lo=4.0, hi=12.0) != chord_edit.inside(song.chords, lo=4.0, hi=12.0)
    cells = chord_chart(new, bars_per_line=64).strip("| ").split(" | ")
    files = ", ".join(out.files.values())
    assert out.summary == (f"New chords for bars 2-3: | {cells[1]} | {cells[2]} |. "
                           f"Chords: {chord_chart(new, bars_per_line=64)}. Files: {files}")
    assert new.melody == song.melody
    again = edit.reharmonize_bars(state, _ctx(tmp_path / "again"), span="2-3")
    assert again.state.song.chords == new.chords  # the same seed, the same chords
    with pytest.raises(ToolError, match="no bars 3-7: the song has 4 bars"):
        edit.reharmonize_bars(state, ctx, span="3-7")
    with pytest.raises(ToolError, match="span takes bar numbers"):
        edit.reharmonize_bars(state, ctx, span="the chorus")


def test_reharmonize_bars_after_a_pickup_keeps_the_pickup_chord(tmp_path) -> None:
    song = _d_pickup_song()
    out = edit.reharmonize_bars(SongState(song=song), _ctx(tmp_path), span="1", seed=2)
    new = out.state.song
    assert new.chords[0] == replace(song.chords[0], duration=1.0)  # the pickup's D, cut at bar 1
    assert [c for c in new.chords if c.onset >= 8.0] == list(song.chords[1:])
    assert out.summary.startswith("New chords for bars 1: |")


def test_transpose_moves_melody_chords_and_key_and_keeps_the_lyrics(tmp_path) -> None:
    state, ctx = SongState(song=_c_song(title="Melody in C major")), _ctx(tmp_path)
    out = edit.transpose(state, ctx, key="D")
    song = out.state.song
    assert [n.pitch for n in song.melody.notes] == [n.pitch + 2 for n in _c_song().melody.notes]
    assert [n.lyric for n in song.melody.notes] == [n.lyric for n in _c_song().melody.notes]
    assert [c.symbol for c in song.chords] == ["D", "A7", "G", "D", "A", "D"]
    assert song.melody.key == KeySpec("D") and song.title == "Melody in D major"
    files = ", ".join(out.files.values())
    assert out.summary == \
        f"Moved the song from C major to D major (up 2 semitones); chords and lyrics kept. Files: {files}"
    back = read_song(Path(out.files["musicxml"]))
    assert back.melody.key == KeySpec("D")
    assert [n.pitch for n in back.melody.notes] == [n.pitch for n in song.melody.notes]
    down = edit.transpose(state, ctx, semitones=-9)
    assert down.state.song.melody.key == KeySpec("Eb") and "down 9 semitones" in down.summary
    assert [c.symbol for c in down.state.song.chords] == ["Eb", "Bb7", "Ab", "Eb", "Bb", "Eb"]
    assert edit.transpose(SongState(song=_c_song()), ctx, key="G").state.song.title == "Tune"


def test_transpose_refuses_a_change_of_mode_and_bad_keys(tmp_path) -> None:
    state, ctx = SongState(song=_c_song()), _ctx(tmp_path)
    with pytest.raises(ToolError, match="use change_mode"):
        edit.transpose(state, ctx, key="E minor")
    with pytest.raises(ToolError, match="unknown key 'H major'"):
        edit.transpose(state, ctx, key="H major")
    with pytest.raises(ToolError, match="one of the two"):
        edit.transpose(state, ctx, key="G", semitones=2)
    with pytest.raises(ToolError, match="one of the two"):
        edit.transpose(state, ctx)
    with pytest.raises(ToolError, match="already in C major"):
        edit.transpose(state, ctx, key="C")


def test_change_mode_moves_the_third_sixth_and_seventh_and_respells_the_chords(tmp_path) -> None:
    state = SongState(song=_d_pickup_song())
    out = edit.change_mode(state, _ctx(tmp_path), mode="minor")
    song = out.state.song
    before = [n.pitch for n in _d_pickup_song().melody.notes]
    # F# -> F and B -> Bb; the C# in bar 3 sounds over A7, so it stays the leading tone
    assert [n.pitch for n in song.melody.notes] == [p - 1 if p in (66, 71) else p for p in before]
    assert [c.symbol for c in song.chords] == ["Dm", "Gm", "A7", "Bb", "A7", "Dm"]
    assert song.melody.key == KeySpec("D", "minor") and song.title == "Melody in D minor"
    files = ", ".join(out.files.values())
    assert out.summary == ("The melody is now in D minor (was D major): 3 notes changed; "
                           f"chords kept, re-spelled in D minor. Files: {files}")
    dorian = edit.change_mode(state, _ctx(tmp_path), mode="dorian").state.song
    assert [n.pitch for n in dorian.melody.notes] == [p - 1 if p in (66, 61) else p for p in before]
    assert [c.symbol for c in dorian.chords] == ["Dm", "G", "Am7", "Bdim", "Am7", "Dm"]
    with pytest.raises(ToolError, match="already in D major"):
        edit.change_mode(state, _ctx(tmp_path), mode="major")
    with pytest.raises(ToolError, match="unknown mode 'phrygian'"):
        edit.change_mode(state, _ctx(tmp_path), mode="phrygian")


def test_change_mode_reharmonizes_when_the_respelled_chords_clash(tmp_path) -> None:
    notes = tuple(Note(p, float(i), 1.0) for i, p in enumerate([62, 66, 69, 66, 71, 71, 71, 71, 69, 66, 64, 62]))
    chords = (ChordEvent("D", 0.0, 4.0), ChordEvent("E7", 4.0, 4.0), ChordEvent("D", 8.0, 4.0))
    song = Song(melody=Melody(notes=notes, key=KeySpec("D"), bars=3), chords=chords)
    out = edit.change_mode(SongState(song=song), _ctx(tmp_path), mode="minor")
    assert "chords re-harmonized (re-spelled in D minor they clashed with the melody in bar 2)" in out.summary
    assert "E7" not in [c.symbol for c in out.state.song.chords]
    assert out.state.song.chords and "chord_clash" not in [f["code"] for f in out.findings]


def test_change_tempo_and_meter_keep_bars_chords_and_lyrics(tmp_path) -> None:
    state, ctx = SongState(song=_c_song()), _ctx(tmp_path)
    faster = edit.change_tempo(state, ctx, tempo=132)
    assert faster.state.song.melody == replace(_c_song().melody, tempo=132)
    assert faster.summary.startswith("The song is now 132 bpm, 4/4 (was 96 bpm, 4/4); 4 bars kept.")
    waltz = edit.change_tempo(state, ctx, meter="3/4")
    song = waltz.state.song
    assert song.melody.meter == Meter(3, 4) and song.melody.bars == 4
    assert [(n.pitch, n.onset, n.duration, n.lyric) for n in song.melody.notes[:2]] == \
        [(60, 0.0, 0.75, Syllable("la0")), (62, 0.75, 0.75, Syllable("la1"))]
    assert chord_chart(song, bars_per_line=64) == chord_chart(_c_song(), bars_per_line=64)
    assert "now 96 bpm, 3/4 (was 96 bpm, 4/4); 4 bars kept" in waltz.summary
    back = read_song(Path(waltz.files["musicxml"]))
    assert back.melody.meter == Meter(3, 4) and [n.lyric.text for n in back.melody.notes][:3] == ["la0", "la1", "la2"]
    jig = edit.change_tempo(SongState(song=_d_pickup_song()), ctx, meter="6/8", tempo=90).state.song
    assert jig.melody.notes[0].onset == 2.25 and jig.melody.bars == 5  # the pickup is still a pickup
    with pytest.raises(ToolError, match="meter 11/8 cannot be written"):
        edit.change_tempo(state, ctx, meter="11/8")
    with pytest.raises(ToolError, match="unsupported meter 7/5"):
        edit.change_tempo(state, ctx, meter="7/5")
    with pytest.raises(ToolError, match="needs a tempo"):
        edit.change_tempo(state, ctx)
    with pytest.raises(ToolError, match="already 96 bpm, 4/4"):
        edit.change_tempo(state, ctx, tempo=96, meter="4/4")


def test_the_edits_run_from_the_command_line(tmp_path, down_file) -> None:
    out = cli_tool.invoke("change_chord", ["bar=3", "chord=F"], file=down_file, out=tmp_path / "cli")
    assert out.summary.startswith("Bar 3 is now F (was none). Chords: | - | - | F |.")
    assert "<root-step>F</root-step>" in Path(out.files["musicxml"]).read_text(encoding="utf-8")
    moved = cli_tool.invoke("transpose", ["semitones=5"], file=down_file, out=tmp_path / "cli")
    assert [n.pitch for n in read_song(Path(moved.files["abc"])).melody.notes] == \
        [n.pitch + 5 for n in down_tune().melody.notes]
