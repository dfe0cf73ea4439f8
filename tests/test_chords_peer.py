"""The note_seq peer of the chord eval: run in its own venv, so here only when that venv exists."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tunesmith.eval import peer_note_seq
from tunesmith.eval.eval_chords_folk import as_midi, compare, read_back
from tunesmith.tokenization.music import ChordEvent, KeySpec, Melody, Meter, Note, Song


def _song(pitches: list[list[int]]) -> Song:
    """One bar of quarter notes per chord tone list (bar after bar), chords as the bars spell them."""
    notes = [Note(p, 4.0 * bar + i, 1.0) for bar, tones in enumerate(pitches) for i, p in enumerate(tones)]
    return Song(melody=Melody(notes=tuple(notes), meter=Meter(4, 4), key=KeySpec("C", "major")))


def test_a_missing_peer_is_one_line_that_says_how_to_set_it_up(tmp_path: Path) -> None:
    with pytest.raises(peer_note_seq.PeerMissing, match="make peer"):
        peer_note_seq.note_seq_chords([tmp_path / "x.mid"], python=tmp_path / "no-python")
    with pytest.raises(peer_note_seq.PeerMissing, match="failed"):  # tunesmith's own venv has no note_seq
        peer_note_seq.note_seq_chords([tmp_path / "x.mid"], python=Path(sys.executable))


@pytest.mark.skipif(not peer_note_seq.DEFAULT_PYTHON.exists(), reason="no peer venv (make peer)")
def test_the_peer_hears_plain_arpeggios_as_their_chords(tmp_path: Path) -> None:
    bars = [[60, 64, 67, 72], [65, 69, 72, 77], [67, 71, 74, 79], [60, 64, 67, 72]]
    song = _song(bars)
    read = read_back(as_midi(song.melody), ".mid", tmp_path, name="arp")
    answer = peer_note_seq.note_seq_chords([tmp_path / "arp.mid", tmp_path / "missing.mid"])
    assert answer.errors[0] is None and answer.errors[1]  # a file it cannot read is reported, not fatal
    truth = Song(melody=song.melody, chords=tuple(ChordEvent(s, 4.0 * i, 4.0) for i, s in enumerate("CFGC")))
    assert compare(truth, Song(melody=read.melody, chords=answer.charts[0]))["root"] == 1.0
