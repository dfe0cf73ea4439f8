"""Music files in and out: read_song for MIDI, MusicXML, ABC and Humdrum; write_song for MIDI, MusicXML, ABC.

Every failure is a MusicFileError with one line a person can act on: the file is missing,
empty, too big, not music, damaged, or has no notes.  music21 does the parsing (MIDI goes
through `midi.read_midi`, which picks the melody track first); its exceptions never escape.

An ABC file may hold many tunes: `tune` picks one (1-based, default the first), and a log
message says how many there were.  music21 ignores `w:` lyrics, so they are aligned here.
Files are written through a temporary file and a rename, so an interrupted write leaves
either the old file or none, never half of one.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path

from .errors import MusicFileError, MusicValueError
from .limits import (MAX_BARS, MAX_BYTES, MAX_NOTES, MAX_UNPACKED_BYTES, check_abc, check_humdrum, check_musicxml,
                     read_bounded, regular_file, size_text)
from .music import Song

log = logging.getLogger(__name__)

FORMATS = {".mid": "midi", ".midi": "midi", ".kar": "midi", ".musicxml": "musicxml", ".xml": "musicxml",
           ".mxl": "mxl", ".abc": "abc", ".krn": "humdrum"}
_MAGIC = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
          (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a zip archive"), (b"RIFF", "a RIFF/WAV file"),
          (b"ID3", "an MP3 file"), (b"OggS", "an Ogg file"), (b"fLaC", "a FLAC file"), (b"MThd", "a MIDI file"),
          (b"\x7fELF", "a program"))


def _first_line(err: Exception) -> str:
    lines = str(err).strip().splitlines()
    return (lines[0] if lines else type(err).__name__)[:120]


def _looks_like(head: bytes) -> str:
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if b"\x00" in head[:512]:
        return "binary data"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return "XML" if stripped.startswith(b"<") else "text"


def _load(path: Path, max_bytes: int) -> tuple[bytes, str]:
    """The bytes of a readable, non-empty, not-too-big file and its format name."""
    name = path.name
    try:
        exists, folder = path.exists(), path.is_dir()
    except (OSError, ValueError) as err:  # a name with a NUL byte, a loop of links, no permission
        raise MusicFileError(f"cannot read {name!r}: {err}") from err
    if not exists:
        raise MusicFileError(f"{path} does not exist")
    if folder:
        raise MusicFileError(f"{path} is a folder, not a music file")
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise MusicFileError(f"{name}: unknown file type {path.suffix or '(none)'!r}; tunesmith reads {known}")
    regular_file(path)
    try:
        data = read_bounded(path, max_bytes=max_bytes)
    except OSError as err:
        raise MusicFileError(f"cannot read {path}: {err.strerror or err}") from err
    if not data.strip():
        raise MusicFileError(f"{name} is empty")
    return data, fmt


def _text(data: bytes, name: str, what: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its byte-order mark (MusicXML may be)
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise MusicFileError(f"{name} is not {what} (damaged UTF-16 text)") from err
    if _looks_like(data[:512]) not in ("text", "XML"):
        raise MusicFileError(f"{name} is not {what} (it looks like {_looks_like(data[:512])})")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _musicxml_text(data: bytes, fmt: str, name: str) -> str:
    """The score XML of a .musicxml/.xml file or of the first score inside an .mxl archive."""
    if fmt == "mxl":
        if not data.startswith(b"PK\x03\x04"):
            raise MusicFileError(f"{name} is not a compressed MusicXML file (it looks like {_looks_like(data)})")
        import io

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                inner = [i for i in archive.infolist() if i.filename.lower().endswith((".xml", ".musicxml"))
                         and not i.filename.upper().startswith("META-INF")]
                if not inner:
                    raise MusicFileError(f"{name} holds no MusicXML score")
                with archive.open(inner[0]) as member:  # read with a cap: the declared size may lie
                    data = member.read(MAX_UNPACKED_BYTES + 1)
                if len(data) > MAX_UNPACKED_BYTES:
                    raise MusicFileError(f"{name} unpacks to more than the limit of {size_text(MAX_UNPACKED_BYTES)}")
        except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError) as err:
            raise MusicFileError(f"{name} is a damaged .mxl archive ({err})") from err
    text = _text(data, name, "MusicXML")
    if "<score-partwise" not in text and "<score-timewise" not in text:
        raise MusicFileError(f"{name} is not MusicXML (no <score-partwise> or <score-timewise> element)")
    return text


def _parse(source, *, fmt: str, name: str):
    from music21 import converter

    try:
        return converter.parseData(source, format=fmt)
    except Exception as err:  # music21 raises many exception types (and bare ones) on bad input
        shown = {"musicxml": "MusicXML", "abc": "ABC", "humdrum": "Humdrum"}.get(fmt, fmt)
        raise MusicFileError(f"{name} could not be read as {shown} ({_first_line(err)})") from err


def _to_song(stream, *, name: str, title: str | None, max_notes: int) -> Song:
    from .m21 import stream_to_song

    notes = sum(1 for _ in stream.recurse().notes)
    if notes == 0:
        raise MusicFileError(f"{name} has no notes")
    if notes > max_notes:
        raise MusicFileError(f"{name} has {notes} notes, more than the limit of {max_notes}")
    if title is None:
        meta = getattr(stream, "metadata", None)
        title = (meta.bestTitle if meta is not None else None) or Path(name).stem
    try:
        song = stream_to_song(stream, title=title)
    except MusicValueError as err:
        raise MusicFileError(f"{name}: {err}") from err
    except Exception as err:  # music21 stream operations can fail on odd but parseable files
        raise MusicFileError(f"{name} could not be read as a melody ({_first_line(err)})") from err
    if not song.melody.notes:
        raise MusicFileError(f"{name} has no notes in its melody part")
    if song.chords:
        song = replace(song, chords=tuple(replace(c, symbol=tidy_chord(c.symbol)) for c in song.chords))
    parts = list(getattr(stream, "parts", [])) or [stream]
    measures = len(parts[0].getElementsByClass("Measure"))
    if song.melody.bars < measures <= MAX_BARS:  # keep the rest bars at the end of the file
        song = replace(song, melody=replace(song.melody, bars=measures))
    return song


def tidy_chord(symbol: str) -> str:
    """Undo music21's MusicXML chord dialect: "C7 add b9" is C7b9, "Gsus" is Gsus4, "C add 9" is Cadd9.

    >>> tidy_chord("F#m7 add b5"), tidy_chord("G7sus"), tidy_chord("C add 9"), tidy_chord("Am")
    ('F#m7b5', 'G7sus4', 'Cadd9', 'Am')
    """
    symbol = re.sub(r"\s*add\s*([#b]\d+)", r"\1", symbol)
    symbol = re.sub(r"\s*add\s*(\d+)", r"add\1", symbol)
    return re.sub(r"sus(?!\d)", "sus4", symbol)


def _pick_tune(text: str, tune: int, name: str) -> str:
    """Tune number `tune` of an ABC text, with the file header's L:/M:/Q: and the standard default L:."""
    from .abc import split_tunes

    tunes = [t for t in split_tunes(text) if re.search(r"(?m)^K:", t)]
    if not tunes:
        raise MusicFileError(f"{name} is not ABC notation (no K: key line)")
    if not 1 <= tune <= len(tunes):
        raise MusicFileError(f"{name} has {len(tunes)} tune(s); there is no tune {tune}")
    if len(tunes) > 1:
        log.warning("%s holds %d tunes; reading tune %d (pass tune=N for another)", name, len(tunes), tune)
    chosen = tunes[tune - 1]
    start = re.search(r"(?m)^X:", text)
    own = {line[0] for line in chosen.split("\nK:")[0].splitlines() if re.match(r"^[A-Za-z]:", line)}
    header = [line for line in text[:start.start()].splitlines()
              if re.match(r"^[LMQ]:", line) and line[0] not in own] if start else []
    if header:  # file-header fields apply to every tune that does not set its own
        first, _, rest = chosen.partition("\n")
        chosen = "\n".join([first, *header, rest])
    if not re.search(r"(?m)^[ML]:", chosen):  # ABC's default that music21 lacks: no M:, no L: -> L:1/8
        chosen = re.sub(r"(?m)^K:", "L:1/8\nK:", chosen, count=1)
    return chosen


