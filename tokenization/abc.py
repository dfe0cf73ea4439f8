"""ABC notation for a Song (music21 reads ABC but cannot write it), and `w:` lyrics read back.

The emitter writes one voice: X/T/M/L/Q/K headers, notes spelled from the key signature,
lengths as multiples of L, ties across bar lines and chord onsets, triplet groups as
`(3:2:n`, quoted chord symbols and `w:` lyric lines, four bars to a line.

Accidentals are written whenever a note differs from the key signature, and again for
every later note of that letter in the bar.  music21's ABC reader does not carry an
accidental through a bar while the ABC standard does; writing them out reads the same
either way.  For the same reason a tied note repeats its accidental after a bar line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from .music import KeySpec, Melody, Song, Syllable, quarter_fraction
from .pitch import key_fifths, key_signature, notation_key, spell  # noqa: F401 (re-exported)

_ABC_MODE = {"major": "", "minor": "m", "dorian": "dor", "mixolydian": "mix"}
_ACCIDENTAL = {-2: "__", -1: "_", 0: "=", 1: "^", 2: "^^"}
_NOTATABLE = sorted({Fraction(2) ** k * m for k in range(-5, 3) for m in (1, Fraction(3, 2), Fraction(7, 4))},
                    reverse=True)
BARS_PER_LINE = 4


def _abc_pitch(letter: str, octave: int) -> str:
    """ABC's octave marks: middle C is C, an octave up c, two up c'.

    >>> _abc_pitch("C", 4), _abc_pitch("C", 5), _abc_pitch("G", 6), _abc_pitch("A", 3)
    ('C', 'c', "g'", 'A,')
    """
    if octave >= 5:
        return letter.lower() + "'" * (octave - 5)
    return letter + "," * (4 - octave)


def _length(units: Fraction) -> str:
    """A note length in units of L: as ABC writes it.

    >>> _length(Fraction(1)), _length(Fraction(3)), _length(Fraction(3, 2)), _length(Fraction(1, 2))
    ('', '3', '3/2', '/2')
    """
    if units == 1:
        return ""
    if units.denominator == 1:
        return str(units.numerator)
    return f"{units.numerator if units.numerator > 1 else ''}/{units.denominator}"


def _dyadic(value: Fraction) -> bool:
    return value.denominator & (value.denominator - 1) == 0


@dataclass(frozen=True, slots=True)
class _Piece:
    """A note or rest cut at bar lines and chord onsets; `tie` joins it to the next piece."""

    start: Fraction
    end: Fraction
    pitch: int | None
    lyric: Syllable | None = None
    first: bool = True
    tie: bool = False


def _pieces(melody: Melody, start: Fraction, cuts: list[Fraction]) -> list[_Piece]:
    total = quarter_fraction(melody.length)
    spans: list[tuple[Fraction, Fraction, int | None, Syllable | None]] = []
    cursor = start
    for note in melody.notes:
        onset, end = quarter_fraction(note.onset), quarter_fraction(note.end)
        if onset > cursor:
            spans.append((cursor, onset, None, None))
        spans.append((onset, end, note.pitch, note.lyric))
        cursor = end
    if total > cursor:
        spans.append((cursor, total, None, None))
    out = []
    for lo, hi, pitch, lyric in spans:
        points = [lo] + [c for c in cuts if lo < c < hi] + [hi]
        for a in list(points[:-1]):
            if not _dyadic(a):  # off the binary grid: end the triplet group soon, tying over
                unit = Fraction(6, a.denominator)
                closing = (a // unit + 1) * unit
                if closing < min(p for p in points if p > a):
                    points.append(closing)
        points.sort()
        for i, (a, b) in enumerate(zip(points, points[1:])):
            last = i == len(points) - 2
            out.append(_Piece(a, b, pitch, lyric if i == 0 else None, i == 0, pitch is not None and not last))
    return out


def _bar_tokens(pieces: list[_Piece], *, key: KeySpec, unit: Fraction, beam: Fraction, bar_start: Fraction,
                chords: dict[Fraction, str], carry: dict[str, bool]) -> tuple[str, list[_Piece]]:
    """ABC text of one bar and the list of note pieces it printed (one per written note).

    `carry["explicit"]` says whether the note now sounding was written with an accidental,
    so that its tied pieces in later bars are written the same way.
    """
    signature = key_signature(key_fifths(key))
    written: dict[str, int] = {}
    words: list[str] = []
    printed: list[_Piece] = []
    i = 0
    while i < len(pieces):
        j = i
        while not _dyadic(pieces[j].end) and j < len(pieces) - 1:
            j += 1  # off the binary grid: a triplet group runs until the time is back on it
        group = pieces[i:j + 1]
        scale = Fraction(3, 2) if not _dyadic(group[0].end - group[0].start) else Fraction(1)
        items: list[str] = []
        for piece in group:
            text = f'"{chords[piece.start]}"' if piece.start in chords else ""
            parts = _split_notatable((piece.end - piece.start) * scale)
            for k, length in enumerate(parts):
                if piece.pitch is None:
                    items.append(text + "z" + _length(length / unit))
                    text = ""
                    continue
                letter, alter, octave = spell(piece.pitch, key)
                if piece.first and k == 0:
                    carry["explicit"] = alter != signature[letter] or letter in written
                accidental = ""
                if carry["explicit"]:  # tied pieces copy the first one, or music21 will not join "=D-|D"
                    accidental = _ACCIDENTAL[alter]
                    written[letter] = alter
                tie = "-" if (k < len(parts) - 1 or piece.tie) else ""
                items.append(text + accidental + _abc_pitch(letter, octave) + _length(length / unit) + tie)
                printed.append(piece if k == 0 else _Piece(piece.start, piece.end, piece.pitch, None, False, True))
                text = ""
        marker = "" if scale == 1 else ("(3" if len(items) == 3 else f"(3:2:{len(items)}")
        if words and (group[0].start - bar_start) % beam == 0:
            words.append(" ")
        words.append(marker + "".join(items))
        i = j + 1
    return "".join(words), printed


def _split_notatable(length: Fraction) -> list[Fraction]:
    """Cut a length into plain, dotted or double-dotted values, longest first."""
    out = []
    while length > 0:
        value = next(v for v in _NOTATABLE if v <= length)
        out.append(value)
        length -= value
    return out


def _lyric_tokens(printed: list[_Piece], state: dict[str, bool]) -> list[str]:
    """`w:` tokens, one per written note: a syllable, `_` (held) or `*` (no syllable).

    `state` carries across bars: "melisma" (the last syllable goes on over the next notes)
    and "held" (the note now sounding carries a syllable, so its tied pieces get `_`).
    """
    tokens = []
    for piece in printed:
        if not piece.first:
            tokens.append("_" if state["held"] else "*")
        elif piece.lyric is not None:
            syllable = piece.lyric
            text = syllable.text.replace("-", r"\-").replace(" ", "~").replace("_", "").replace("*", "")
            hyphen = syllable.syllabic in ("begin", "middle")
            tokens.append((text or "~") + ("-" if hyphen else ""))
            state["melisma"], state["held"] = hyphen or syllable.extend, True
        else:
            state["held"] = state["melisma"]
            tokens.append("_" if state["melisma"] else "*")
    return tokens


def _join_lyrics(tokens: list[str]) -> str:
    while tokens and tokens[-1] == "*":
        tokens = tokens[:-1]
    if not any(t not in ("*", "_") for t in tokens):
        return ""
    return "".join(t if t.endswith("-") else t + " " for t in tokens).strip()


def _unit(melody: Melody) -> Fraction:
    """L:1/16 when over a quarter of the notes are written shorter than an eighth, else L:1/8."""
    def written(duration: float) -> Fraction:
        value = quarter_fraction(duration)
        return value if _dyadic(value) else value * Fraction(3, 2)

    short = sum(1 for n in melody.notes if written(n.duration) < Fraction(1, 2))
    return Fraction(1, 4) if melody.notes and short * 4 > len(melody.notes) else Fraction(1, 2)


def _beam(melody: Melody) -> Fraction:
    meter = melody.meter
    if meter.denominator == 8:
        return Fraction(3, 2) if meter.numerator % 3 == 0 else Fraction(1, 2)
    return Fraction(1)


def pickup_length(song: Song) -> Fraction:
    """Length of the leading rest written as an upbeat (0 when it is written as a rest).

    A leading rest becomes an upbeat when it fills at least half the first bar, the song
    has more bars and no chord starts inside it.  The ABC and the MusicXML (a pickup bar,
    m21.song_to_score) both follow this rule, so they show the same bars.
    """
    melody = song.melody
    bar = quarter_fraction(melody.bar_length)
    if not melody.notes or melody.bars < 2:
        return Fraction(0)
    first = quarter_fraction(melody.notes[0].onset)
    if not bar / 2 <= first < bar or any(quarter_fraction(c.onset) < first for c in song.chords):
        return Fraction(0)
    return first


def tempo_beat(melody: Melody) -> tuple[Fraction, int]:
    """(beat in quarters, beats a minute) for a tempo mark: the meter's felt beat (half note in
    2/2, dotted quarter in 6/8) when the tempo is a whole number of those beats, else quarters.
    Readers take a mark back as that many beats, so it must give the quarter tempo exactly.

    >>> from .music import parse_meter
    >>> [tempo_beat(Melody((), meter=parse_meter(m), tempo=t)) for m, t in (("2/2", 224), ("6/8", 174), ("6/8", 100))]
    [(Fraction(2, 1), 112), (Fraction(3, 2), 116), (Fraction(1, 1), 100)]
    """
    beat = quarter_fraction(melody.meter.beat_length)
    if (melody.tempo / beat).denominator != 1:
        beat = Fraction(1)
    return beat, int(melody.tempo / beat)


def song_to_abc(song: Song, *, x: int = 1) -> str:
    """The song as an ABC tune (one voice, chord symbols, `w:` lyrics), ending in a newline."""
    melody = song.melody
    key = notation_key(melody.key)
    unit, beam = _unit(melody), _beam(melody)
    bar = quarter_fraction(melody.bar_length)
    total = quarter_fraction(melody.length)
    start = pickup_length(song)
    chords = {quarter_fraction(c.onset): c.symbol.replace('"', "") for c in song.chords
              if start <= quarter_fraction(c.onset) < total}
    bar_lines = [bar * k for k in range(1, melody.bars)]
    pieces = _pieces(melody, start, sorted(set(bar_lines) | set(chords)))
    title = " ".join(song.title.split()) or "Untitled"
    unit_text = "1/8" if unit == Fraction(1, 2) else "1/16"
    beat, beats = tempo_beat(melody)
    lines = [f"X:{x}", f"T:{title}", f"M:{melody.meter}", f"L:{unit_text}", f"Q:{beat / 4}={beats}",
             f"K:{key.tonic}{_ABC_MODE[key.mode]}"]
    state = {"melisma": False, "held": False}
    carry = {"explicit": False}
    music: list[str] = []
    lyrics: list[str] = []
    for number in range(1, melody.bars + 1):
        lo, hi = max(bar * (number - 1), start), bar * number
        text, printed = _bar_tokens([p for p in pieces if lo <= p.start < hi], key=key, unit=unit, beam=beam,
                                    bar_start=bar * (number - 1), chords=chords, carry=carry)
        music.append(text)
        lyrics.extend(_lyric_tokens(printed, state))
        if number % BARS_PER_LINE == 0 or number == melody.bars:
            # music21 makes measures only when it sees two plain bar lines, so a short tune ends in "|"
            final = " |]" if number == melody.bars and melody.bars > 2 else " |"
            lines.append(" | ".join(music) + final)
            words = _join_lyrics(lyrics) if song.has_lyrics else ""
            if words:
                lines.append(f"w: {words}")
            music, lyrics = [], []
    return "\n".join(lines) + "\n"


def abc_body(text: str) -> str:
    """The tune body of an ABC text: everything after the K: header line."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("K:"):
            return "\n".join(lines[index + 1:])
    return text


