"""`tunesmith corpus …`: build the training corpus from the music that ships with music21."""

from __future__ import annotations

import typer

corpus_app = typer.Typer(help="Build and inspect the training corpus.", no_args_is_help=True)
