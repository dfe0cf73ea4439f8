"""`tunesmith chords FILE`: chords for a melody, with alternatives, a lead sheet and a MIDI file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .cli_music import FILE_HELP, action_context, echo_files, song_state


def chords(
    file: Annotated[Path, typer.Argument(help=FILE_HELP)],
    per: Annotated[str | None, typer.Option(help="Chord changes: bar, half or beat (fewer changes: bar). Default: beat for chorales, bar otherwise.")] = None,
    style: Annotated[str | None, typer.Option(help="bach-chorale, folk, lead-sheet or pop, or a corpus style such as irish-reel (default: the melody's style, else lead-sheet).")] = None,
    key: Annotated[str | None, typer.Option(help="Key, e.g. 'D minor' (default: the file's key, else the estimated one).")] = None,
    k: Annotated[int, typer.Option("--k", help="How many alternatives per chord and whole progressions.")] = 3,
    seed: Annotated[int, typer.Option(help="0 gives the best harmonization; other seeds give close variations.")] = 0,
    out: Annotated[Path | None, typer.Option(help="Output folder (default ./tunesmith-out).")] = None,
    all_slots: Annotated[bool, typer.Option("--all", help="List the alternatives of every slot, not only the first 16.")] = False,
) -> None:
    """Recommend chords for a melody: a chord chart over the ABC, alternatives with reasons,
    a MusicXML lead sheet and a MIDI file with the melody and a chord track."""
    from ..tokenization.view import render_terminal
    from ..tools.actions.chords import recommend_chords
    from ..tools.errors import ToolError

    if k < 1:
        raise ToolError(f"--k must be at least 1, not {k}")
    state = song_state(file, title_from_file=True)
    outcome = recommend_chords(state, action_context(out=out, label=file.stem.lower()), per=per, style=style, key=key,
                               k=k, seed=seed)
    result = outcome.detail
    typer.echo(render_terminal(result.song))
    typer.echo(result.text(max_slots=None if all_slots else 16))
    for note in outcome.notes:
        typer.secho(note, dim=True)
    typer.echo(result.report.summary())
    typer.echo(f"{len(result.song.chords)} chords in {result.key}, {result.seconds:.2f}s")
    echo_files(outcome.files)
