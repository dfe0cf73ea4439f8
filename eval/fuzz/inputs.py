"""Bad music files for the fuzz runs: a seeded generator of MIDI, ABC, MusicXML, .mxl and Humdrum
inputs that a careless user or an attacker might hand tunesmith.

Each input is (name, bytes): random bytes under a real header, valid files cut short or with bytes
flipped, numbers at the edges (deltas, divisions, meters, tempos, key signatures), hostile XML
(billion laughs, external entities, deep nesting), zip archives that lie, text with escapes and
NULs.  `special(folder)` adds what cannot be bytes: a FIFO, a link to /dev/zero, a folder named
like a file.  The same seed gives the same inputs, so a before/after comparison reads the same files.
"""

from __future__ import annotations

import io
import os
import random
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

REEL = "X:1\nT:Reel\nM:4/4\nL:1/8\nK:G\n|:GABc dBdB|c2ec BdBG|AGFG ABcA|BGAF G4:|\nw: la la la la la la la la\n"


def vlq(n: int) -> bytes:
    """A MIDI variable-length quantity (up to 28 bits)."""
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def midi(tracks: list[bytes], *, fmt: int = 1, division: int = 480, declared: int | None = None) -> bytes:
    """A MIDI file of raw track event bytes (end-of-track added)."""
    body = b"".join(b"MTrk" + struct.pack(">I", len(t) + 4) + t + b"\x00\xff\x2f\x00" for t in tracks)
    count = len(tracks) if declared is None else declared
    return b"MThd" + struct.pack(">IHHH", 6, fmt, count & 0xFFFF, division & 0xFFFF) + body


def notes(count: int, *, step: int = 240, pitch: int = 60) -> bytes:
    return b"".join(b"\x00\x90" + bytes([(pitch + i % 12) & 0x7F, 80]) + vlq(step) + b"\x80" +
                    bytes([(pitch + i % 12) & 0x7F, 0]) for i in range(count))


def _valid_midi() -> bytes:
    tempo = b"\x00\xff\x51\x03\x07\xa1\x20"
    meter = b"\x00\xff\x58\x04\x04\x02\x18\x08"
    return midi([tempo + meter, notes(32)])


