"""Renderers: fluidsynth is always bounded by a timeout and a watched output size; missing tools are clear errors."""

from __future__ import annotations

import re
import stat
import struct
import sys
from pathlib import Path

import pytest

from tunesmith.tools.export import render
from tunesmith.tokenization.files import write_song
from tunesmith.tokenization.music import KeySpec, Melody, Meter, Note, Song

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="fake fluidsynth scripts are POSIX shell")


def fake_fluidsynth(folder: Path, body: str) -> str:
    """A stand-in for fluidsynth: `$out` is the path after -F."""
    script = folder / "fluidsynth"
    script.write_text('#!/bin/sh\nout=""\nwhile [ $# -gt 0 ]; do [ "$1" = "-F" ] && out="$2"; shift; done\n' + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    notes = tuple(Note(60 + i, float(i), 1.0) for i in range(8))
    song = Song(melody=Melody(notes=notes, meter=Meter(4, 4), key=KeySpec("C"), bars=2), title="Steps")
    (tmp_path / "font.sf2").write_bytes(b"RIFF")
    return write_song(song, tmp_path, stem="steps")


def test_wav_ok(tmp_path: Path, files) -> None:
    program = fake_fluidsynth(tmp_path, 'printf "RIFFdata" > "$out"\n')
    wav = render.render_wav(files["midi"], tmp_path / "steps.wav", soundfont=tmp_path / "font.sf2", fluidsynth=program)
    assert wav.read_bytes() == b"RIFFdata"


def test_wav_runaway_hits_the_size_cap(tmp_path: Path, files) -> None:
    program = fake_fluidsynth(tmp_path, 'head -c 3000000 /dev/zero > "$out"; exec sleep 30\n')  # then stuck
    with pytest.raises(render.RenderFailed, match="reached the 1 MB cap"):
        render.render_wav(files["midi"], tmp_path / "big.wav", soundfont=tmp_path / "font.sf2", fluidsynth=program,
                          max_bytes=1_000_000, timeout=20)
    assert not (tmp_path / "big.wav").exists()


def test_wav_hang_hits_the_timeout(tmp_path: Path, files) -> None:
    program = fake_fluidsynth(tmp_path, "exec sleep 30\n")
    with pytest.raises(render.RenderFailed, match="ran past 0.5 s"):
        render.render_wav(files["midi"], tmp_path / "slow.wav", soundfont=tmp_path / "font.sf2", fluidsynth=program,
                          timeout=0.5)


def test_missing_renderers_say_what_to_install(tmp_path: Path, files, monkeypatch) -> None:
    monkeypatch.setattr(render.shutil, "which", lambda name: None)
    with pytest.raises(render.RenderUnavailable, match="fluidsynth is not installed"):
        render.render_wav(files["midi"], tmp_path / "x.wav")
    program = fake_fluidsynth(tmp_path, "exit 0\n")
    with pytest.raises(render.RenderUnavailable, match="no General MIDI soundfont"):
        monkeypatch.setattr(render, "find_soundfont", lambda: None)
        render.render_wav(files["midi"], tmp_path / "x.wav", fluidsynth=program)
    monkeypatch.setitem(sys.modules, "cairosvg", None)
    with pytest.raises(render.RenderUnavailable, match="librsvg2-bin"):
        render.render_png(tmp_path / "x.svg", tmp_path / "x.png")
    assert render.player_command(tmp_path / "x.wav") is None
    assert render.renderers()["wav"] == "missing (apt install fluidsynth)"


def test_svg_score(tmp_path: Path, files) -> None:
    pages = render.render_svg(files["musicxml"], tmp_path / "steps.svg")
    assert pages == [tmp_path / "steps.svg"] and "<svg" in pages[0].read_text()[:300]


def test_soundfont_search(tmp_path: Path) -> None:
    assert render.find_soundfont((tmp_path,)) is None
    (tmp_path / "Other.sf2").write_bytes(b"x")
    assert render.find_soundfont((tmp_path,)) == tmp_path / "Other.sf2"
    (tmp_path / "TimGM6mb.sf2").write_bytes(b"x")
    assert render.find_soundfont((tmp_path,)) == tmp_path / "TimGM6mb.sf2"


def test_wav_stays_unreplaced_when_rendering_fails(tmp_path: Path, files) -> None:
    (tmp_path / "steps.wav").write_bytes(b"the good take")
    program = fake_fluidsynth(tmp_path, 'printf "half" > "$out"; exit 3\n')
    with pytest.raises(render.RenderFailed, match="fluidsynth failed"):
        render.render_wav(files["midi"], tmp_path / "steps.wav", soundfont=tmp_path / "font.sf2", fluidsynth=program)
    assert (tmp_path / "steps.wav").read_bytes() == b"the good take"
    assert sorted(p.name for p in tmp_path.glob(".*.part")) == []


@pytest.mark.skipif(render.shutil.which("fluidsynth") is None or render.find_soundfont() is None,
                    reason="fluidsynth and a GM soundfont are not installed (.ci/run installs them)")
def test_real_fluidsynth_renders_a_wav_of_the_song_length(tmp_path: Path, files) -> None:
    import array
    import wave

    wav = render.render_wav(files["midi"], tmp_path / "steps.wav")
    with wave.open(str(wav)) as audio:
        seconds = audio.getnframes() / audio.getframerate()
        assert audio.getsampwidth() == 2
        samples = array.array("h", audio.readframes(audio.getnframes()))
    # 8 quarter notes at the song's tempo (120 bpm unless set) plus fluidsynth's release tail
    assert 3.5 <= seconds <= 8.0, seconds
    peak = max(abs(s) for s in samples)
    rms = (sum(s * s for s in samples) / len(samples)) ** 0.5
    assert peak > 1000 and rms > 100, (peak, rms)  # audible, not silence


def test_svg_is_twice_the_old_size_and_names_times_metric_fonts(tmp_path: Path, files) -> None:
    svg = render.render_svg(files["musicxml"], tmp_path / "steps.svg")[0].read_text()
    assert int(re.search(r'<svg width="(\d+)px"', svg).group(1)) >= 2 * 945
    assert render.TEXT_CSS in svg and "FreeSerif" in render.TEXT_CSS


def test_raster_text_swaps_smufl_tempo_glyphs_for_unicode() -> None:
    svg = '<text><tspan font-family="Leipzig" font-size="720px">\ueca5\uecb7</tspan><tspan> = 80</tspan></text>'
    out = render.raster_text(svg)
    assert "Leipzig" not in out and "\u2669." in out and 'font-size="432px"' in out and "= 80" in out
    assert render.raster_text("<text>plain</text>") == "<text>plain</text>"
    chord = render.raster_text('B<tspan font-family="Leipzig" font-size="600px">\uea64</tspan>7')
    assert "\u266d" in chord and "dx=" not in chord  # a chord's flat: no gap before the 7
    unknown = '<tspan font-family="Leipzig" font-size="600px">\ue0a4</tspan>'
    assert render.raster_text(unknown) == unknown


@pytest.mark.skipif(render.shutil.which("rsvg-convert") is None, reason="needs rsvg-convert (librsvg2-bin)")
def test_png_is_at_least_1890_pixels_wide(tmp_path: Path, files) -> None:
    svg = render.render_svg(files["musicxml"], tmp_path / "steps.svg")[0]
    png = render.render_png(svg, tmp_path / "steps.png")
    assert struct.unpack(">I", png.read_bytes()[16:20])[0] >= 1890
    assert not list(tmp_path.glob(".*raster*"))  # the rasteriser's copy is gone
