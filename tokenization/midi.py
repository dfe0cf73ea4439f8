"""MIDI out (symusic, not music21's writer) and the melody of any MIDI file in.

music21's MIDI writer is slow and sounds chord symbols as zero-length notes that leave
synthesizers hanging, so files are written with symusic (installed with miditok): a
type-1 file at 480 ticks per quarter with

* track 0, the conductor: the song title as track name, tempo, time signature, key
  signature (minor keys flagged minor; dorian and mixolydian written with their own
  signature, flagged major) and a marker "Key: A dorian" that keeps the mode; a song that
  opens with an upbeat (abc.pickup_length) starts with a short time signature for its
  pickup bar and the leading rest cut, as the ABC and the MusicXML write it;
* track 1, "Melody": GM program, notes, one lyric event per syllable at its note
  (a syllable that continues its word ends in "-", which music21 reads back as such);
* track 2, "Chords" (only when the song has chords): each chord as a block in root
  position, root between C3 and B3 (a slash chord's bass below it), held for the
  chord's length, every note-on with its note-off.

Reading picks one track and keeps its top line (see `pick_melody_track`), then lets music21
quantise it and read meter, key, tempo and lyrics.
"""

from __future__ import annotations

import re
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

from .errors import MusicFileError, MusicValueError
from .limits import check_meter, check_span
from .m21 import chord_symbol_to_m21, stream_to_song
from .music import MODES, Song, parse_key, quarter_fraction

TPQ = 480
MELODY_PROGRAM = 73  # GM Flute: a clear line that does not blur with the piano chords
CHORD_PROGRAM = 0  # GM Acoustic Grand Piano
VOCAL_RANGE = range(53, 85)  # F3..C6: where a sung or lead line lives
_MELODY_NAMES = re.compile(r"melod|vocal|voice|lead|sing|tune|solo|soprano|lyric", re.I)
_BACKING_NAMES = re.compile(r"chord|bass|drum|perc|pad|accomp|harmon|comp\b|rhythm|strings", re.I)
_KEY_MARKER = re.compile(r"^Key:\s*(.+)$")


def chord_voicing(symbol: str) -> list[int]:
    """MIDI pitches of a chord symbol in root position, root in C3..B3.

    >>> chord_voicing("Am"), chord_voicing("Bb7"), chord_voicing("C/E")
    ([57, 60, 64], [58, 62, 65, 68], [40, 48, 52, 55])
    """
    from music21 import harmony

    try:
        figure = harmony.ChordSymbol(chord_symbol_to_m21(symbol))
    except Exception as err:  # music21 raises bare ValueErrors and more for unknown figures
        raise MusicValueError(f"chord symbol {symbol!r} cannot be read: {err}") from err
    root = figure.root()
    if root is None or not figure.pitches:
        raise MusicValueError(f"chord symbol {symbol!r} has no notes")
    ordered = sorted(figure.pitches, key=lambda p: p.ps)  # music21 stacks 3rd, 5th, 7th, 9th... upwards
    start = next(i for i, p in enumerate(ordered) if p.pitchClass == root.pitchClass)
    pitches = [48 + root.pitchClass]
    for pitch in ordered[start:] + ordered[:start]:
        if pitch.pitchClass not in {p % 12 for p in pitches}:
            pitches.append(pitches[-1] + (pitch.pitchClass - pitches[-1]) % 12)
    bass = figure.bass()
    if bass is not None and bass.pitchClass != root.pitchClass:
        pitches.insert(0, pitches[0] - (pitches[0] - bass.pitchClass) % 12)
    return pitches


def _ticks(quarters: float | Fraction) -> int:
    return round(quarter_fraction(quarters) * TPQ)


