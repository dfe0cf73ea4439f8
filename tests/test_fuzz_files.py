"""A fast subset of the bad-file fuzz (eval/fuzz/files.py runs all of it through the CLI): every
generated input read in-process gives a Song or one MusicFileError, never another exception."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tunesmith.eval.fuzz.inputs import inputs, special
from tunesmith.tokenization.errors import MusicFileError
from tunesmith.tokenization.files import read_song

ALL = inputs()
# every 6th input (a spread over MIDI, ABC, MusicXML, .mxl and the rest), skipping the few that are
# slow by design (music21 reading 256 bars or 300 parts takes seconds)
SLOW = {"bars-300.abc", "measures-300.musicxml", "parts-300.musicxml", "grace.abc", "many-tunes.abc"}
SUBSET = [item for item in ALL[::6] if item[0] not in SLOW]


def test_the_generator_is_stable_and_large() -> None:
    assert len(ALL) >= 400 and [n for n, _ in inputs()] == [n for n, _ in ALL]
    assert len({n.rsplit(".", 1)[-1] for n, _ in ALL}) >= 6


@pytest.mark.parametrize("name", [n for n, _ in SUBSET])
def test_a_bad_file_is_a_song_or_one_clear_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(dict(SUBSET)[name])
    started = time.perf_counter()
    try:
        song = read_song(path)
    except MusicFileError as err:
        assert str(err) and "\n" not in str(err) and "Traceback" not in str(err)
    else:
        assert song.melody.notes
    assert time.perf_counter() - started < 20


@pytest.mark.skipif(os.name != "posix", reason="FIFOs and device links")
def test_special_inputs_are_refused(tmp_path: Path) -> None:
    for name in special(tmp_path):
        with pytest.raises(MusicFileError):
            read_song(tmp_path / name)
