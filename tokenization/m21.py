"""Conversion between music21 streams and the tunesmith data model (both directions).

music21 is the theory engine; these two functions are the only bridge to it, so its
pitfalls are handled once: pickups (paddingLeft) become a leading rest, ties are merged,
double stops keep their top note, grace notes are dropped, flats in chord symbols are
written with '-' before music21 parses them.
"""

from __future__ import annotations

import re

from .errors import MusicFileError, MusicValueError
from .music import ChordEvent, KeySpec, Melody, Meter, Note, Song, Syllable, parse_key, snap
from .pitch import MODES

DEFAULT_TEMPO = 100


def chord_symbol_to_m21(symbol: str) -> str:
    """Rewrite a people's chord symbol in music21's dialect (flats as '-').

    >>> chord_symbol_to_m21("Bbmaj7/Eb")
    'B-maj7/E-'
    >>> chord_symbol_to_m21("F#m7b5")
    'F#m7b5'
    """
    fixed = re.sub(r"^([A-G])b", r"\1-", symbol.strip())
    return re.sub(r"/([A-G])b", r"/\1-", fixed)


def chord_symbol_from_m21(figure: str) -> str:
    """Rewrite a music21 chord figure for people (flats as 'b').

    >>> chord_symbol_from_m21("B-maj7/E-")
    'Bbmaj7/Eb'
    """
    fixed = re.sub(r"^([A-G])-", r"\1b", figure.strip())
    return re.sub(r"/([A-G])-", r"/\1b", fixed)


def _key_of(stream, *, last_pitch: int | None = None) -> KeySpec | None:
    """The declared key; a bare key signature is read as the major or relative minor key
    whose tonic the melody ends on (chorales end on the tonic), major otherwise."""
    from music21 import key as m21key

    for found in stream.recurse().getElementsByClass(m21key.KeySignature):
        if isinstance(found, m21key.Key):
            mode = found.mode if found.mode in MODES else "major"
            return parse_key(found.tonic.name, mode=mode)
        minor = found.asKey("minor")
        if last_pitch is not None and minor.tonic.pitchClass == last_pitch % 12:
            return parse_key(minor.tonic.name, mode="minor")
        return parse_key(found.asKey("major").tonic.name)
    return None


def _meter_of(stream) -> Meter:
    from music21 import meter as m21meter

    found = list(stream.recurse().getElementsByClass(m21meter.TimeSignature))
    ratios = {ts.ratioString for ts in found}
    if len(ratios) > 1:
        raise MusicValueError(f"the meter changes ({', '.join(sorted(ratios))}); tunesmith needs one meter")
    if not found:
        return Meter(4, 4)
    return Meter(found[0].numerator, found[0].denominator)


def _tempo_of(stream) -> int:
    from music21 import tempo as m21tempo

    for mark in stream.recurse().getElementsByClass(m21tempo.MetronomeMark):
        bpm = mark.getQuarterBPM()
        if bpm:
            return int(round(min(max(bpm, 20), 400)))
    return DEFAULT_TEMPO


def _pickup_shift(part, bar_length: float) -> float:
    measures = list(part.getElementsByClass("Measure"))
    if not measures:
        return 0.0
    first = measures[0]
    if first.paddingLeft:
        return snap(first.paddingLeft)
    length = first.duration.quarterLength
    if len(measures) > 1 and 0 < length < bar_length - 1e-6:
        return snap(bar_length - length)
    return 0.0


