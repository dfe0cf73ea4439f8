"""`tunesmith chords FILE`: chords for a melody, with alternatives, a lead sheet and a MIDI file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .config import load_config


def chords(
    file: Annotated[Path, typer.Argument(help="A melody as MIDI (.mid), MusicXML (.musicxml/.xml/.mxl) or ABC (.abc).")],
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
    from ..tokenization.files import read_song, write_song
    from ..tokenization.view import render_terminal
    from ..tools.chords.recommend import HARMONY_ADAPTER, recommend_chords
    from ..tools.errors import ToolError

    if k < 1:
        raise ToolError(f"--k must be at least 1, not {k}")
    config = load_config(overrides={"out_dir": out})
    song = read_song(file)
    if song.title == "Untitled":
        from dataclasses import replace

        song = replace(song, title=file.stem)
    runtime, why = _runtime(config.default_checkpoint, HARMONY_ADAPTER)
    result = recommend_chords(song, per=per, style=style, k=k, runtime=runtime, key=key, seed=seed)
    typer.echo(render_terminal(result.song))
    typer.echo(result.text(max_slots=None if all_slots else 16))
    for note in result.notes:
        typer.secho(note, dim=True)
    if why:
        typer.secho(why, dim=True)
    typer.echo(result.report.summary())
    stem = f"chords-{_slug(file.stem)}-{result.per}" + (f"-s{seed}" if seed else "")
    files = write_song(result.song, config.out_dir, stem=stem)
    typer.echo(f"{len(result.song.chords)} chords in {result.key}, {result.seconds:.2f}s")
    for kind, path in files.items():
        typer.echo(f"wrote {kind}: {path}")


def _runtime(checkpoint: Path, adapter: str):
    """The loaded model when the checkpoint has the harmony adapter, else (None, why)."""
    from ..finetune.lora import list_adapters

    if not (checkpoint / "config.json").is_file():
        return None, f"no trained model in {checkpoint}: chords from the rule-based scorer only"
    if adapter not in list_adapters(checkpoint):
        return None, f"the model in {checkpoint} has no {adapter} adapter: chords from the rule-based scorer only"
    from ..finetune.runtime import load_runtime

    return load_runtime(checkpoint), None


def _slug(text: str) -> str:
    """A file-name-safe stem.

    >>> _slug("My Song (v2)")
    'my-song-v2'
    """
    import re

    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "melody"
