"""A lyric sheet for the terminal (syllables under the notes) and MusicXML melisma extenders.

music21's MusicXML writer has no `<extend/>` (its exporter says "TODO: extend"), so
`add_extenders` adds one to every lyric whose syllable carries a melisma, matching lyric
elements to the song's syllables in order.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ...tokenization.abc import notation_key, spell
from ...tokenization.music import Song
from .slots import Phrase

_ACCIDENTAL = {-2: "bb", -1: "b", 0: "", 1: "#", 2: "##"}


def note_name(pitch: int, song: Song) -> str:
    """'F#4', spelled in the song's key.

    >>> from tunesmith.tokenization.music import Melody, KeySpec
    >>> note_name(66, Song(melody=Melody(notes=(), key=KeySpec("D"), bars=1)))
    'F#4'
    """
    letter, alter, octave = spell(pitch, notation_key(song.melody.key))
    return f"{letter}{_ACCIDENTAL.get(alter, '?')}{octave}"


def lyric_sheet(song: Song, phrases: tuple[Phrase, ...], *, width: int = 100) -> str:
    """Each phrase as rows of note names with its syllables underneath, '|' at bar lines,
    '_' under melisma notes; long phrases wrap at `width` characters."""
    melody = song.melody
    blocks = []
    for number, phrase in enumerate(phrases, 1):
        cells: list[tuple[str, str]] = []
        for slot in phrase.slots:
            for k, index in enumerate(slot.notes):
                note = melody.notes[index]
                bar = abs(note.onset / melody.bar_length - round(note.onset / melody.bar_length)) < 1e-6
                if bar and cells:
                    cells.append(("|", "|"))
                if k == 0 and note.lyric is not None:
                    text = note.lyric.text + ("-" if note.lyric.syllabic in ("begin", "middle") else "")
                else:
                    text = "_" if k > 0 else ""
                cells.append((note_name(note.pitch, song), text))
        rows, top, bottom = [], f"{number:>3} ", "    "
        for name, text in cells:
            size = max(len(name), _width(text)) + 1
            if len(top) + size > width and top.strip():
                rows.extend([top.rstrip(), bottom.rstrip()])
                top, bottom = "    ", "    "
            top += name.ljust(size)
            bottom += text + " " * (size - _width(text))
        rows.extend([top.rstrip(), bottom.rstrip()])
        blocks.append("\n".join(rows))
    return "\n".join(blocks)


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if "\u2e80" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" else 1 for c in text)


def add_extenders(musicxml: bytes, song: Song) -> bytes:
    """MusicXML with `<extend/>` on the lyrics of syllables that hold over a melisma."""
    flags = [n.lyric.extend for n in song.melody.notes if n.lyric is not None and n.lyric.text]
    if not any(flags):
        return musicxml
    root = ET.fromstring(musicxml)
    lyrics = [ly for note in root.iter("note") for ly in note.findall("lyric")[:1]]
    if len(lyrics) != len(flags):
        return musicxml  # not the file we think it is: leave it untouched
    for lyric, extend in zip(lyrics, flags):
        if extend and lyric.find("extend") is None:
            text = lyric.find("text")
            position = list(lyric).index(text) + 1 if text is not None else len(lyric)
            lyric.insert(position, ET.Element("extend", {"type": "start"}))
    head = musicxml[:musicxml.find(b"<score-partwise")]
    return head + ET.tostring(root, encoding="unicode").encode("utf-8")
