"""Conversion between music21 streams and the tunesmith data model (both directions).

music21 is the theory engine; these functions are the only bridge to it, so its pitfalls
are handled once.  Reading: pickups (paddingLeft) become a leading rest, ties are merged,
double stops keep their top note, grace notes are dropped.  Writing: notes are spelled in
the key with accidentals shown only where needed, a long leading rest becomes a pickup bar.
Flats in chord symbols are written with '-' before music21 parses them.
"""

from __future__ import annotations

import re

from .errors import MusicFileError, MusicValueError
from .music import ChordEvent, Melody, Meter, Note, Song, Syllable, parse_key, snap
from .pitch import MODES, KeySpec, key_fifths, key_signature, notation_key, spell

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
    found = _without_pickup_signature(stream, found)
    ratios = {ts.ratioString for ts in found}
    if len(ratios) > 1:
        raise MusicValueError(f"the meter changes ({', '.join(sorted(ratios))}); tunesmith needs one meter")
    if not found:
        return Meter(4, 4)
    return Meter(found[0].numerator, found[0].denominator)


def _without_pickup_signature(stream, found: list) -> list:
    """The time signatures less a pickup bar's own one (how MIDI files write an upbeat): a
    signature at the start shorter than one that begins where its single bar ends."""
    try:
        placed = [(ts.getOffsetInHierarchy(stream), ts) for ts in found]
    except Exception:  # music21 raises SitesException when a signature sits outside the stream
        return found
    def pickup(offset: float, ts) -> bool:
        length = ts.barDuration.quarterLength
        return offset == 0 and any(o == length and t.barDuration.quarterLength > length for o, t in placed)
    return [ts for offset, ts in placed if not pickup(offset, ts)]


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


COMPOSER = "tunesmith"


def _spelled(midi: int, key: KeySpec):
    """A music21 Pitch spelled in the key (F# in D major, Bb in F), with an Accidental object only
    where the letter is altered: music21 gives every Note(int) an explicit natural, which its
    exporter then prints on most plain notes."""
    from music21 import pitch

    letter, alter, octave = spell(midi, key)
    found = pitch.Pitch(step=letter, octave=octave)
    if alter:
        found.accidental = pitch.Accidental(alter)
    return found


def mark_accidentals(part, key: KeySpec) -> None:
    """Show an accidental only where the key signature and the earlier notes of the bar (same
    letter and octave) do not already give the pitch; a note tied over a bar line shows none.

    Sets each accidental's displayStatus and marks the part as done, so the exporter's own
    makeAccidentals (cautionary naturals on other octaves, explicit naturals) never runs.  A tied
    piece carries the same accidental as the note it continues (hidden), or music21 reading the
    file back would not join "G natural" to "G"."""
    import copy

    from music21 import pitch

    signature = key_signature(key_fifths(key))
    before = None
    for measure in part.getElementsByClass("Measure"):
        heard: dict[tuple[str, int], int] = {}
        for element in measure.getElementsByClass("Note"):  # not the chord symbols
            found = element.pitch
            tied = element.tie is not None and element.tie.type in ("stop", "continue")
            if tied and before is not None:
                found.accidental = copy.deepcopy(before.accidental)
                if found.accidental is not None:
                    found.accidental.displayStatus = False
                before = found
                continue
            alter = int(found.accidental.alter) if found.accidental is not None else 0
            place = (found.step, found.octave)
            show = alter != heard.get(place, signature[found.step])
            if show and found.accidental is None:
                found.accidental = pitch.Accidental("natural")
            if found.accidental is not None:
                found.accidental.displayStatus = show
            heard[place] = alter
            before = found
    part.streamStatus.accidentals = True


def _pickup(part, rest: float) -> None:
    """Turn bar 1, which starts with `rest` quarters of rest, into a pickup bar: the rest goes,
    the notes move to the start, the bar is number 0 and not counted (MusicXML implicit="yes")."""
    from music21 import stream

    measures = list(part.getElementsByClass("Measure"))
    first = measures[0]
    for element in list(first.notesAndRests):  # chord symbols too (none starts inside the rest)
        if element.offset < rest - 1e-9:
            first.remove(element)
        else:
            first.setElementOffset(element, snap(element.offset - rest))
    first.coreElementsChanged()
    first.paddingLeft = rest
    first.number = 0
    first.showNumber = stream.enums.ShowNumber.NEVER
    for number, measure in enumerate(measures[1:], 1):
        measure.number = number


def _tempo_mark(melody: Melody):
    """The tempo mark shown above the staff, in the beat abc.tempo_beat chooses (the ABC's Q: too)."""
    from music21 import duration, tempo

    from .abc import tempo_beat

    beat, number = tempo_beat(melody)
    mark = tempo.MetronomeMark(number=number, referent=duration.Duration(float(beat)))
    mark.placement = "above"
    return mark


def song_to_score(song: Song, *, chords_as_symbols: bool = True):
    """A music21 Score with one part, ready for the MusicXML exporter: title and composer, meter, key,
    a tempo mark above the staff, notes spelled in the key with only the accidentals a reader needs,
    lyrics, chord symbols, and a pickup bar when bar 1 opens with a rest as long as half a bar."""
    from music21 import harmony, instrument, key, metadata, meter, note, stream

    from .abc import pickup_length

    melody = song.melody
    spelled = notation_key(melody.key)
    part = stream.Part(id="melody")
    voice = instrument.Flute()  # what the MIDI file plays (GM 74); MuseScore warns on a part without one
    voice.partName, voice.partAbbreviation = "Melody", None
    part.insert(0, voice)
    part.insert(0, meter.TimeSignature(str(melody.meter)))
    if melody.key is not None:
        part.insert(0, key.Key(spelled.m21_tonic, spelled.mode))
    part.insert(0, _tempo_mark(melody))
    for item in melody.notes:
        n = note.Note(_spelled(item.pitch, spelled), quarterLength=item.duration)
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
    rest = float(pickup_length(song))
    if rest:
        _pickup(part, rest)
    mark_accidentals(part, spelled)
    part.makeBeams(inPlace=True)
    score = stream.Score(id="tunesmith")
    score.insert(0, metadata.Metadata(title=song.title, composer=COMPOSER))
    score.insert(0, part)
    return score


def melody_to_score(melody: Melody, *, title: str = "Untitled"):
    """Shorthand for a Score of a bare melody."""
    return song_to_score(Song(melody=melody, title=title))


