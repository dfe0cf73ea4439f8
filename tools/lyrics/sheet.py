"""A lyric sheet for the terminal: note names with the syllables under them.

(MusicXML extenders are the writer's: tokenization/musicxml.py.)
"""

from __future__ import annotations

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
