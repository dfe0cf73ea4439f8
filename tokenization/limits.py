"""What a music file tunesmith reads may be: every limit in one place, checked on the raw file
before music21 sees it.

music21 converts a whole file before it can be asked how long it is, and a tiny crafted file can
make it work for minutes or take gigabytes: a 38-byte MIDI whose one delta time is 0x0FFFFFFF,
an ABC tune of 800 bars, `M:1000/1`, an `.mxl` whose 90 KB unpack to 95 MB.  So the readers count
on the raw data first (MIDI through symusic, which parses in microseconds; ABC and MusicXML as
text) and refuse with one line that names the limit.  A limit's error says its name as a person
would read it ("more than the limit of 256 bars").
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from .errors import MusicFileError

MAX_BYTES = 5_000_000          # a file on disk (a large MIDI collection file is ~1 MB)
MAX_UNPACKED_BYTES = 20_000_000  # the score inside an .mxl archive, unpacked
MAX_NOTES = 20_000             # notes in the file, all tracks
MAX_BARS = 256                 # bars of the melody (also Melody's own limit)
MAX_QUARTERS = MAX_BARS * 8    # time span in quarter notes: 256 bars of 8/4
MAX_BEATS = 32                 # a meter's numerator (12/8, 7/4 and 32/32 are fine; 1000/1 is not)
METER_UNITS = (1, 2, 4, 8, 16, 32, 64)  # a meter's denominator
MAX_BAR_NOTES = 256            # notes (grace notes too) in one written bar; real tunes have at most ~32


def regular_file(path: Path) -> None:
    """Refuse what is not a plain file after following links: a FIFO would block a read forever
    and /dev/zero never ends (both have size 0, so a size check alone lets them through)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as err:
        raise MusicFileError(f"cannot read {path}: {err.strerror or err}") from err
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) \
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file"
        raise MusicFileError(f"{path.name} is {kind}, not a music file")


def read_bounded(path: Path, *, max_bytes: int = MAX_BYTES) -> bytes:
    """The file's bytes, never more than max_bytes + 1 read (a file may grow or lie about its size)."""
    size = path.stat().st_size
    if size > max_bytes:
        raise MusicFileError(f"{path.name} is {size_text(size)}, more than the limit of {size_text(max_bytes)}")
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise MusicFileError(f"{path.name} is more than the limit of {size_text(max_bytes)}")
    return data


def size_text(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count} bytes"


def check_span(name: str, *, quarters: float, bar_quarters: float) -> None:
    """A time span (from the first tick to the last event) within MAX_QUARTERS and MAX_BARS."""
    if quarters > MAX_QUARTERS:
        raise MusicFileError(f"{name} lasts {quarters:,.0f} quarter notes, more than the limit of {MAX_QUARTERS}")
    bars = quarters / bar_quarters if bar_quarters > 0 else 0
    if bars > MAX_BARS + 1:
        raise MusicFileError(f"{name} lasts {bars:,.0f} bars, more than the limit of {MAX_BARS} bars")


def check_meter(name: str, beats: int, unit: int) -> None:
    """A meter a melody can be written in: at most MAX_BEATS beats, a power-of-two unit."""
    if not 1 <= beats <= MAX_BEATS or unit not in METER_UNITS:
        raise MusicFileError(f"{name} has the meter {beats}/{unit}, outside the limits "
                             f"(1-{MAX_BEATS} beats of a 1, 2, 4, 8, 16, 32 or 64 note)")


_ABC_METER = re.compile(r"^\s*\[?M:\s*([\d+ ()]+)\s*/\s*(\d+)", re.M)
_ABC_INLINE_METER = re.compile(r"\[M:\s*([\d+ ()]+)\s*/\s*(\d+)\]")
_ABC_BAR = re.compile(r"::|[:\[]*\|+[\]:]*")