def _midi_inputs(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    good = _valid_midi()
    yield "valid.mid", good
    for delta in (0x0FFFFFFF, 0x0FFFFFF, 0xFFFFF, 1 << 21):
        yield f"delta-{delta:x}.mid", midi([vlq(delta) + b"\x90\x3c\x40" + vlq(480) + b"\x80\x3c\x40"])
    for k in (2, 20, 200):
        yield f"overflow-{k}.mid", midi([b"".join(vlq(0x0FFFFFFF) + (b"\x90" if i % 2 == 0 else b"\x80") + b"\x3c\x40"
                                                  for i in range(k))])
    for division in (0, 1, 0x7FFF, 0xE728, 0x8000, 0xFFFF):  # 0, tiny, huge, SMPTE (negative) divisions
        yield f"division-{division}.mid", midi([notes(8)], division=division)
    for fmt in (0, 2, 3, 0xFFFF):
        yield f"format-{fmt}.mid", midi([notes(8)], fmt=fmt)
    for declared in (0, 2, 100, 0xFFFF):
        yield f"declared-{declared}.mid", midi([notes(8)], declared=declared)
    yield "zero-tracks.mid", midi([])
    yield "empty-tracks.mid", midi([b""] * 300)
    yield "many-notes.mid", midi([notes(21_000, step=10)])
    yield "chord-cluster.mid", midi([b"".join(b"\x00\x90" + bytes([p, 80]) for p in range(128)) + vlq(480) +
                                     b"".join(b"\x00\x80" + bytes([p, 0]) for p in range(128))])
    yield "no-note-off.mid", midi([b"".join(b"\x00\x90" + bytes([60 + i, 80]) for i in range(10))])
    for numerator, power in ((0, 2), (255, 2), (4, 0), (4, 31), (4, 255), (1000 % 256, 1), (7, 3)):
        meta = b"\x00\xff\x58\x04" + bytes([numerator, power, 24, 8])
        yield f"meter-{numerator}-{power}.mid", midi([meta, notes(8)])
    for tempo in (0, 1, 0xFFFFFF, 500):
        yield f"tempo-{tempo}.mid", midi([b"\x00\xff\x51\x03" + tempo.to_bytes(3, "big"), notes(8)])
    for sharps, minor in ((100, 0), (-100 & 0xFF, 1), (7, 5), (0, 255)):
        yield f"key-{sharps}-{minor}.mid", midi([b"\x00\xff\x59\x02" + bytes([sharps, minor]), notes(8)])
    for text in (b"\x1b]0;pwned\x07\x1b[2J", b"\xff\xfe\x00", b"A" * 60_000, "日本語".encode()):
        meta = b"\x00\xff\x03" + vlq(len(text)) + text
        lyric = b"\x00\xff\x05" + vlq(len(text)) + text
        yield f"text-{len(text)}.mid", midi([meta, lyric + notes(4)])
    yield "meta-length-lies.mid", midi([b"\x00\xff\x03\x8f\xff\xff\x7f" + b"x" * 10, notes(4)])
    yield "sysex.mid", midi([b"\x00\xf0\x05\x7e\x7f\x09\x01\xf7" + notes(4)])
    yield "running-status-junk.mid", midi([b"\x00\x90\x3c\x40" + b"\x00\x3e" * 50 + b"\x00\x99"])
    for cut in sorted(rng.sample(range(1, len(good)), 24)):
        yield f"cut-{cut}.mid", good[:cut]
    for k in range(40):
        data = bytearray(good)
        for _ in range(rng.randint(1, 12)):
            data[rng.randrange(14, len(data))] = rng.randrange(256)
        yield f"flipped-{k}.mid", bytes(data)
    for k in range(30):
        yield f"random-{k}.mid", b"MThd" + rng.randbytes(rng.randint(0, 400))
    for k in range(10):
        yield f"random-track-{k}.mid", midi([rng.randbytes(rng.randint(1, 300))])


def _abc_inputs(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    yield "valid.abc", REEL.encode()
    head = "X:1\nT:T\nM:4/4\nL:1/8\nK:G\n"
    for field in ("M:1000/1", "M:0/4", "M:4/0", "M:99999999999999999999/4", "M:2+3+2/8", "M:C|", "M:none",
                  "L:1/0", "L:0/1", "L:1/1000000", "Q:0", "Q:1/4=100000000", "Q:-5", "K:H", "K:C##", "K:Xyz",
                  "K:", "K:none", "K:Hp", "K:D clef=bass transpose=1000", "K:C exp ^f _b =c ^^d"):
        key = "" if field.startswith("K:") else "K:G\n"
        yield f"field-{zlib.crc32(field.encode()):08x}.abc", (
            head.replace("K:G\n", "") + field + "\n" + key + "GABc dBdB|c2ec BdBG|\n").encode()
    yield "bars-300.abc", (head + "GABc dBdB|" * 300 + "\n").encode()
    yield "bars-800.abc", (head + "GABc dBdB|" * 800 + "\n").encode()
    yield "one-bar-long.abc", (head + "G" * 20_000 + "|\n").encode()
    yield "repeats.abc", (head + "|:" + "GABc:|" * 200 + "\n").encode()
    yield "endings.abc", (head + "|:GABc|1dBdB:|2" * 120 + "c4|]\n").encode()
    yield "tuplets.abc", (head + "(99GABc dBdB|(3:2:1000GAB|\n").encode()
    yield "broken.abc", (head + "G>>>>>>>>>>A B<<<<<<<<<c|\n").encode()
    yield "chords.abc", (head + "[" + "GBdg" * 500 + "]|\n").encode()
    yield "durations.abc", (head + "G99999999 A/99999999 B0 c/0|\n").encode()
    yield "ties.abc", (head + "G-" * 3000 + "G|\n").encode()
    yield "grace.abc", (head + "{" + "g" * 5000 + "}A|\n").encode()
    yield "many-tunes.abc", "".join(f"X:{i}\nT:t{i}\nK:G\nGABc|\n\n" for i in range(2000)).encode()
    yield "no-key.abc", b"X:1\nT:no key\nGABc|\n"
    yield "only-header.abc", b"X:1\nT:x\nM:4/4\nL:1/8\nK:G\n"
    yield "escape-title.abc", (head.replace("T:T", "T:\x1b]0;pwned\x07\x1b[2J\x1b[31mEvil") + "GABc|\n").encode()
    yield "nul.abc", (head + "GA\x00Bc|\n").encode()
    yield "bom.abc", b"\xef\xbb\xbf" + REEL.encode()
    yield "utf16.abc", REEL.encode("utf-16")
    yield "latin1.abc", (head.replace("T:T", "T:Caf\xe9") + "GABc|\n").encode("latin-1")
    yield "lyrics-mismatch.abc", (head + "GABc|\nw:" + " la" * 5000 + "\n").encode()
    yield "decorations.abc", (head + "!trill!" * 2000 + "G|\n").encode()
    yield "inline-meter.abc", (head + "GABc|[M:1000/1]GABc|[L:1/0]G|\n").encode()
    yield "voices.abc", (head + "".join(f"V:{i}\nGABc|\n" for i in range(300))).encode()
    for k in range(60):
        text = list(REEL)
        for _ in range(rng.randint(1, 15)):
            at = rng.randrange(len(text))
            choice = rng.random()
            if choice < 0.4:
                text[at] = rng.choice("|:[]()<>^_=,'/0123456789ABCGabcgz-~.!\"{}%\\\nKMLQTXw ")
            elif choice < 0.7:
                del text[at]
            else:
                text.insert(at, rng.choice("|:[](^_=/9-!\"{\n"))
        yield f"mutated-{k}.abc", "".join(text).encode()
    for k in range(20):
        yield f"random-{k}.abc", b"X:1\nK:G\n" + rng.randbytes(rng.randint(1, 500))


def _xml(body: str, *, prolog: str = "", time: str = "<beats>4</beats><beat-type>4</beat-type>",
         divisions: str = "1") -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>' + prolog + '<score-partwise version="3.1"><part-list>'
            '<score-part id="P1"><part-name>M</part-name></score-part></part-list><part id="P1">'
            f'<measure number="1"><attributes><divisions>{divisions}</divisions><key><fifths>0</fifths></key>'
            f"<time>{time}</time></attributes>" + body + "</measure></part></score-partwise>")


def _note(step: str = "C", octave: str = "4", duration: str = "4") -> str:
    return f"<note><pitch><step>{step}</step><octave>{octave}</octave></pitch><duration>{duration}</duration></note>"


def _musicxml_inputs(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    good = _xml(_note() * 4)
    yield "valid.musicxml", good.encode()
    laughs = ('<!DOCTYPE s [<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)) + "]>")
    yield "laughs.musicxml", _xml(_note() + "<words>&j;</words>", prolog=laughs).encode()
    yield "entity.musicxml", _xml(_note(step="&x;"), prolog='<!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]>').encode()
    for divisions in ("0", "-1", "100000000000", "x"):
        yield f"divisions-{divisions}.musicxml", _xml(_note(), divisions=divisions).encode()
    for duration in ("0", "-4", "99999999999", "1e308", "nan"):
        yield f"duration-{duration}.musicxml", _xml(_note(duration=duration)).encode()
    for step, octave in (("H", "4"), ("C", "-10"), ("C", "100"), ("", ""), ("C", "x")):
        yield f"pitch-{step}-{octave}.musicxml", _xml(_note(step=step, octave=octave)).encode()
    for beats, unit in (("1000", "1"), ("0", "4"), ("4", "0"), ("4", "7"), ("3+2+99999", "8")):
        time = f"<beats>{beats}</beats><beat-type>{unit}</beat-type>"
        yield f"time-{beats}-{unit}.musicxml", _xml(_note(), time=time).encode()
    yield "measures-300.musicxml", _xml("".join(f'</measure><measure number="{i}">' + _note() for i in range(2, 302))).encode()
    yield "measures-4000.musicxml", _xml("".join(f'</measure><measure number="{i}">' + _note() for i in range(2, 4002))).encode()
    yield "notes-21000.musicxml", _xml(_note(duration="1") * 21_000).encode()
    yield "deep.musicxml", _xml(_note() + "<a>" * 100_000 + "</a>" * 100_000).encode()
    part = good[good.index('<part id="P1">'):good.index("</score-partwise>")]
    many = good.replace("</score-partwise>", "".join(part.replace('"P1"', f'"P{i}"') for i in range(2, 301)) +
                        "</score-partwise>")
    yield "parts-300.musicxml", many.encode()
    yield "timewise.musicxml", b'<?xml version="1.0"?><score-timewise><measure number="1"><part id="P1">' \
        + _note().encode() + b"</part></measure></score-timewise>"
    yield "late-root.musicxml", good.replace("<score-partwise", "<!--" + "x" * 9000 + "--><score-partwise", 1).encode()
    yield "utf16.musicxml", good.replace("UTF-8", "UTF-16").encode("utf-16")
    yield "not-xml.musicxml", b"hello, this is not a score"
    yield "html.musicxml", b"<html><body>score-partwise</body></html>"
    yield "escape-title.musicxml", good.replace("<part-list>", "<work><work-title>\x1b]0;pwned\x07\x1b[2J"
                                                "</work-title></work><part-list>").encode()
    for cut in sorted(rng.sample(range(10, len(good)), 20)):
        yield f"cut-{cut}.musicxml", good[:cut].encode()
    for k in range(30):
        data = bytearray(good.encode())
        for _ in range(rng.randint(1, 10)):
            data[rng.randrange(len(data))] = rng.choice(b"<>/\"&=0123456789- x\x00")
        yield f"flipped-{k}.musicxml", bytes(data)
    for name, archive in _archives(good):
        yield name, archive


def _zip(members: dict[str, bytes | str], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _archives(good: str) -> Iterator[tuple[str, bytes]]:
    yield "valid.mxl", _zip({"score.xml": good})
    yield "bomb.mxl", _zip({"score.xml": "<score-partwise>" + " " * 60_000_000 + "</score-partwise>"})
    yield "empty-archive.mxl", _zip({})
    yield "no-xml.mxl", _zip({"readme.txt": "hello"})
    yield "traversal.mxl", _zip({"../../evil.xml": good})
    yield "container-missing.mxl", _zip({"META-INF/container.xml": '<container><rootfiles><rootfile full-path="no.xml"/>'
                                                                   "</rootfiles></container>"})
    yield "stored.mxl", _zip({"score.musicxml": good}, method=zipfile.ZIP_STORED)
    yield "not-zip.mxl", b"PK\x03\x04" + b"\x00" * 100
    yield "cut.mxl", _zip({"score.xml": good})[:60]
    yield "many-members.mxl", _zip({f"m{i}.xml": good for i in range(300)})


def _other_inputs(rng: random.Random) -> Iterator[tuple[str, bytes]]:
    yield "valid.krn", b"**kern\n*M4/4\n4c\n4d\n4e\n4f\n=\n*-\n"
    yield "random.krn", rng.randbytes(300)
    yield "no-notes.krn", b"**kern\n*M4/4\n*-\n"
    yield "meter.krn", b"**kern\n*M1000/1\n4c\n*-\n"
    for suffix in (".mid", ".abc", ".musicxml", ".mxl", ".krn"):
        yield f"empty{suffix}", b""
        yield f"space{suffix}", b"   \n\t "
        yield f"png{suffix}", b"\x89PNG\r\n\x1a\n" + rng.randbytes(64)
        yield f"elf{suffix}", b"\x7fELF" + rng.randbytes(64)
        yield f"big{suffix}", b"X" * 5_000_001
    yield "weird.wav", b"RIFF...."
    yield "noext", REEL.encode()


def inputs(seed: int = 17) -> list[tuple[str, bytes]]:
    """Every generated input, (file name, bytes), in a stable order; names are unique."""
    rng = random.Random(seed)
    found: list[tuple[str, bytes]] = []
    for make in (_midi_inputs, _abc_inputs, _musicxml_inputs, _other_inputs):
        found.extend(make(rng))
    names = [name for name, _ in found]
    assert len(names) == len(set(names)), "input names must be unique"
    return found


def special(folder: Path) -> list[str]:
    """Inputs that are not plain bytes, made in `folder`; their names."""
    made = []
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "fifo.mid")
        made.append("fifo.mid")
    for name, target in (("zero.mid", "/dev/zero"), ("urandom.abc", "/dev/urandom"), ("dangling.mid", "/nonexistent"),
                         ("loop.mid", "loop.mid")):
        (folder / name).symlink_to(target)
        made.append(name)
    (folder / "folder.mid").mkdir()
    made.append("folder.mid")
    return made
