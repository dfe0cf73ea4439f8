"""`tunesmith analyze|melody …`: one-shot music commands, thin wrappers over tools/actions.

Each command reads its input, builds the action's Context (the CLI's output folder, plain file
names, the shipped model) and prints what the action gave; the agent's tools call the same
actions, so the same arguments and seed give the same files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .config import load_config
from .edge import check_int, check_key, check_text, say

FILE_HELP = "A melody as MIDI (.mid), MusicXML (.musicxml/.xml/.mxl) or ABC (.abc)."


def action_context(*, out: Path | None = None, label: str | None = None, drafter=None):
    """The Context of a one-shot command: config's folders and model, plain file names."""
    from ..tools.actions import Context

    config = load_config(overrides={"out_dir": out})
    return Context(models=config.models(progress=lambda text: say(text, err=True)), out_dir=config.out_dir,
                   label=label, drafter=drafter)


def song_state(file: Path | None, *, title_from_file: bool = False):
    """The state a command starts from: the song in `file` (or none)."""
    from ..tokenization.files import read_named_song, read_song
    from ..tools.actions.state import SongState

    if file is None:
        return SongState()
    return SongState(song=read_named_song(file) if title_from_file else read_song(file))


def echo_files(files: dict[str, str]) -> None:
    for kind, path in files.items():
        say(f"wrote {kind}: {path}")


def analyze(
    file: Annotated[Path, typer.Argument(help=FILE_HELP)],
    voice: Annotated[str | None, typer.Option(help="Check the range for a voice: soprano, alto, tenor, bass.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the analysis as JSON.")] = False,
) -> None:
    """Analyze a melody: key, meter, tempo, range, bars, nearest corpus style and theory findings."""
    from ..tools.actions.song import analyze_melody

    check_text("voice", voice)
    outcome = analyze_melody(song_state(file), action_context(), voice=voice)
    say(json.dumps(outcome.detail.as_dict(), ensure_ascii=False, indent=1) if as_json else outcome.detail.text())


def melody(
    style: Annotated[str | None, typer.Option(help="Style, e.g. irish-reel, german-folk, chinese-han, bach-chorale, or a name trained with `tunesmith adapt`.")] = None,
    key: Annotated[str | None, typer.Option(help="Key, e.g. 'D minor', 'Bb', 'F#m', 'A dorian'.")] = None,
    mode: Annotated[str | None, typer.Option(help="major, minor, dorian or mixolydian (when --key has none).")] = None,
    meter: Annotated[str | None, typer.Option(help="Time signature, e.g. 6/8 (default: the style's).")] = None,
    tempo: Annotated[int | None, typer.Option(help="Tempo in quarter-note bpm (default: the style's).")] = None,
    bars: Annotated[int, typer.Option(help="Bars to write (new bars with --continue).")] = 8,
    range_: Annotated[str | None, typer.Option("--range", help="Pitch range like C4-A5, or soprano/alto/tenor/bass.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed; the same seed gives the same melody.")] = None,
    continue_: Annotated[Path | None, typer.Option("--continue", help="Continue this melody file.")] = None,
    keep: Annotated[str | None, typer.Option(help="With --continue FILE: keep bars A-B and rewrite the rest.")] = None,
    vary: Annotated[Path | None, typer.Option(help="Write a variation of this melody file.")] = None,
    temperature: Annotated[float, typer.Option(help="Sampling temperature: lower is safer, higher wilder.")] = 0.9,
    out: Annotated[Path | None, typer.Option(help="Output folder (default ./tunesmith-out).")] = None,
) -> None:
    """Write a melody in a style: MIDI, MusicXML and ABC files, printed as ABC with its theory findings."""
    from ..tokenization.view import render_terminal
    from ..tools.actions import melody as act
    from ..tools.errors import ToolError

    if keep and not continue_:
        raise ToolError("--keep needs --continue FILE (the melody whose bars to keep)")
    if continue_ and vary:
        raise ToolError("--continue and --vary each start from a melody file: give one")
    for option, value in (("style", style), ("mode", mode), ("meter", meter), ("range", range_), ("keep", keep)):
        check_text(option, value)
    check_key(key, mode=mode)
    check_int("melody.tempo", tempo, tool="generate_melody")
    check_int("melody.bars", bars, tool="continue_melody" if continue_ and not keep else "generate_melody")
    check_int("melody.seed", seed, tool="generate_melody")
    state, ctx = song_state(continue_ or vary), action_context(out=out)
    given = {"style": style, "key": key, "mode": mode, "meter": meter, "tempo": tempo, "range": range_,
             "temperature": temperature}
    if keep:
        outcome = act.regenerate_bars(state, ctx, keep=keep, seed=seed, **given)
    elif continue_:
        outcome = act.continue_melody(state, ctx, bars=bars, seed=seed, **given)
    elif vary:
        outcome = act.vary_melody(state, ctx, seed=seed, **given)
    else:
        outcome = act.generate_melody(state, ctx, bars=bars, seed=seed, **given)
    result = outcome.detail
    say(render_terminal(outcome.state.song))
    say(f"estimated key: {result.estimated_key}   seed: {result.seed}   attempts: {result.attempts}   "
               f"time: {result.seconds:.2f}s")
    say(result.report.summary())
    if outcome.artifact.get("swing"):
        say(outcome.artifact["swing"])
    echo_files(outcome.files)


def register_music_commands(app: typer.Typer) -> None:
    """Attach the one-shot commands to the main app."""
    app.command()(analyze)
    app.command()(melody)
