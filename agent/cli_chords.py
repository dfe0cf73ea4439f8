"""`tunesmith chords FILE`: chords for a melody, with alternatives, a lead sheet and a MIDI file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .cli_music import FILE_HELP, action_context, echo_files, song_state
from .edge import check_int, check_key, check_text, clean, say


def chords(
    file: Annotated[Path, typer.Argument(help=FILE_HELP)],
    per: Annotated[str | None, typer.Option(help="Chord changes: bar, half or beat (fewer changes: bar). Default: beat for chorales, bar otherwise.")] = None,
    style: Annotated[str | None, typer.Option(help="folk (lead-sheet), pop, jazz-lite or bach-chorale, or a corpus style such as irish-reel (default: the melody's style, else folk).")] = None,
    key: Annotated[str | None, typer.Option(help="Key, e.g. 'D minor' (default: the file's key, else the estimated one).")] = None,
    k: Annotated[int, typer.Option("--k", help="How many alternatives per chord and whole progressions (1-20).")] = 3,
    seed: Annotated[int, typer.Option(help="0 gives the best harmonization; other seeds give close variations.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Output folder (default ./tunesmith-out).")] = None,
    all_slots: Annotated[bool, typer.Option("--all", help="List the alternatives of every slot, not only the first 16.")] = False,
) -> None:
    """Recommend chords for a melody: a chord chart over the ABC, alternatives with reasons,
    a MusicXML lead sheet and a MIDI file with the melody and a chord track.

    A --style is part of the file names, so trying several styles keeps each one's files."""
    from ..tokenization.view import render_terminal
    from ..tools.actions.chords import recommend_chords

    for option, value in (("per", per), ("style", style)):
        check_text(option, value)
    check_key(key)
    check_int("chords.k", k)
    check_int("chords.seed", seed, tool="recommend_chords")
    state = song_state(file, title_from_file=True)
    label = "-".join(part for part in (file.stem.lower(), style and style.strip().lower()) if part)
    outcome = recommend_chords(state, action_context(out=out, label=label), per=per, style=style, key=key,
                               k=k, seed=seed)
    result = outcome.detail
    say(render_terminal(result.song))
    say(result.text(max_slots=None if all_slots else 16))
    for note in outcome.notes:
        typer.secho(clean(note), dim=True)
    say(result.report.summary())
    say(f"{len(result.song.chords)} chords in {result.key}, {result.seconds:.2f}s")
    echo_files(outcome.files)