def _upbeat(song: Song) -> tuple[Fraction, tuple[int, int] | None]:
    """(leading rest to cut, time signature of the pickup bar) when the song opens with an upbeat.

    The ABC and the MusicXML write a long leading rest as a pickup bar (abc.pickup_length);
    the MIDI file does the same with a short first time signature, as notation programs
    write an anacrusis, so the three files are equally long.  A pickup no power-of-two
    denominator can spell (a triplet upbeat) keeps its rest: (0, None).

    >>> from .music import Melody, Note, parse_meter
    >>> _upbeat(Song(Melody((Note(67, 2.5, 0.5), Note(72, 3.0, 6.0)), meter=parse_meter("6/8"))))
    (Fraction(5, 2), (1, 8))
    """
    from .abc import pickup_length

    rest = pickup_length(song)
    if rest <= 0:
        return Fraction(0), None
    length = quarter_fraction(song.melody.bar_length) - rest  # in quarters
    denominator = song.melody.meter.denominator
    while (length * denominator / 4).denominator != 1 and denominator < 64:
        denominator *= 2
    numerator = length * denominator / 4
    if numerator.denominator != 1:
        return Fraction(0), None
    return rest, (int(numerator), denominator)


def song_to_midi(song: Song, *, melody_program: int = MELODY_PROGRAM, chord_program: int = CHORD_PROGRAM) -> bytes:
    """The bytes of a type-1 MIDI file for the song (see the module docstring)."""
    import symusic as sm

    from .pitch import key_fifths, notation_key

    melody = song.melody
    score = sm.Score(TPQ)
    score.tempos.append(sm.Tempo(0, qpm=float(melody.tempo)))
    shift, upbeat = _upbeat(song)
    bar_one = 0
    if upbeat is not None:
        score.time_signatures.append(sm.TimeSignature(0, *upbeat))
        bar_one = _ticks(quarter_fraction(melody.bar_length) - shift)
    score.time_signatures.append(sm.TimeSignature(bar_one, melody.meter.numerator, melody.meter.denominator))
    if melody.key is not None:
        key = notation_key(melody.key)
        score.key_signatures.append(sm.KeySignature(0, key_fifths(key), int(key.mode == "minor")))
        score.markers.append(sm.TextMeta(0, f"Key: {key}"))
    score.tracks.append(sm.Track(song.title, 0, False))  # conductor track: symusic puts the meta events here
    lead = sm.Track("Melody", melody_program, False)
    for note in melody.notes:
        start, end = _ticks(note.onset - shift), _ticks(note.end - shift)
        if end > start:
            lead.notes.append(sm.Note(start, end - start, note.pitch, 90))
        if note.lyric is not None and note.lyric.text:
            hyphen = "-" if note.lyric.syllabic in ("begin", "middle") else ""
            lead.lyrics.append(sm.TextMeta(start, note.lyric.text + hyphen))
    score.tracks.append(lead)
    if song.chords:
        backing = sm.Track("Chords", chord_program, False)
        chords = sorted(song.chords, key=lambda c: c.onset)
        for index, chord in enumerate(chords):
            start, end = _ticks(chord.onset - shift), _ticks(chord.onset + chord.duration - shift)
            if index + 1 < len(chords):
                end = min(end, _ticks(chords[index + 1].onset - shift))  # never overlap the next chord
            if end <= start:
                continue
            for pitch in chord_voicing(chord.symbol):
                backing.notes.append(sm.Note(start, end - start, pitch, 64))
        score.tracks.append(backing)
    return bytes(score.dumps_midi())


def write_midi(song: Song, path: str | Path, *, melody_program: int = MELODY_PROGRAM,
               chord_program: int = CHORD_PROGRAM) -> Path:
    """Write the song as a type-1 MIDI file (atomically) and return its path."""
    from .files import atomic_write

    data = song_to_midi(song, melody_program=melody_program, chord_program=chord_program)
    return atomic_write(Path(path), data)


# ----------------------------------------------------------------------------- reading

