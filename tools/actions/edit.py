"""Edits of the current song: one chord, new chords for some bars, another key, the parallel mode,
another tempo or meter.  Each keeps what it does not touch (the melody's notes and lyrics, the other
chords, the title unless it names the key), writes the song's files again and checks it.

Bar numbers are the ones the score prints: when the song opens with a pickup (the files write a
leading rest of half a bar or more as an upbeat, tokenization.abc.pickup_length) the pickup is
bar 0 and bar 1 is the first full bar; otherwise bar 1 is the first bar.  The music work is in
tools/melody/transform.py and tools/chords/edit.py; here the arguments are checked and the
results described.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from ...tokenization.music import KeySpec, Song
from ...tokenization.styles import STYLE_NAMES
from ...tokenization.view import chord_chart, tempo_text
from ..errors import ToolError
from .base import Context, Outcome, files_text, keep_song, named, need_melody, summary
from .state import SongState


def _pickup(song: Song) -> int:
    """1 when the files write the song's first bar as a pickup (then it is bar 0), else 0."""
    from ...tokenization.abc import pickup_length

    return int(pickup_length(song) > 0)


def _bar_count(song: Song) -> int:
    """How many bars a person counts: the full bars (a pickup is bar 0)."""
    return song.melody.bars - _pickup(song)


def _bars_text(song: Song) -> str:
    count = _bar_count(song)
    return f"{count} bar{'' if count == 1 else 's'}" + (" after a pickup (bar 0)" if _pickup(song) else "")


def _bar_start(song: Song, bar: int) -> float:
    """Where a person's bar number starts, in quarters from the song's start."""
    return (bar + _pickup(song) - 1) * song.melody.bar_length


def _check_bar(song: Song, bar: int) -> None:
    if not 1 - _pickup(song) <= bar <= _bar_count(song):
        raise ToolError(f"there is no bar {bar}: the song has {_bars_text(song)}")


def _span(text: str, song: Song) -> tuple[int, int]:
    """Bars 'A-B' (or one bar 'A') of the song as numbers.

    >>> from tunesmith.tokenization.music import Melody
    >>> _span(" bars 2 to 3 ", Song(Melody((), bars=4))), _span("4", Song(Melody((), bars=4)))
    ((2, 3), (4, 4))
    """
    numbers = [int(n) for n in re.findall(r"\d+", text or "")]
    if len(numbers) not in (1, 2):
        raise ToolError(f"span takes bar numbers like '5-8' (one bar: '3'), not {text!r}")
    first, last = numbers[0], numbers[-1]
    if first > last:
        raise ToolError(f"span {text!r} ends before it starts; write it as '{last}-{first}'")
    if not (1 - _pickup(song) <= first and last <= _bar_count(song)):
        raise ToolError(f"there are no bars {first}-{last}: the song has {_bars_text(song)}")
    return first, last


def _key(song: Song) -> KeySpec:
    """The song's key: the one it declares, else music21's estimate."""
    from ..theory.key import estimate_key

    return song.melody.key or estimate_key(song.melody)[0]


def _chart(song: Song) -> str:
    """The whole chart on one line, '| C | F C | G7 C |' (the recommend_chords summary's form)."""
    return chord_chart(song, bars_per_line=64) if song.chords else "none"


def _cells(song: Song, first: int, last: int) -> str:
    """The chart of a person's bars first..last, '| F | C G |'."""
    cells = chord_chart(song, bars_per_line=64).strip("| ").split(" | ")
    offset = _pickup(song)
    return "| " + " | ".join(cells[first + offset - 1:last + offset]) + " |"


def _retitled(title: str, old: KeySpec, new: KeySpec) -> str:
    """A title that names the key ('Melody in F major', as new melodies are titled) names the new one.

    >>> _retitled("irish-reel in D major", KeySpec("D"), KeySpec("G")), _retitled("Down", KeySpec("C"), KeySpec("D"))
    ('irish-reel in G major', 'Down')
    """
    return re.sub(rf"(?<![\w#]){re.escape(str(old))}(?![\w#])", str(new), title, flags=re.IGNORECASE)


def _style(state: SongState, style: str | None) -> str | None:
    """The chord style to use: the given one, else the person's setting when it is a corpus style
    (not a person's own adapter); None lets the recommender take the song's."""
    return style or (state.style if state.style in STYLE_NAMES else None)