# ----------------------------------------------------------------------------- reading

def split_tunes(text: str) -> list[str]:
    """The tunes of an ABC file (each from its X: line); the whole text when there is no X:."""
    starts = [m.start() for m in re.finditer(r"(?m)^X:", text)]
    if not starts:
        return [text]
    return [text[a:b] for a, b in zip(starts, starts[1:] + [len(text)])]


_STRIP = re.compile(r'"[^"]*"|![^!\n]*!|\+[^+\n]*\+|\{[^}]*\}|\[[A-Za-z]:[^\]]*\]|%.*')


def _line_notes(line: str) -> list[tuple[int, str]]:
    """(bar number, letter) of each note in one music line (a chord counts once, by its first note)."""
    cleaned = re.sub(r"\[[^A-Ga-g\]|]*([A-Ga-g])[^\]|]*\]", r"\1", _STRIP.sub("", line))
    bars, notes = 0, []
    for char in cleaned:
        if char == "|":
            bars += 1
        elif char in "ABCDEFGabcdefg":
            notes.append((bars, char.upper()))
    return notes


def _music_lines(tune: str) -> list[tuple[list[tuple[int, str]], str | None]]:
    """Each music line's notes with the first `w:` line under it (None when there is none)."""
    segments: list[tuple[list[tuple[int, str]], str | None]] = []
    for line in abc_body(tune).replace("\\\n", "").splitlines():
        if line.startswith("w:"):
            if segments and segments[-1][1] is None:
                segments[-1] = (segments[-1][0], line[2:])
        elif line.strip() and not re.match(r"^[A-Za-z]:|^%", line):
            segments.append((_line_notes(line), None))
    return segments