def _read_abc(data: bytes, *, name: str, tune: int, max_notes: int) -> Song:
    from music21 import harmony

    from .abc import abc_lyrics

    chosen = _pick_tune(_text(data, name, "an ABC file"), tune, name)
    check_abc(name, chosen, max_notes=max_notes)
    stream = _parse(chosen, fmt="abc", name=name)
    if hasattr(stream, "scores"):  # an Opus: music21 split it further
        stream = stream.scores[0]
    lyrics = abc_lyrics(chosen)
    parts = list(getattr(stream, "parts", [])) or [stream]
    notes = [n for n in parts[0].flatten().notes
             if not isinstance(n, harmony.ChordSymbol) and not n.duration.isGrace]
    agree = 0  # trust the alignment only as far as our note count agrees with music21's notes
    while agree < min(len(notes), len(lyrics)) and notes[agree].pitches[0].step == lyrics[agree][0]:
        agree += 1
    if any(s for _, s in lyrics[agree:]):
        log.warning("%s: the w: lyrics stop lining up with the notes at note %d; the rest are skipped", name, agree + 1)
    from music21 import note as m21note

    for element, (_, syllable) in zip(notes[:agree], lyrics):
        if syllable is not None:
            element.lyrics = [m21note.Lyric(text=syllable.text, syllabic=syllable.syllabic)]
    return _to_song(stream, name=name, title=None, max_notes=max_notes)