_ABC_MODES = "m|min|minor|maj|major|ion|ionian|dor|dorian|phr|phrygian|lyd|lydian|mix|mixolydian|aeo|aeolian|loc|locrian"
_ABC_KEY = re.compile(rf"^(none|hp|[a-g][#b]?({_ABC_MODES})?)$", re.I)
_ABC_MODE = re.compile(rf"^({_ABC_MODES})$", re.I)


def _check_abc_key(name: str, text: str) -> None:
    """K: must name a key music21 reads as written (it takes K:H or K:C## as some other key)."""
    for field in re.findall(r"^\s*K:(.*)$|\[K:([^\]\n]*)\]", text, re.M):
        value = re.sub(r"%.*", "", field[0] or field[1]).strip()
        words = [w for w in value.split() if "=" not in w and not w.startswith(("^", "_", "="))]
        if not words or words[0].lower() in ("exp", "clef"):
            continue  # no key named (C major / a clef only), as ABC allows
        key = words[0] + (words[1] if len(words) > 1 and _ABC_MODE.match(words[1]) else "")
        if not _ABC_KEY.match(key):
            raise MusicFileError(f"{name} has the key K:{value}, which is not a key (e.g. K:G, K:Em, K:D dorian)")


def check_abc(name: str, text: str, *, max_notes: int = MAX_NOTES) -> None:
    """Meters and the bar count of one ABC tune, before music21 parses it (a repeat sign counts once:
    music21 expands repeats, so the limit is on the written bars), and its key fields."""
    _check_abc_key(name, text)
    for match in [*_ABC_METER.finditer(text), *_ABC_INLINE_METER.finditer(text)]:
        beats = sum(int(x) for x in re.findall(r"\d+", match.group(1)))
        check_meter(name, beats, int(match.group(2)))
    body = "\n".join(line for line in text.splitlines()
                     if not re.match(r"^\s*([A-Za-z]:|%)", line))  # header, w: lyrics and comments out
    body = re.sub(r"%.*", "", body)
    body = re.sub(r'"[^"\n]*"', "", body)  # chord symbols and annotations may hold bar-like text
    body = re.sub(r"![^!\n]*!|\+[^+\n]*\+|\[[A-Za-z]:[^\]\n]*\]", "", body)  # decorations, inline fields
    written = _ABC_BAR.split(body)
    bars = len(written) - 1
    if bars > MAX_BARS + 1:
        raise MusicFileError(f"{name} has {bars} bars, more than the limit of {MAX_BARS} bars")
    crowded = max((len(re.findall(r"[A-Ga-g]", bar)) for bar in written), default=0)
    if crowded > MAX_BAR_NOTES:
        raise MusicFileError(f"{name} has a bar of {crowded} notes, more than the limit of {MAX_BAR_NOTES}")
    total = len(re.findall(r"[A-Ga-g]", body))
    if total > max_notes:
        raise MusicFileError(f"{name} has {total} notes, more than the limit of {max_notes}")


def check_humdrum(name: str, text: str) -> None:
    """The meters of a Humdrum file (`*M1000/1` sends music21 into minutes of work)."""
    for beats, unit in re.findall(r"\*M(\d+)/(\d+)", text):
        check_meter(name, int(beats), int(unit))


def check_musicxml(name: str, text: str, *, max_notes: int = MAX_NOTES) -> None:
    """Meters, notes and measures of a MusicXML text, before music21 parses it."""
    notes = text.count("<note>") + text.count("<note ")
    if notes > max_notes:
        raise MusicFileError(f"{name} has {notes} notes, more than the limit of {max_notes}")
    for beats, unit in re.findall(r"<beats>\s*([\d+]+)\s*</beats>\s*<beat-type>\s*(\d+)\s*</beat-type>", text):
        check_meter(name, sum(int(x) for x in beats.split("+")), int(unit))
    parts = max(1, text.count("<part ") + text.count("<part>"))
    measures = (text.count("<measure ") + text.count("<measure>")) / parts
    if measures > MAX_BARS + 1:
        raise MusicFileError(f"{name} has {measures:.0f} measures, more than the limit of {MAX_BARS} bars")
