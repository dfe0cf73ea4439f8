"""Questions about the song and about music: describe_song, explain_choice, music_knowledge.

None of them changes anything: each returns the state it was given, so asking never costs an undo.
The answers are short plain lines for the chat model to pass on.  Bars are numbered as the contract
says: 1 is the first full bar and a pickup is bar 0 (the song's grid counts the pickup bar as 1).
"""

from __future__ import annotations

import os
from fractions import Fraction

from ...tokenization.abc import pickup_length
from ...tokenization.music import KeySpec, Song
from ...tokenization.pitch import ALTERATION_NAMES, spell
from ...tokenization.styles import STYLE_NAMES
from ..errors import ToolError
from .base import Context, Outcome, need_melody, summary
from .state import SongState


def music_knowledge(state: SongState, ctx: Context, *, topic: str, lang: str | None = None) -> Outcome:
    """Facts about a style or a theory topic, in the language asked (default: the topic's)."""
    from ..knowledge import find_topic

    answer = find_topic(topic, lang)
    return Outcome(state=state, summary=summary("music_knowledge", facts=answer.text()), detail=answer,
                   artifact={"topic": answer.topic, "kind": answer.kind, "lang": answer.lang,
                             "facts": [answer.title, *answer.lines]})


def describe_song(state: SongState, ctx: Context) -> Outcome:
    """The current song in a few lines: key, meter, tempo, bars, range, style, chords, lyrics, check, files."""
    text = song_description(state)
    return Outcome(state=state, summary=summary("describe_song", description=text), artifact={"description": text})


def song_description(state: SongState) -> str:
    """What describe_song says (without a song: the settings for the next melody)."""
    from ...tokenization.view import chord_chart, tempo_text

    song = state.song
    if song is None:
        return f"No melody yet. Settings: {state.settings_line()}."
    melody = song.melody
    if not melody.notes:
        chart = chord_chart(song, bars_per_line=melody.bars)
        return (f"No melody yet; {melody.bars} bars of chords in {melody.key or 'no key'}, {melody.meter}: {chart}. "
                f"Settings: {state.settings_line()}.")
    from ..theory.check import check_song

    report = check_song(song, key=melody.key)
    key = melody.key or report.estimated_key
    key_text = str(melody.key) if melody.key else f"{key} (estimated)"
    pickup = pickup_length(song)  # the rest before the pickup notes
    bar_length = Fraction(melody.meter.numerator * 4, melody.meter.denominator)
    bars = melody.bars - (1 if pickup else 0)
    lines = [f"{song.title}: {key_text}, {melody.meter}, {tempo_text(melody)}, {bars} bars"
             + (f" after a {_note_value(bar_length - pickup, melody.meter.denominator)} pickup" if pickup else "")
             + f", style {song.style or 'not set'}.",
             f"Range {_range(song, key)}.",
             f"Chords: {chord_chart(song, bars_per_line=melody.bars)}" if song.chords else "Chords: none yet.",
             _lyrics(song), _check(report), _files(state)]
    return "\n".join(line for line in lines if line)


def _note_value(length: Fraction, denominator: int) -> str:
    """A pickup's length in the meter's note value: '1/8' in 6/8, '2/8', '1/4' in 4/4.

    >>> _note_value(Fraction(1, 2), 8), _note_value(Fraction(1), 8), _note_value(Fraction(3, 2), 4)
    ('1/8', '2/8', '3/8')
    """
    count = length * denominator / 4
    if count.denominator == 1:
        return f"{count.numerator}/{denominator}"
    whole = length / 4
    return f"{whole.numerator}/{whole.denominator}"


def _range(song: Song, key: KeySpec | None) -> str:
    pitches = [n.pitch for n in song.melody.notes]
    low, high = min(pitches), max(pitches)
    return f"{_spelled(low, key)}-{_spelled(high, key)} ({high - low} semitones)"


def _spelled(pitch: int, key: KeySpec | None) -> str:
    """A note name with its octave, spelled in the key ('F#4' in D major, 'Gb4' in Db)."""
    from ...tokenization.pitch import note_name

    if key is None:
        return note_name(pitch)
    letter, alteration, octave = spell(pitch, key)
    return f"{letter}{ALTERATION_NAMES[alteration]}{octave}"


def lyric_lines(song: Song) -> list[str]:
    """The lyrics as the lines write_lyrics wrote them: one per melody phrase, with the notes that
    carry no syllable read as melismas so the phrases fall where the syllables do."""
    from ..lyrics.slots import melody_phrases

    notes = song.melody.notes
    continuing = {i for i in range(1, len(notes)) if notes[i].lyric is None}
    lines = []
    for phrase in melody_phrases(song.melody, melisma=continuing):
        text = ""
        for slot in phrase.slots:
            syllable = notes[slot.notes[0]].lyric
            if syllable is None:
                continue
            cjk = "\u3400" <= syllable.text[:1] <= "\u9fff"
            text += syllable.text + ("" if cjk or syllable.syllabic in ("begin", "middle") else " ")
        if text.strip():
            lines.append(text.strip())
    return lines


def _lyrics(song: Song) -> str:
    if not song.has_lyrics:
        return "Lyrics: none yet."
    return "Lyrics: " + " / ".join(f"{i}. {line}" for i, line in enumerate(lyric_lines(song), 1))


