"""A plain-text view of a song for the terminal: header, ABC body, chord chart, lyrics.

The CLI wraps this in rich; nothing here colours or measures the terminal.
"""

from __future__ import annotations

import math

from fractions import Fraction

from .abc import abc_body, song_to_abc, tempo_beat
from .music import Melody, Song

BARS_PER_LINE = 4
BEAT_NAMES = {Fraction(2): "half", Fraction(3, 2): "dotted quarter", Fraction(3): "dotted half",
              Fraction(1, 2): "eighth", Fraction(3, 4): "dotted eighth", Fraction(4): "whole"}


def tempo_text(melody: Melody) -> str:
    """The tempo as a musician counts it: '100 bpm' in quarters, 'half = 112' in 2/2, 'dotted
    quarter = 116' in 6/8 (the tempo mark of the score), so a reel does not read as 224.

    >>> from .music import parse_meter
    >>> [tempo_text(Melody((), meter=parse_meter(m), tempo=t)) for m, t in (("4/4", 100), ("2/2", 224), ("6/8", 174))]
    ['100 bpm', 'half = 112', 'dotted quarter = 116']
    """
    beat, count = tempo_beat(melody)
    return f"{count} bpm" if beat == 1 or beat not in BEAT_NAMES else f"{BEAT_NAMES[beat]} = {count}"


def header_line(song: Song) -> str:
    """'Title (A dorian, 6/8, dotted quarter = 116, 16 bars)'."""
    melody = song.melody
    key = str(melody.key) if melody.key is not None else "no key"
    return f"{song.title} ({key}, {melody.meter}, {tempo_text(melody)}, {melody.bars} bars)"


def chord_chart(song: Song, *, bars_per_line: int = BARS_PER_LINE) -> str:
    """Chords bar by bar, e.g. '| C | Am | F G | C |'; a bar with no new chord repeats the one
    still sounding, '-' marks a bar (or the start of one) with no chord."""
    melody = song.melody
    length = melody.bar_length
    chords = sorted(song.chords, key=lambda c: c.onset)
    cells = []
    for bar in range(melody.bars):
        lo, hi = bar * length, (bar + 1) * length
        starting = [c for c in chords if lo - 1e-6 <= c.onset < hi - 1e-6]
        names = [c.symbol for c in starting]
        if not starting or starting[0].onset > lo + 1e-6:
            sounding = [c for c in chords if c.onset < lo - 1e-6 < lo + 1e-6 < c.onset + c.duration]
            names = [c.symbol for c in sounding[-1:]] + names
            if starting and not sounding:
                names.insert(0, "-")  # silence before the bar's first chord
        cells.append(" ".join(names) if names else "-")
    lines = []
    for start in range(0, len(cells), bars_per_line):
        row = cells[start:start + bars_per_line]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def lyrics_text(song: Song, *, bars_per_line: int = BARS_PER_LINE) -> str:
    """The lyrics as words, one line per `bars_per_line` bars ('hel-lo' becomes 'hello')."""
    melody = song.melody
    lines: dict[int, list[str]] = {}
    word = ""
    for note in melody.notes:
        if note.lyric is None:
            continue
        line = int(math.floor(note.onset / melody.bar_length / bars_per_line + 1e-9))
        word += note.lyric.text
        if note.lyric.syllabic in ("single", "end"):
            lines.setdefault(line, []).append(word)
            word = ""
    if word:
        lines.setdefault(max(lines, default=0), []).append(word)
    return "\n".join(" ".join(words) for _, words in sorted(lines.items()))


def render_terminal(song: Song) -> str:
    """Header, the ABC body, the chord chart and the lyrics, as plain text."""
    blocks = [header_line(song), abc_body(song_to_abc(song)).rstrip()]
    if song.chords:
        blocks.append("Chords:\n" + chord_chart(song))
    if song.has_lyrics:
        blocks.append("Lyrics:\n" + lyrics_text(song))
    return "\n\n".join(blocks) + "\n"