def _harmony_runtime(ctx: Context) -> Any:
    from ..chords.recommend import HARMONY_ADAPTER

    return ctx.models.runtime_with(HARMONY_ADAPTER)


def _kept(state: SongState, ctx: Context, song: Song, *, what: str) -> tuple[SongState, dict[str, Any], Any]:
    """Write and keep the edited song; its theory check goes into the artifact (as recommend_chords')."""
    from ..theory.check import check_song

    report = check_song(song, key=song.melody.key)
    state, artifact = keep_song(state, ctx, song, what=what)
    artifact.update(findings=report.as_dict()["findings"], view=artifact["view"] + "\n" + report.summary(max_lines=3),
                    chords=[[c.symbol, c.onset, c.duration, c.roman] for c in song.chords])
    return state, artifact, report


def change_chord(state: SongState, ctx: Context, *, bar: int, beat: int | None = None, chord: str) -> Outcome:
    """Set the chord at a bar (and beat, default 1) for the rest of that bar; every other chord stays
    (one held over the bar sounds again at the next bar line)."""
    from ..chords.edit import read_chord, set_chord
    from ..theory.key import beat_length

    song = need_melody(state)
    _check_bar(song, bar)
    melody = song.melody
    step = beat_length(melody)
    beats = round(melody.bar_length / step)
    start = _bar_start(song, bar)
    if beat is not None and not 1 <= beat <= beats:
        plural = "" if beats == 1 else "s"
        raise ToolError(f"a bar of {melody.meter} has {beats} beat{plural}, so there is no beat {beat}")
    onset = start + ((beat or 1) - 1) * step
    if bar == 0 and (beat is None or onset < melody.notes[0].onset - 1e-6):
        if beat is not None:
            raise ToolError(f"the pickup (bar 0) starts on beat {(melody.notes[0].onset - start) / step + 1:g}")
        onset = melody.notes[0].onset
    new = read_chord(chord, _key(song))
    chords, old = set_chord(song.chords, new, onset=onset, bar_end=start + melody.bar_length, end=melody.length)
    edited = replace(song, chords=chords)
    state, artifact, report = _kept(state, ctx, edited, what=named("chord", ctx.label, f"bar{bar}"))
    place = (onset - start) / step + 1
    text = summary("change_chord", bar=bar, beat="" if abs(place - 1) < 1e-6 else f" beat {place:g}",
                   chord=new.symbol, old=old or "none", chart=_chart(edited), files=files_text(artifact["files"]))
    return Outcome(state=state, summary=text, artifact=artifact, detail=report)


def reharmonize_bars(state: SongState, ctx: Context, *, span: str, style: str | None = None,
                     seed: int = 1) -> Outcome:
    """New chords for bars A-B from the recommender; the chords outside the span stay."""
    from ..chords.edit import reharmonize

    song = need_melody(state)
    first, last = _span(span, song)
    lo, hi = _bar_start(song, first), _bar_start(song, last + 1)
    chords, notes = reharmonize(song, lo=lo, hi=hi, style=_style(state, style), seed=seed,
                                runtime=_harmony_runtime(ctx))
    edited = replace(song, chords=chords)
    where = f"{first}-{last}" if last > first else f"{first}"
    state, artifact, report = _kept(state, ctx, edited, what=named("rechord", ctx.label, where, f"s{seed}"))
    text = summary("reharmonize_bars", span=where, changed=_cells(edited, first, last), chart=_chart(edited),
                   files=files_text(artifact["files"]))
    return Outcome(state=state, summary=text, artifact=artifact, detail=report, notes=notes)


def transpose(state: SongState, ctx: Context, *, key: str | None = None, semitones: int | None = None) -> Outcome:
    """Move the melody, the chords and the key signature to another key (or by semitones)."""
    from ..chords.edit import transposed_chords
    from ..melody.transform import plan_move, transpose_melody

    song = need_melody(state)
    old = _key(song)
    move = plan_move(old, key=key, semitones=semitones)
    edited = replace(song, melody=transpose_melody(song.melody, move), title=_retitled(song.title, old, move.key),
                     chords=transposed_chords(song.chords, semitones=move.semitones, old=old, new=move.key))
    what = named("transposed", ctx.label, f"{move.key.tonic}{move.key.mode[:3]}")
    state, artifact, report = _kept(state, ctx, edited, what=what)
    text = summary("transpose", old=old, key=move.key, shift=move.words, files=files_text(artifact["files"]))
    return Outcome(state=state, summary=text, artifact=artifact, detail=report)