def stream_to_melody(stream, *, part_index: int = 0, expand_repeats: bool = False) -> Melody:
    """Read the melody of a music21 Score/Part (the top part, or `part_index`) into a Melody."""
    parts = list(getattr(stream, "parts", [])) or [stream]
    if part_index >= len(parts):
        raise MusicValueError(f"there is no part {part_index + 1}; the file has {len(parts)}")
    part = parts[part_index]
    meter = _meter_of(part if part is not stream else stream)
    if expand_repeats:
        part = part.expandRepeats()
    shift = _pickup_shift(part, meter.bar_length)
    flat = part.flatten().stripTies()
    notes: list[Note] = []
    for element in flat.notes:
        if element.duration.isGrace or element.quarterLength <= 0:
            continue
        pitches = getattr(element, "pitches", ())
        if not pitches:
            continue
        onset = snap(element.offset + shift)
        duration = snap(element.quarterLength)
        if duration <= 0:
            continue
        if notes and onset < notes[-1].end - 1e-6:
            if onset <= notes[-1].onset + 1e-6:
                continue  # a second voice starting together: keep the first
            notes[-1] = Note(notes[-1].pitch, notes[-1].onset, snap(onset - notes[-1].onset), notes[-1].lyric)
        lyric = None
        if element.lyrics and element.lyrics[0].text:
            found = element.lyrics[0]
            syllabic = found.syllabic if found.syllabic in ("single", "begin", "middle", "end") else "single"
            lyric = Syllable(text=found.text, syllabic=syllabic)
        notes.append(Note(pitch=int(max(p.midi for p in pitches)), onset=onset, duration=duration, lyric=lyric))
    last_pitch = notes[-1].pitch if notes else None
    return Melody(notes=tuple(notes), meter=meter, key=_key_of(stream, last_pitch=last_pitch),
                  tempo=_tempo_of(stream))


def stream_to_song(stream, *, title: str | None = None, style: str | None = None) -> Song:
    """A Song from a music21 stream: top-part melody plus any chord symbols it carries."""
    from music21 import harmony

    melody = stream_to_melody(stream)
    parts = list(getattr(stream, "parts", [])) or [stream]
    shift = _pickup_shift(parts[0], melody.bar_length)
    symbols = [
        cs for cs in parts[0].flatten().getElementsByClass(harmony.ChordSymbol)
        if not isinstance(cs, harmony.NoChord) and cs.figure
    ]
    chords = []
    for index, cs in enumerate(symbols):
        onset = snap(cs.offset + shift)
        end = snap(symbols[index + 1].offset + shift) if index + 1 < len(symbols) else melody.length
        if end > onset:
            chords.append(ChordEvent(symbol=chord_symbol_from_m21(cs.figure), onset=onset, duration=end - onset))
    meta_title = getattr(getattr(stream, "metadata", None), "title", None)
    return Song(melody=melody, chords=tuple(chords), title=title or meta_title or "Untitled", style=style)


def song_to_score(song: Song, *, chords_as_symbols: bool = True):
    """A music21 Score with one part: meter, key, tempo, notes with lyrics, chord symbols."""
    from music21 import harmony, key, meter, note, stream, tempo

    melody = song.melody
    part = stream.Part(id="melody")
    part.insert(0, meter.TimeSignature(str(melody.meter)))
    if melody.key is not None:
        part.insert(0, key.Key(melody.key.m21_tonic, melody.key.mode))
    part.insert(0, tempo.MetronomeMark(number=melody.tempo))
    for item in melody.notes:
        n = note.Note(item.pitch, quarterLength=item.duration)
        if item.lyric is not None:
            n.lyrics.append(note.Lyric(text=item.lyric.text, syllabic=item.lyric.syllabic))
        part.insert(item.onset, n)
    if chords_as_symbols:
        for chord in song.chords:
            try:
                cs = harmony.ChordSymbol(chord_symbol_to_m21(chord.symbol))
            except Exception as err:  # music21 raises bare ValueErrors and more for bad figures
                raise MusicValueError(f"chord symbol {chord.symbol!r} cannot be read: {err}") from err
            cs.quarterLength = 0
            part.insert(chord.onset, cs)
    last = melody.notes[-1].end if melody.notes else 0.0
    if melody.length > last + 1e-6:
        part.insert(last, note.Rest(quarterLength=melody.length - last))
    part.makeRests(fillGaps=True, inPlace=True, hideRests=False)
    part = part.makeMeasures()
    part.makeTies(inPlace=True)
    score = stream.Score(id="tunesmith")
    from music21 import metadata

    score.insert(0, metadata.Metadata(title=song.title))
    score.insert(0, part)
    return score


def melody_to_score(melody: Melody, *, title: str = "Untitled"):
    """Shorthand for a Score of a bare melody."""
    return song_to_score(Song(melody=melody, title=title))


