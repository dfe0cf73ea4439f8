"""ABC text work before music21 sees a tune: split opus files, repair text, read header fields.

Plain string handling, no music21 import: planning and labelling stay cheap, and the
fixes music21 needs are made on the text (grace groups, slurs and annotations that upset its rhythm,
second voices that it would scatter over many parts, Essen's DOS letters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ...tokenization.errors import MusicValueError
from ...tokenization.music import parse_meter

FIELD_RE = re.compile(r"^([A-Za-z]):\s?(.*?)\s*$")
_QUOTED_RE = re.compile(r'"[^"]*"')
_GRACE_RE = re.compile(r"\{[^}]*\}")
_FERMATA_RE = re.compile(r"H(?=[~.^_=A-Ga-gzx(\[])")
_SLUR_RE = re.compile(r"\((?!\d)|\)")
_VOICE_RE = re.compile(r"^(?:V:\s*(\S+).*|\[V:\s*([^\]\s]+)[^\]]*\]\s?)")


@dataclass(frozen=True, slots=True)
class TuneText:
    """One ABC tune: the text music21 parses (file header included) and its header fields."""

    index: int
    text: str
    fields: dict[str, list[str]]
    meters: frozenset[str] = frozenset()  # what its M: fields declare (the file header's if it has none)


def read_abc_text(path: Path, *, source: str) -> str:
    """The file's text, with Essen's DOS letters repaired."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    if source == "essen":
        text = fix_essen_text(text, irish=path.stem == "irl")
    return text


def fix_essen_text(text: str, *, irish: bool) -> str:
    """Essen stores cp437 bytes as U+0080-U+009F; outside the Irish file 'á' is cp437's 'ß'.

    >>> fix_essen_text("M\\x84dchen fr\\x81h sa\\u00e1", irish=False)
    'Mädchen früh saß'
    """
    fixed = "".join(bytes([ord(c)]).decode("cp437") if 0x80 <= ord(c) <= 0x9F else c for c in text)
    return fixed if irish else fixed.replace("\u00e1", "ß")


def split_abc(text: str) -> list[TuneText]:
    """Split an ABC file into tunes; each keeps the file header (lines before the first X:).

    >>> [t.fields["T"] for t in split_abc("%head\\nX:1\\nT:A\\nK:C\\nC\\n\\nX:2\\nT:B\\nK:C\\nD\\n")]
    [['A'], ['B']]
    """
    blocks = re.split(r"(?m)^(?=X:)", text)
    head, tunes = blocks[0], blocks[1:]
    return [TuneText(i, simplify_music(head + first_voice_only(block)), header_fields(block),
                     frozenset(declared_meters(block) or declared_meters(head))) for i, block in enumerate(tunes)]


def simplify_music(text: str) -> str:
    """Drop grace groups, slurs and "quoted" annotations from music lines.

    music21 reads some grace groups as full notes (overfilling the bar), ignores a broken
    rhythm that follows a slur ('(AA)>B') and loses the note after an annotation such as
    '">"F' or a fermata 'H', and takes the invisible bar line '[|]' for a heavy one, hiding
    the ':|' after it.  None of them reaches a record (the ABC collections have no chord
    symbols).  Tuplets '(3' stay.

    >>> simplify_music('T:{x} (y)\\n({d}c3-B) {ed}G2 "(A)"(AA)>B (3ABc|Hg2 "^fine"[|]:|')
    'T:{x} (y)\\nc3-B G2 AA>B (3ABc|g2 :|'
    """
    lines = []
    for line in text.split("\n"):
        if not (FIELD_RE.match(line) or line.startswith("%")):
            line = _QUOTED_RE.sub("", line).replace("[|]", "")
            line = _FERMATA_RE.sub("", _SLUR_RE.sub("", _GRACE_RE.sub("", line)))
        lines.append(line)
    return "\n".join(lines)


def first_voice_only(tune: str) -> str:
    """Keep only the first voice of a multi-voice tune (V: lines or [V:] prefixes).

    >>> first_voice_only("X:1\\nV:1\\nV:2\\nK:D\\nV:1\\nab|\\nV:2\\ncd|\\n[V:1] ef|\\n[V:2] gh|")
    'X:1\\nK:D\\nab|\\nef|'
    """
    voices = [m.group(1) or m.group(2) for m in map(_VOICE_RE.match, tune.split("\n")) if m]
    if len(set(voices)) < 2:
        return tune
    kept, current = [], voices[0]
    for line in tune.split("\n"):
        match = _VOICE_RE.match(line)
        if match:
            current = match.group(1) or match.group(2)
            line = line[match.end():] if match.group(2) else ""
            if not line.strip():
                continue
        if current == voices[0] or FIELD_RE.match(line) or line.startswith("%"):
            kept.append(line)
    return "\n".join(kept)


def declared_meters(text: str) -> set[str]:
    """The meters a tune's M: fields (header, body or inline) declare, as 'n/d' ('C|' -> '2/2').

    >>> sorted(declared_meters("M:C|\\nK:G\\nab|[M:3/4]abc|\\nM: 6/8\\n"))
    ['2/2', '3/4', '6/8']
    """
    found = re.findall(r"(?m)^M:\s*([^\s%\]]+)|\[M:\s*([^\]]+)\]", text)
    meters = set()
    for head, inline in found:
        try:
            meters.add(str(parse_meter(head or inline)))
        except MusicValueError:
            meters.add((head or inline).strip())
    return meters


def header_fields(tune: str) -> dict[str, list[str]]:
    """The information fields of a tune header (up to and including K:)."""
    fields: dict[str, list[str]] = {}
    for line in tune.splitlines():
        match = FIELD_RE.match(line)
        if not match:
            continue
        fields.setdefault(match.group(1).upper(), []).append(match.group(2).strip().rstrip("]").strip())
        if match.group(1).upper() == "K":
            break
    return fields