def _check(report) -> str:
    """'music21 check: ok, 0 errors, 2 warnings; first: bar 5, the melody leaps …'."""
    errors, warnings = len(report.errors), len(report.warnings)
    head = (f"music21 check: {'ok' if report.ok else 'needs fixing'}, {errors} error{'s' * (errors != 1)}, "
            f"{warnings} warning{'s' * (warnings != 1)}")
    serious = [f for f in report.findings if f.severity != "info"]
    if not serious:
        return head + "."
    first = serious[0]
    where = f"bar {first.bars[0]}, " if first.bars else ""
    return f"{head}; first: {where}{first.message}."


def _files(state: SongState) -> str:
    """'Files: out/melody-s7 (.mid .musicxml .abc)' when they share a stem, else each path."""
    if not state.files:
        return "Files: none written yet."
    paths = [path for _, path in state.files]
    stems = {os.path.splitext(p)[0] for p in paths}
    if len(stems) == 1 and len(paths) > 1:
        return f"Files: {stems.pop()} ({' '.join(os.path.splitext(p)[1] for p in paths)})"
    return "Files: " + ", ".join(paths)


def explain_choice(state: SongState, ctx: Context, *, bar: int) -> Outcome:
    """Why bar N has its chord: the melody on it, its function, the chords around it, the cadence,
    and the recommender's reasons and alternatives when it makes the same choice."""
    from ..chords.score import phrase_ends
    from ..knowledge import harmony
    from ..theory.key import beat_length, estimate_key

    song = need_melody(state)
    melody = song.melody
    pickup = bool(pickup_length(song))
    first, last = (0, melody.bars - 1) if pickup else (1, melody.bars)
    if not first <= bar <= last:
        where = f"bars 1-{last} and the pickup bar 0" if pickup else f"bars 1-{last}"
        raise ToolError(f"there is no bar {bar}: the song has {last} bars ({where})")
    if not song.chords:
        raise ToolError("the song has no chords yet: call recommend_chords first")
    grid = bar + 1 if pickup else bar
    key = melody.key or estimate_key(melody)[0]
    items = harmony.chords_in_bar(melody, song.chords, grid, key)
    lo = (grid - 1) * melody.bar_length
    if not items:
        raise ToolError(f"bar {bar} has no chord; change_chord can put one there")
    ends = phrase_ends(melody)
    last_note = melody.notes[-1]
    lines = []
    recommended = _recommended(state, ctx, song)
    for item in items:
        in_phrase_end = any(item.start - 1e-6 <= melody.notes[i].onset < item.end - 1e-6 for i in ends)
        final = item.end >= last_note.onset + 1e-6 and last_note.onset >= item.start - 1e-6
        before, after = harmony.neighbours(song.chords, item)
        beat = (item.start - lo) / beat_length(melody) + 1
        on_beat = abs(beat * 2 - round(beat * 2)) < 1e-6 and beat > 1 + 1e-6 and not (pickup and bar == 0)
        head = f"Bar {bar}" + (f" beat {beat:g}" if on_beat else "") + f": {item.event.symbol}"
        if item.event.onset < lo - 1e-6:
            head += " (held from the bar before)"
        lines.append(f"{head}, {harmony.function_line(item, melody, key, phrase_end=in_phrase_end, final=final)}.")
        lines.append(f"  {_sentence(harmony.melody_line(item, melody, key))}")
        moves = harmony.motion(before, item, after, key, phrase_end=in_phrase_end)
        if moves:
            lines.append(f"  {_sentence(moves)}")
        lines.append(f"  {_recommender_line(recommended, item)}")
    text = "\n".join(lines)
    return Outcome(state=state, summary=summary("explain_choice", explanation=text), artifact={"explanation": text})


def _sentence(text: str) -> str:
    return f"{text[:1].upper()}{text[1:]}."


def _recommended(state: SongState, ctx: Context, song: Song):
    """A fresh run of the recommender as recommend_chords would run it by default (None if it cannot)."""
    from ..chords import recommend as chords
    from ..chords.vocab import style_family

    style = state.style if state.style in STYLE_NAMES else None
    asked = style or song.style or "lead-sheet"
    try:
        runtime = None if chords.uses_folk(asked, style_family(asked)) else ctx.models.runtime_with(
            chords.HARMONY_ADAPTER)
        return chords.recommend_chords(song, style=style, k=3, runtime=runtime, seed=0)
    except ToolError:
        return None


def _recommender_line(result, item) -> str:
    """The recommender's view of the chord's span: its choice, reasons and alternatives with scores."""
    if result is None:
        return "The recommender could not be run on this melody, so this is the music's reading only."
    slots = [s for s in result.slots if s.onset < item.end - 1e-6 and s.onset + s.duration > item.start + 1e-6]
    if not slots:
        return "The recommender put no chord here."
    slot = max(slots, key=lambda s: min(s.onset + s.duration, item.end) - max(s.onset, item.start))
    symbol = item.event.symbol
    others = ", ".join(f"{a.symbol} {a.roman} (score {a.score:.2f}: {a.reason.split(': ', 1)[-1]})"
                       for a in slot.alternatives)
    scorer = f"The recommender ({result.scorer})"
    if slot.chosen.symbol == symbol:
        return f"{scorer} chose it too: {slot.chosen.reason}; alternatives: {others or 'none'}."
    listed = next((a for a in slot.alternatives if a.symbol == symbol), None)
    rank = (f"it rates {symbol} {listed.score:.2f} of its choice" if listed else
            f"{symbol} is not among its top alternatives")
    return (f"{scorer} would pick {slot.chosen.symbol} ({slot.chosen.roman}: {slot.chosen.reason}); "
            f"{rank}, so this chord was set by hand or by another seed or style. Its alternatives: {others or 'none'}.")