def skyline(notes: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The top line of (start, end, pitch) notes: a higher note cuts a lower one short,
    a lower note under a sounding higher one is dropped.

    >>> skyline([(0, 10, 60), (0, 10, 64), (5, 20, 67), (12, 15, 50)])
    [(0, 5, 64), (5, 20, 67)]
    """
    line: list[tuple[int, int, int]] = []
    for start, end, pitch in sorted(notes, key=lambda n: (n[0], -n[2])):
        if end <= start:
            continue
        if line and start < line[-1][1]:
            last = line[-1]
            if start == last[0] or pitch <= last[2]:
                continue
            line[-1] = (last[0], start, last[2])
        line.append((start, end, pitch))
    return line


def pick_melody_track(tracks: list[tuple[str, bool, list[tuple[int, int, int]]]]) -> int:
    """Index of the track a person would call the melody.

    Each track is (name, is_drum, notes).  Drum tracks never count.  A track named like a
    melody ("Melody", "Vocals", "Lead", "Voice", "Solo", ...) wins; tracks named like backing
    ("Chords", "Bass", "Pad", ...) count only when nothing else is left.  Among the rest the
    one whose top line has the most notes in F3..C6 wins, the earlier track on a tie.
    """
    candidates = [i for i, (_, drum, notes) in enumerate(tracks) if not drum and notes]
    if not candidates:
        raise MusicFileError("it has no pitched notes (only drums or nothing)")
    named = [i for i in candidates if _MELODY_NAMES.search(tracks[i][0] or "")]
    plain = [i for i in candidates if not _BACKING_NAMES.search(tracks[i][0] or "")]
    pool = named or plain or candidates

    def score(index: int) -> int:
        return sum(1 for _, _, pitch in skyline(tracks[index][2]) if pitch in VOCAL_RANGE)

    return max(pool, key=lambda i: (score(i), -i))


def _first_track_name(data: bytes) -> str | None:
    """The track name of a conductor track (a first track without notes): the song title."""
    from music21 import midi

    try:
        track = midi.MidiTrack(1)
        track.read(data[8 + int.from_bytes(data[4:8], "big"):])
        if track.hasNotes():
            return None
        names = [e.data for e in track.events if e.type == midi.MetaEvents.SEQUENCE_TRACK_NAME]
        return names[0].decode("utf-8", "replace").strip() or None if names else None
    except Exception:  # a missing title is not worth failing the import for
        return None


def read_midi(data: bytes, *, name: str, max_notes: int) -> Song:
    """The melody of a MIDI file (bytes) as a Song; `name` is used in messages and as a fallback title."""
    import symusic as sm
    from music21 import converter

    _check_chunks(data, name)
    try:
        score = sm.Score.from_midi(data)
    except Exception as err:  # symusic raises RuntimeError with C++ text for damaged files
        raise MusicFileError(f"{name} is a damaged MIDI file ({_first_line(err)})") from err
    total = score.note_num()
    if total == 0:
        raise MusicFileError(f"{name} has no notes")
    if total > max_notes:
        raise MusicFileError(f"{name} has {total} notes, more than the limit of {max_notes}")
    _check_time(score, name)
    tracks = [(t.name, t.is_drum, [(n.time, n.time + n.duration, n.pitch) for n in t.notes]) for t in score.tracks]
    try:
        chosen = pick_melody_track(tracks)
    except MusicFileError as err:
        raise MusicFileError(f"{name}: {err}") from err
    line = skyline(tracks[chosen][2])
    single = sm.Score(score.ticks_per_quarter)
    single.tempos.extend(score.tempos[:1])
    single.time_signatures.extend(score.time_signatures)
    single.key_signatures.extend(score.key_signatures[:1])
    track = sm.Track("Melody", score.tracks[chosen].program, False)
    for start, end, pitch in line:
        track.notes.append(sm.Note(start, end - start, pitch, 90))
    onsets = {start for start, _, _ in line}
    for lyric in sorted((ly for t in score.tracks for ly in t.lyrics), key=lambda ly: ly.time):
        if lyric.time in onsets:
            track.lyrics.append(sm.TextMeta(lyric.time, lyric.text))
            onsets.discard(lyric.time)
    single.tracks.append(track)
    try:
        # exact when every time sits on the 1/48-quarter grid (files written by a program);
        # otherwise music21 quantises a played performance to 16ths and eighth triplets
        tpq = score.ticks_per_quarter
        exact = all(tick * 48 % tpq == 0 for note in line for tick in note[:2])
        stream = converter.parseData(bytes(single.dumps_midi()), format="midi", quantizePost=not exact)
        song = stream_to_song(stream, title=_first_track_name(data) or Path(name).stem)
    except MusicValueError as err:
        raise MusicFileError(f"{name}: {err}") from err
    except Exception as err:  # music21's translator raises many kinds of errors on odd files
        raise MusicFileError(f"{name} could not be read as music ({_first_line(err)})") from err
    return _with_marked_mode(_join_words(song), [m.text for m in score.markers])


def _check_time(score, name: str) -> None:
    """Meters and the time span (ticks from the start to the last event) within the limits, before
    music21 fills the span with bars: one delta of 0x0FFFFFFF would take it minutes."""
    if score.ticks_per_quarter <= 0:
        raise MusicFileError(f"{name} is a damaged MIDI file (its time division is {score.ticks_per_quarter})")
    for signature in score.time_signatures:
        check_meter(name, signature.numerator, signature.denominator)
    # the longest bar: a short first signature may be a pickup bar (song_to_midi writes one)
    bar_quarters = max((t.numerator * 4 / t.denominator for t in score.time_signatures), default=4.0)
    check_span(name, quarters=score.end() / score.ticks_per_quarter, bar_quarters=bar_quarters)


def _join_words(song: Song) -> Song:
    """Lyric events carry only "hel-" and "lo": the syllable after an open word ends or continues it."""
    notes, open_word = [], False
    for note in song.melody.notes:
        lyric = note.lyric
        if lyric is not None:
            if open_word:
                lyric = replace(lyric, syllabic="middle" if lyric.syllabic in ("begin", "middle") else "end")
            open_word = lyric.syllabic in ("begin", "middle")
            note = replace(note, lyric=lyric)
        notes.append(note)
    return replace(song, melody=replace(song.melody, notes=tuple(notes)))


def _check_chunks(data: bytes, name: str) -> None:
    """Walk the chunk headers so a cut-off file is reported as such, not as "no notes"."""
    header = int.from_bytes(data[4:8], "big") if len(data) >= 14 else 0
    if header < 6:
        raise MusicFileError(f"{name} is a damaged MIDI file (its header is cut short)")
    declared, position, found = int.from_bytes(data[10:12], "big"), 8 + header, 0
    while position + 8 <= len(data):
        length = int.from_bytes(data[position + 4:position + 8], "big")
        if position + 8 + length > len(data):
            raise MusicFileError(f"{name} is a damaged MIDI file (it ends inside track {found + 1})")
        found += data[position:position + 4] == b"MTrk"
        position += 8 + length
    if found < declared:
        raise MusicFileError(f"{name} is a damaged MIDI file (it has {found} of its {declared} tracks)")


def _with_marked_mode(song: Song, markers: list[str]) -> Song:
    """Apply a "Key: A dorian" marker when it agrees with the key signature music21 read."""
    from .pitch import key_fifths

    for text in markers:
        match = _KEY_MARKER.match(text.strip())
        if not match:
            continue
        try:
            key = parse_key(match.group(1))
        except MusicValueError:
            continue
        current = song.melody.key
        if key.mode in MODES and (current is None or key_fifths(current) == key_fifths(key)):
            return replace(song, melody=replace(song.melody, key=key))
    return song


def _first_line(err: Exception) -> str:
    text = str(err).strip().splitlines()
    return (text[0] if text else type(err).__name__)[:160]
