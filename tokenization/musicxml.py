"""MusicXML out: music21's exporter on the score from m21.song_to_score, plus melisma extenders.

music21's exporter writes no `<extend>` ("TODO: extend" in m21ToXml.lyricToXml), so a syllable
that ends a word and is held over the following notes (Syllable.extend) gets
`<extend type="start"/>` here; MuseScore and verovio draw the line to the last note before the
next syllable or rest.  Syllables inside a word keep their hyphen instead.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from .music import Song

WORD_END = ("single", "end")


def _melismas(song: Song) -> list[bool]:
    """One flag per sung syllable, in order: does an extender line follow it?"""
    return [note.lyric.extend and note.lyric.syllabic in WORD_END
            for note in song.melody.notes if note.lyric is not None and note.lyric.text]


def add_extenders(root: ET.Element, song: Song) -> int:
    """Mark extender lines in an exported score-partwise tree; returns how many were marked."""
    flags = _melismas(song)
    if not any(flags):
        return 0
    sung = [lyric for note in root.iter("note") for lyric in note.findall("lyric")[:1]]
    if len(sung) != len(flags):
        return 0  # the lyrics did not come out one per syllable: leave the file as music21 wrote it
    marked = 0
    for lyric, flag in zip(sung, flags):
        if flag and lyric.find("extend") is None:
            text = lyric.find("text")
            lyric.insert(list(lyric).index(text) + 1 if text is not None else len(lyric),
                         ET.Element("extend", {"type": "start"}))
            marked += 1
    return marked


def musicxml_bytes(song: Song) -> bytes:
    """The song as MusicXML (melody, chord symbols, lyrics with extenders) for MuseScore and friends."""
    from music21.musicxml.m21ToXml import ScoreExporter

    from .m21 import song_to_score

    exporter = ScoreExporter(song_to_score(song))
    root = exporter.parse()
    for tag in ("part-name", "part-abbreviation"):  # a lead sheet: no instrument name on the systems
        for name in root.iter(tag):
            name.set("print-object", "no")
    add_extenders(root, song)
    return exporter.asBytes()
