"""`tunesmith adapt DIR --name NAME`: teach the model a style from a person's own files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .config import load_config
from .edge import check_int, check_text, say


def adapt(
    folder: Annotated[Path, typer.Argument(help="A folder of your MIDI (or MusicXML/ABC) melodies, 10-50 files.")],
    name: Annotated[str, typer.Option(help="Name of the new style, e.g. my-ballads; use it as --style NAME.")],
    steps: Annotated[int, typer.Option(help="Training steps (300 takes a few minutes on 2 cores).")] = 300,
) -> None:
    """Train a style adapter on your own melodies; afterwards `--style NAME` works everywhere."""
    from ..tools.melody.adapt import adapt_style, check_name

    check_text("name", name)
    check_int("adapt.steps", steps)
    config = load_config()
    check_name(name)
    say(f"training style {name!r} from {folder} (Ctrl-C stops and keeps a resumable checkpoint)", err=True)
    result = adapt_style(folder, name=name, base_dir=config.default_checkpoint, styles_home=config.user_styles,
                         run_dir=config.home / "runs" / f"adapt-{name}", steps=steps)
    for file, reason in result.skipped:
        say(f"skipped {file}: {reason}")
    say(f"style {name!r} trained on {len(result.used)} files in {result.seconds:.0f}s "
               f"(train loss {result.train_loss}, valid loss {result.valid_loss}); saved to {result.folder}")
    say(f"try: tunesmith melody --style {name} --bars 8")
