"""Audio and score renderings of a song, when the renderers are installed.

WAV: fluidsynth with a General MIDI soundfont, always under a wall-clock timeout and a watched
output size (fluidsynth 2.3.1 renders forever on stuck notes; see ../shared/notes/ecosystem.md §0.6).
SVG: verovio from the MusicXML.  PNG: the SVG through rsvg-convert (librsvg2-bin) or
cairosvg.  A missing renderer is a RenderUnavailable error whose message says what to
install; callers keep the MIDI/MusicXML files they already have.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from ..errors import ToolError

SOUNDFONT_DIRS = (Path("/usr/share/sounds/sf2"), Path("/usr/share/soundfonts"), Path("/usr/local/share/soundfonts"),
                  Path("/opt/homebrew/share/soundfonts"))
SOUNDFONT_NAMES = ("default-GM.sf2", "FluidR3_GM.sf2", "TimGM6mb.sf2", "default.sf2")
WAV_TIMEOUT_S = 60.0
WAV_MAX_BYTES = 50_000_000  # about 4.7 minutes of 44.1 kHz stereo 16-bit
WATCH_EVERY_S = 0.05
WAV_GAIN = 0.7  # fluidsynth's default 0.2 peaks near -26 dBFS on a solo melody: too quiet beside other audio
PLAYERS = (("aplay", "-q"), ("paplay",), ("afplay",), ("ffplay", "-nodisp", "-autoexit", "-loglevel", "quiet"))


class RenderUnavailable(ToolError):
    """A renderer is not installed; the message names what to install."""


class RenderFailed(ToolError):
    """A renderer ran but gave no usable file (timeout, size cap, bad input)."""


def find_soundfont(search: tuple[Path, ...] = SOUNDFONT_DIRS) -> Path | None:
    """A General MIDI soundfont from the usual system folders, preferring the known GM fonts."""
    for folder in search:
        for name in SOUNDFONT_NAMES:
            if (folder / name).is_file():
                return folder / name
    for folder in search:
        found = sorted(folder.glob("*.sf[23]")) if folder.is_dir() else []
        if found:
            return found[0]
    return None


def _watch(process: subprocess.Popen, output: Path, *, timeout: float, max_bytes: int) -> str | None:
    """Wait for a renderer, stopping it when it runs past `timeout` or its file passes `max_bytes`.

    Watched from outside rather than capped with RLIMIT_FSIZE: fluidsynth ftruncates a 64 MB
    shared-memory buffer of its own, which such a cap kills (exit -25, SIGXFSZ)."""
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        if time.monotonic() > deadline:
            return f"ran past {timeout:g} s and was stopped"
        if output.is_file() and output.stat().st_size >= max_bytes:
            return f"reached the {max_bytes // 1_000_000} MB cap and was stopped"
        time.sleep(WATCH_EVERY_S)
    return None


def render_wav(midi_path: Path, wav_path: Path, *, soundfont: Path | None = None, fluidsynth: str | None = None,
               timeout: float = WAV_TIMEOUT_S, max_bytes: int = WAV_MAX_BYTES) -> Path:
    """Render a MIDI file to WAV with fluidsynth; never runs longer than `timeout` or writes past `max_bytes`.

    fluidsynth writes a temporary file beside the target, renamed when it is complete, so a stopped
    or failed rendering leaves no half WAV and never replaces a good one."""
    program = fluidsynth or shutil.which("fluidsynth")
    if program is None:
        raise RenderUnavailable("no WAV: fluidsynth is not installed (apt install fluidsynth, brew install fluid-synth)")
    font = soundfont or find_soundfont()
    if font is None:
        raise RenderUnavailable("no WAV: no General MIDI soundfont found (apt install fluid-soundfont-gm)")
    wav_path = Path(wav_path)
    part = wav_path.with_name(f".{wav_path.name}.{os.getpid()}.part")
    command = [program, "-ni", "-q", "-F", str(part), "-T", "wav", "-r", "44100", "-g", str(WAV_GAIN), str(font), str(midi_path)]
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: a chatty renderer cannot block on it
        try:
            process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        except OSError as err:
            raise RenderUnavailable(f"no WAV: cannot run {program}: {err.strerror or err}") from err
        try:
            stopped = _watch(process, part, timeout=timeout, max_bytes=max_bytes)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
        log.seek(0)
        why = log.read().decode("utf-8", "replace").strip().splitlines()
    size = part.stat().st_size if part.is_file() else 0
    if stopped or process.returncode != 0 or size == 0:
        part.unlink(missing_ok=True)
        raise RenderFailed(f"no WAV: fluidsynth {stopped}" if stopped else
                           f"no WAV: fluidsynth failed ({why[-1] if why else f'exit {process.returncode}'})")
    os.replace(part, wav_path)
    return wav_path


# verovio lays text out with Times metrics; a rasteriser without Times falls back to a wider serif
# (DejaVu Serif here), which is what made lyric words run into each other.  The CSS names Times and
# its metric clones first, and FreeSerif (a Times-like face Debian installs widely) before "serif".
TEXT_CSS = ('text { font-family: Times, "Times New Roman", "Liberation Serif", "Nimbus Roman", "TeX Gyre Termes", '
            'FreeSerif, "Noto Serif CJK SC", "Noto Sans CJK SC", serif; }')
SVG_OPTIONS = {
    "pageWidth": 2100, "pageHeight": 2970, "adjustPageHeight": True, "footer": "none", "breaks": "auto",
    "scale": 90,  # pixels per page unit x 100: 1890 px wide, twice the old 945, for the same layout
    "lyricSize": 4.0, "lyricWordSpace": 1.6,  # a little smaller than verovio's 4.5, words kept apart
    "svgCss": TEXT_CSS,
}
# SMuFL glyphs that verovio writes as text in its embedded Leipzig web font, which rsvg-convert
# and cairosvg cannot load: the PNG gets the Unicode music symbols instead.  Tempo-mark notes
# (FreeSerif's advance less than they are wide, so the " = 96" after them is moved along) and
# the accidentals of chord symbols (figured-bass glyphs) and of text.
SMUFL_NOTES = {"\ueca2": "\U0001d15d", "\ueca3": "\U0001d15e", "\ueca5": "\u2669", "\ueca7": "\u266a",
               "\ueca9": "\u266c", "\uecb7": "."}
SMUFL_ACCIDENTALS = {"\uea63": "\U0001d12b", "\uea64": "\u266d", "\uea65": "\u266e", "\uea66": "\u266f",
                     "\uea67": "\U0001d12a", "\ue260": "\u266d", "\ue261": "\u266e", "\ue262": "\u266f",
                     "\ue263": "\U0001d12a", "\ue264": "\U0001d12b"}
_GLYPH_TEXT = re.compile(r'<tspan font-family="Leipzig" font-size="(\d+)px">([\ue000-\uf8ff]+)</tspan>')


def render_svg(musicxml_path: Path, svg_path: Path) -> list[Path]:
    """Engrave a MusicXML file with verovio: svg_path for page 1, then stem-2.svg, … for more pages."""
    try:
        import verovio
    except ImportError:
        raise RenderUnavailable("no score image: verovio is not installed (pip install verovio)") from None
    # verovio finds its fonts only in the first thread that made a toolkit unless told where they
    # are; batch jobs render in worker threads.
    toolkit = verovio.toolkit(False)
    toolkit.setResourcePath(str(Path(verovio.__file__).parent / "data"))
    toolkit.setOptions(SVG_OPTIONS)
    if not toolkit.loadData(Path(musicxml_path).read_text(encoding="utf-8")):
        raise RenderFailed(f"no score image: verovio could not read {Path(musicxml_path).name}")
    svg_path = Path(svg_path)
    written = []
    for page in range(1, toolkit.getPageCount() + 1):
        target = svg_path if page == 1 else svg_path.with_name(f"{svg_path.stem}-{page}.svg")
        target.write_text(toolkit.renderToSVG(page), encoding="utf-8")
        written.append(target)
    return written


def raster_text(svg: str) -> str:
    """The SVG with verovio's SMuFL text glyphs (tempo-mark notes, chord-symbol accidentals) as
    Unicode music symbols in a system font, at a text size: what a rasteriser without web fonts can
    draw.  Glyphs it has no symbol for are left as they are."""
    known = SMUFL_NOTES | SMUFL_ACCIDENTALS

    def swap(match: re.Match) -> str:
        glyphs = match.group(2)
        if any(char not in known for char in glyphs):
            return match.group(0)
        size = round(int(match.group(1)) * 0.6)
        text = f'<tspan font-family="FreeSerif, DejaVu Sans, serif" font-size="{size}px">{"".join(known[c] for c in glyphs)}</tspan>'
        if glyphs[-1] in SMUFL_NOTES:
            text += f'<tspan font-size="{size}px" dx="{size // 2}">\u200a</tspan>'
        return text

    return _GLYPH_TEXT.sub(swap, svg)


def render_png(svg_path: Path, png_path: Path, *, timeout: float = 30.0) -> Path:
    """Rasterise an SVG on white with rsvg-convert, else cairosvg (tempo-mark glyphs made drawable)."""
    svg_path = Path(svg_path)
    program = shutil.which("rsvg-convert")
    if program is None:
        try:
            import cairosvg
        except ImportError:
            raise RenderUnavailable("no PNG: install librsvg2-bin (rsvg-convert) or `pip install cairosvg`; "
                                    "the SVG score is there") from None
        text = raster_text(svg_path.read_text(encoding="utf-8"))
        cairosvg.svg2png(bytestring=text.encode("utf-8"), write_to=str(png_path), background_color="white")
        return Path(png_path)
    copy = svg_path.with_name(f".{svg_path.stem}.{os.getpid()}.raster.svg")
    try:
        copy.write_text(raster_text(svg_path.read_text(encoding="utf-8")), encoding="utf-8")
        subprocess.run([program, "-b", "white", "-o", str(png_path), str(copy)], capture_output=True,
                       timeout=timeout, check=True, stdin=subprocess.DEVNULL)
    except (subprocess.SubprocessError, OSError) as err:
        raise RenderFailed(f"no PNG: rsvg-convert failed ({type(err).__name__})") from err
    finally:
        copy.unlink(missing_ok=True)
    return Path(png_path)


def renderers() -> dict[str, str]:
    """What can be rendered here, for /help and error messages."""
    try:
        import verovio  # noqa: F401

        svg = "verovio"
    except ImportError:
        svg = "missing (pip install verovio)"
    png = "rsvg-convert" if shutil.which("rsvg-convert") else "missing (apt install librsvg2-bin)"
    wav = shutil.which("fluidsynth")
    font = find_soundfont()
    wav_text = f"fluidsynth + {font.name}" if wav and font else (
        "missing soundfont (apt install fluid-soundfont-gm)" if wav else "missing (apt install fluidsynth)")
    return {"wav": wav_text, "svg": svg, "png": png}


def player_command(wav_path: Path) -> list[str] | None:
    """A command that plays a WAV file with the first audio player found, or None."""
    for program, *flags in PLAYERS:
        found = shutil.which(program)
        if found:
            return [found, *flags, str(wav_path)]
    return None