def _align(segments: list[tuple[list[int], str | None]]) -> list[Syllable | None]:
    """Give every note its syllable: each music line's bar numbers with the `w:` line under it.

    ABC 2.1 section 5.1: `-` joins syllables (a second `-` skips a note), `_` holds the
    syllable one more note, `*` skips a note, `|` moves to the next bar, `~` is a space and
    `\\-` a hyphen inside a syllable.  A word may go on from one `w:` line to the next.
    """
    out: list[Syllable | None] = []
    word: list[int] = []
    pending_hyphen = False

    def close() -> None:
        for k, index in enumerate(word):
            kind = "single" if len(word) == 1 else ("begin" if k == 0 else ("end" if k == len(word) - 1 else "middle"))
            out[index] = Syllable(out[index].text, kind)
        word.clear()

    for bars, words in segments:
        offset, position = len(out), 0
        out.extend([None] * len(bars))
        for token in re.findall(r"(?:\\-|[^\s\-_*|\\])+|-|_|\*|\|", words or ""):
            if position >= len(bars) and token != "-":
                break
            if token == "-":
                position += pending_hyphen  # a second hyphen skips a note
                pending_hyphen = True
            elif token == "_":
                position += 1
            elif token == "*":
                close()
                pending_hyphen, position = False, position + 1
            elif token == "|":
                current = bars[position - 1] if position else -1
                while position < len(bars) and bars[position] <= current:
                    position += 1
            else:
                if not pending_hyphen:
                    close()
                pending_hyphen = False
                out[offset + position] = Syllable(token.replace("~", " ").replace("\\-", "-"))
                word.append(offset + position)
                position += 1
        if words is None:
            close()
    close()
    return out


def abc_lyrics(tune: str) -> list[tuple[str, Syllable | None]]:
    """One (letter, syllable or None) per note of the tune, tied notes included, so a caller
    can check the notes against its own parse before trusting the alignment."""
    segments = _music_lines(tune)
    syllables = _align([([bar for bar, _ in notes], words) for notes, words in segments])
    return list(zip([step for notes, _ in segments for _, step in notes], syllables))