def change_mode(state: SongState, ctx: Context, *, mode: str) -> Outcome:
    """The melody in the parallel mode (D major -> D minor); the chords re-spelled in it, or new chords
    from the recommender when the re-spelled ones would clash with the moved melody."""
    from ..chords.edit import chords_in_mode, dominant_spans
    from ..melody.transform import mode_key, parallel_melody

    song = need_melody(state)
    old = _key(song)
    new = mode_key(old, mode)
    chords = chords_in_mode(song.chords, old=old, new=new)
    melody, moved = parallel_melody(song.melody, new, old=old, leading=dominant_spans(chords, new))
    edited = replace(song, melody=melody, chords=chords, title=_retitled(song.title, old, new))
    notes: tuple[str, ...] = ()
    if not song.chords:
        chords_text = "none yet"
    elif clashes := _new_clashes(song, edited):
        from ..chords.recommend import recommend_chords

        result = recommend_chords(replace(edited, chords=()), style=_style(state, None), runtime=_harmony_runtime(ctx))
        edited, notes = replace(edited, chords=result.chords), result.notes
        chords_text = f"re-harmonized (re-spelled in {new} they clashed with the melody in {clashes})"
    else:
        chords_text = f"kept, re-spelled in {new}" if chords != song.chords else "kept"
    state, artifact, report = _kept(state, ctx, edited, what=named("mode", ctx.label, f"{new.tonic}{new.mode[:3]}"))
    text = summary("change_mode", key=new, old=old, changed=moved, chords=chords_text,
                   files=files_text(artifact["files"]))
    return Outcome(state=state, summary=text, artifact=artifact, detail=report, notes=notes)


def _new_clashes(before: Song, after: Song) -> str:
    """'bar 3, bar 5': bars where `after`'s chords clash with its melody and `before`'s did not
    (or 'the whole song' when the fit turned poor); '' when the edit kept the chords sound."""
    from ..theory.chords import check_chord_fit

    def found(song: Song) -> tuple[set[int], bool]:
        findings = check_chord_fit(song)
        bars = {b for f in findings if f.code in ("chord_clash", "chord_unreadable") for b in f.bars}
        return bars, any(f.code == "chord_fit_poor" for f in findings)

    (old_bars, old_poor), (new_bars, new_poor) = found(before), found(after)
    fresh = sorted(new_bars - old_bars)
    if fresh:
        return ", ".join(f"bar {b - _pickup(after)}" for b in fresh)
    return "the whole song" if new_poor and not old_poor else ""


def change_tempo(state: SongState, ctx: Context, *, tempo: int | None = None, meter: str | None = None) -> Outcome:
    """Another tempo (quarter notes a minute) and/or meter; in a new meter each bar keeps its notes,
    its chords and its syllables, every time scaled by new bar length / old bar length."""
    from ..chords.edit import scaled_chords
    from ..melody.transform import read_meter, with_meter, with_tempo

    if tempo is None and meter is None:
        raise ToolError("change_tempo needs a tempo (e.g. 120), a meter (e.g. 3/4) or both")
    song = need_melody(state)
    melody, chords = song.melody, song.chords
    old = f"{tempo_text(melody)}, {melody.meter}"
    if meter is not None:
        new_meter = read_meter(meter)
        if new_meter != melody.meter:
            chords = scaled_chords(chords, new_meter.bar_length / melody.bar_length)
            melody = with_meter(melody, new_meter)
    if tempo is not None:
        melody = with_tempo(melody, tempo)
    if melody == song.melody:
        raise ToolError(f"the song is already {old}")
    edited = replace(song, melody=melody, chords=chords)
    what = named("tempo", ctx.label, f"{melody.tempo}", str(melody.meter).replace("/", "-"))
    state, artifact, report = _kept(state, ctx, edited, what=what)
    text = summary("change_tempo", tempo=tempo_text(melody), meter=melody.meter, old=old, bars=_bar_count(edited),
                   files=files_text(artifact["files"]))
    return Outcome(state=state, summary=text, artifact=artifact, detail=report)
