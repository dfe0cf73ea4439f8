"""`tunesmith analyze|melody|chords|lyrics …`: the one-shot music commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .config import load_config


def analyze(
    file: Annotated[Path, typer.Argument(help="A melody as MIDI (.mid), MusicXML (.musicxml/.xml/.mxl) or ABC (.abc).")],
    voice: Annotated[str | None, typer.Option(help="Check the range for a voice: soprano, alto, tenor, bass.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the analysis as JSON.")] = False,
) -> None:
    """Analyze a melody: key, meter, tempo, range, bars, nearest corpus style and theory findings."""
    from ..tokenization.files import read_song
    from ..tools.theory.analyze import analyze_song

    config = load_config()
    song = read_song(file)
    result = analyze_song(song, profiles_path=config.default_checkpoint / "style_profiles.json", voice=voice)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=1))
    else:
        typer.echo(result.text())


def _parse_keep(text: str) -> tuple[int, int]:
    from ..tools.errors import ToolError

    parts = text.replace(" ", "").split("-")
    if len(parts) not in (1, 2) or not all(p.isdigit() for p in parts):
        raise ToolError(f"--keep takes bar numbers like 1-4, not {text!r}")
    first, last = int(parts[0]), int(parts[-1])
    return first, last


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
    from ..finetune.runtime import load_runtime
    from ..tokenization.files import read_song, write_song
    from ..tokenization.view import render_terminal
    from ..tools.melody import compose as tool
    from ..tools.melody.request import build_request
    from ..tools.errors import ToolError

    from ..finetune.lora import list_adapters

    config = load_config(overrides={"out_dir": out})
    if keep and not continue_:
        raise ToolError("--keep needs --continue FILE (the melody whose bars to keep)")
    source = read_song(continue_ or vary) if (continue_ or vary) else None
    given = source.melody if source else None
    given_key = given.key if given is not None else None
    if given is not None and given_key is None and key is None:
        from ..tools.theory.key import estimate_key

        given_key = estimate_key(given)[0]
    request = build_request(
        style=style, key=key or given_key, mode=mode,
        meter=meter or (given.meter if given else None), tempo=tempo or (given.tempo if given else None),
        bars=bars, range_=range_, seed=seed, temperature=temperature,
        adapters=tuple(list_adapters(config.default_checkpoint)) + tuple(list_adapters(config.user_styles)),
    )
    runtime = load_runtime(config.default_checkpoint, user_styles=config.user_styles)
    if keep:
        result = tool.regenerate_bars(given, keep=_parse_keep(keep), runtime=runtime, request=request)
    elif given is not None and continue_:
        result = tool.continue_melody(given, runtime=runtime, request=request)
    elif given is not None:
        result = tool.vary_melody(given, runtime=runtime, request=request)
    else:
        result = tool.new_melody(request, runtime=runtime)
    stem = f"melody-{(request.style or 'free')}-{request.key.tonic}{request.key.mode[:3]}-s{result.seed}"
    files = write_song(result.song, config.out_dir, stem=stem)
    typer.echo(render_terminal(result.song))
    typer.echo(f"estimated key: {result.estimated_key}   seed: {result.seed}   attempts: {result.attempts}   "
               f"time: {result.seconds:.2f}s")
    typer.echo(result.report.summary())
    for kind, path in files.items():
        typer.echo(f"wrote {kind}: {path}")


def register_music_commands(app: typer.Typer) -> None:
    """Attach the one-shot commands to the main app."""
    app.command()(analyze)
    app.command()(melody)
