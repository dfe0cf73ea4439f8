"""`tunesmith analyze|melody|chords|lyrics …`: the one-shot music commands."""

from __future__ import annotations

import typer


def register_music_commands(app: typer.Typer) -> None:
    """Attach the one-shot commands to the main app."""