def read_named_song(path: str | Path) -> Song:
    """read_song, titled with the file's name when the file gives no title (what /load and the
    CLI's chords show over the chart)."""
    song = read_song(path)
    return replace(song, title=Path(path).stem) if song.title == "Untitled" else song


def read_song(path: str | Path, *, max_bytes: int = MAX_BYTES, max_notes: int = MAX_NOTES, tune: int = 1) -> Song:
    """Read the melody (and chord symbols and lyrics, where the format has them) of a music file.

    MIDI: the melody track is picked by `midi.pick_melody_track` and reduced to its top line.
    MusicXML/Humdrum: the first part.  ABC: tune number `tune` (1-based).
    """
    path = Path(path).expanduser()
    data, fmt = _load(path, max_bytes)
    name = path.name
    if fmt == "midi":
        from .midi import read_midi

        if not data.startswith(b"MThd"):
            raise MusicFileError(f"{name} is not a MIDI file (it looks like {_looks_like(data)})")
        return read_midi(data, name=name, max_notes=max_notes)
    if fmt == "abc":
        return _read_abc(data, name=name, tune=tune, max_notes=max_notes)
    if fmt in ("musicxml", "mxl"):
        text = _musicxml_text(data, fmt, name)
        check_musicxml(name, text, max_notes=max_notes)
        stream = _parse(text, fmt="musicxml", name=name)
    else:
        text = _text(data, name, "a Humdrum file")
        check_humdrum(name, text)
        stream = _parse(text, fmt="humdrum", name=name)
    return _to_song(stream, name=name, title=None, max_notes=max_notes)


# ----------------------------------------------------------------------------- writing

def _file_mode(path: Path) -> int:
    """The mode a plain `open(path, "w")` would give: the old file's, else 0666 less the umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        pass
    try:  # Linux says the umask without changing it (os.umask would, for every thread)
        status = Path("/proc/self/status").read_text()
        umask = int(next(line.split()[1] for line in status.splitlines() if line.startswith("Umask:")), 8)
    except (OSError, StopIteration, ValueError, IndexError):
        umask = 0o022
    return 0o666 & ~umask


def atomic_write(path: Path, data: bytes) -> Path:
    """Write bytes through a temporary file in the same folder and a rename; nothing half-written stays."""
    path = Path(path)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        if hasattr(os, "fchmod"):  # mkstemp makes 0600; a score should open like any saved file
            os.fchmod(fd, _file_mode(path))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as err:
        raise MusicFileError(f"cannot write {path}: {err.strerror or err}") from err
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return path


def _target(out_dir: Path, stem: str, suffix: str) -> Path:
    if not stem or not stem.strip() or "\x00" in stem:
        raise MusicFileError(f"refusing to write a file with an empty name in {out_dir}")
    target = out_dir / f"{stem}{suffix}"
    if target.resolve().parent != out_dir.resolve():
        raise MusicFileError(f"refusing to write {stem + suffix!r}: it would land outside {out_dir}")
    return target


def musicxml_bytes(song: Song) -> bytes:
    """The song as MusicXML (melody, chord symbols, lyrics) for MuseScore and friends."""
    from .musicxml import musicxml_bytes as exported

    return exported(song)


def write_song(song: Song, out_dir: str | Path, *, stem: str) -> dict[str, Path]:
    """Write `stem`.mid, `stem`.musicxml and `stem`.abc into out_dir; returns {"midi"|"musicxml"|"abc": path}."""
    from .abc import song_to_abc
    from .midi import song_to_midi

    out = Path(out_dir).expanduser()
    targets = {kind: _target(out, stem, suffix) for kind, suffix in
               (("midi", ".mid"), ("musicxml", ".musicxml"), ("abc", ".abc"))}
    try:
        payloads = {"midi": song_to_midi(song), "musicxml": musicxml_bytes(song),
                    "abc": song_to_abc(song).encode("utf-8")}
    except MusicValueError as err:
        raise MusicFileError(f"cannot write {stem}: {err}") from err
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise MusicFileError(f"cannot create folder {out}: {err.strerror or err}") from err
    return {kind: atomic_write(targets[kind], payloads[kind]) for kind in targets}
