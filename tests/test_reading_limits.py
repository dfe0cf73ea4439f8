"""Crafted files that would make music21 work for minutes or take gigabytes are refused before it
sees them, each with one line naming the limit (tokenization/limits.py)."""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

import pytest

from tunesmith.eval.fuzz.inputs import midi, vlq
from tunesmith.tokenization import limits
from tunesmith.tokenization.errors import MusicFileError
from tunesmith.tokenization.files import read_song


def _midi(events: list[bytes]) -> bytes:
    """A format-0 MIDI file of one track of raw events (the fuzz generator's writer)."""
    return midi([b"".join(events)], fmt=0)


def _refused(path: Path, pattern: str) -> None:
    started = time.perf_counter()
    with pytest.raises(MusicFileError, match=pattern):
        read_song(path)
    assert time.perf_counter() - started < 10  # refused on the raw file (music21 would take minutes)


def test_midi_time_span_and_meter(tmp_path: Path) -> None:
    (tmp_path / "delta.mid").write_bytes(_midi([vlq(0x0FFFFFFF) + b"\x90\x3c\x40", vlq(480) + b"\x80\x3c\x40"]))
    _refused(tmp_path / "delta.mid", "quarter notes, more than the limit of 2048")
    overflow = [vlq(0x0FFFFFFF) + (b"\x90" if i % 2 == 0 else b"\x80") + b"\x3c\x40" for i in range(40)]
    (tmp_path / "overflow.mid").write_bytes(_midi(overflow))
    _refused(tmp_path / "overflow.mid", "more than the limit")
    wide = b"\x00\xff\x58\x04" + bytes([200, 2, 24, 8])  # 200/4
    (tmp_path / "meter.mid").write_bytes(_midi([wide, b"\x00\x90\x3c\x40", vlq(480) + b"\x80\x3c\x40"]))
    _refused(tmp_path / "meter.mid", "meter 200/4, outside the limits")


def test_abc_bars_and_meter(tmp_path: Path) -> None:
    (tmp_path / "long.abc").write_text("X:1\nT:long\nM:4/4\nL:1/8\nK:C\n" + "CDEF GABc|" * 400 + "\n")
    _refused(tmp_path / "long.abc", "400 bars, more than the limit of 256 bars")
    (tmp_path / "meter.abc").write_text("X:1\nM:1000/1\nL:1/8\nK:C\nCDEF GABc|\n")
    _refused(tmp_path / "meter.abc", "meter 1000/1")
    (tmp_path / "ok.abc").write_text('X:1\nM:6/8\nL:1/8\nK:D\n"D"|:DFA dAF|"G"GBd gdB:|\nw: a b c d e f\n')
    assert read_song(tmp_path / "ok.abc").melody.notes


def _musicxml(measures: int, *, comment: int = 0) -> str:
    body = "".join(f'<measure number="{i + 1}">' + (
        "<attributes><divisions>1</divisions><key><fifths>0</fifths></key><time><beats>4</beats>"
        "<beat-type>4</beat-type></time></attributes>" if i == 0 else "") +
        "<note><pitch><step>E</step><octave>4</octave></pitch><duration>4</duration><type>whole</type></note>"
        "</measure>" for i in range(measures))
    return ('<?xml version="1.0" encoding="UTF-8"?>' + "<!--" + "x" * comment + "-->" +
            '<score-partwise version="3.1"><part-list><score-part id="P1"><part-name>M</part-name></score-part>'
            '</part-list><part id="P1">' + body + "</part></score-partwise>")


def test_musicxml_measures_unpacked_size_utf16_and_a_late_root(tmp_path: Path) -> None:
    (tmp_path / "long.musicxml").write_text(_musicxml(limits.MAX_BARS + 50))
    _refused(tmp_path / "long.musicxml", "measures, more than the limit of 256 bars")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("score.xml", "<score-partwise>" + " " * (limits.MAX_UNPACKED_BYTES + 10) + "</score-partwise>")
    (tmp_path / "bomb.mxl").write_bytes(archive.getvalue())
    assert (tmp_path / "bomb.mxl").stat().st_size < 200_000
    _refused(tmp_path / "bomb.mxl", "unpacks to more than the limit of 20.0 MB")
    (tmp_path / "wide.musicxml").write_bytes(_musicxml(4, comment=5000).replace("UTF-8", "UTF-16").encode("utf-16"))
    assert len(read_song(tmp_path / "wide.musicxml").melody.notes) == 4


@pytest.mark.skipif(os.name != "posix", reason="FIFOs and /dev/zero")
def test_special_files_are_refused_without_reading(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.mid")
    _refused(tmp_path / "pipe.mid", "is a FIFO, not a music file")
    (tmp_path / "zero.mid").symlink_to("/dev/zero")
    _refused(tmp_path / "zero.mid", "is a device, not a music file")


def test_a_long_tune_with_a_short_pickup_signature_is_not_counted_in_pickup_bars(tmp_path: Path) -> None:
    pickup = b"\x00\xff\x58\x04" + bytes([1, 3, 24, 8])  # 1/8, then 6/8 for the rest
    rest = vlq(240) + b"\xff\x58\x04" + bytes([6, 3, 24, 8])
    notes = [b"\x00\x90\x3c\x40" + vlq(240) + b"\x80\x3c\x40" for _ in range(64 * 6)]  # 64 bars of eighths
    (tmp_path / "pickup.mid").write_bytes(_midi([pickup, b"\x00\x90\x3e\x40" + vlq(240) + b"\x80\x3e\x40",
                                                 rest.replace(vlq(240), b"\x00", 1), *notes]))
    assert read_song(tmp_path / "pickup.mid").melody.notes


def test_crowded_abc_bars_and_humdrum_meters(tmp_path: Path) -> None:
    (tmp_path / "crowded.abc").write_text("X:1\nM:4/4\nL:1/8\nK:G\n" + "G" * 2000 + "|\n")
    _refused(tmp_path / "crowded.abc", "a bar of 2000 notes, more than the limit of 256")
    (tmp_path / "meter.krn").write_text("**kern\n*M1000/1\n4c\n*-\n")
    _refused(tmp_path / "meter.krn", "meter 1000/1")


@pytest.mark.parametrize("key", ["H", "C##", "Xyz"])
def test_abc_keys_that_are_not_keys_are_refused(tmp_path: Path, key: str) -> None:
    (tmp_path / "key.abc").write_text(f"X:1\nM:4/4\nL:1/8\nK:{key}\nGABc dBdB|\n")
    _refused(tmp_path / "key.abc", f"the key K:{key}, which is not a key")


@pytest.mark.parametrize("key", ["G", "Em", "D dor", "Bbmix", "E minor", "Hp", "none", "", "G clef=bass", "D exp ^f"])
def test_abc_keys_as_abc_writes_them_are_read(tmp_path: Path, key: str) -> None:
    (tmp_path / "key.abc").write_text(f"X:1\nM:4/4\nL:1/8\nK:{key}\nGABc dBdB|\n")
    assert read_song(tmp_path / "key.abc").melody.notes
