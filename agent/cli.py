"""The `tunesmith` command line (typer).  The only place exceptions become exit codes.

Heavy imports (music21, torch) happen inside the commands, so `tunesmith --help` is instant.
Exit codes: 0 ok, 1 a clear error (bad input, bad file, failed check), 2 usage error,
130 interrupted.
"""

from __future__ import annotations

import sys

from typing import Annotated

import typer
from typer.core import TyperCommand, TyperGroup

from ..prompts.errors import TunesmithError
from .cli_adapt import adapt
from .cli_chat import batch, chat, run
from .cli_chords import chords
from .cli_corpus import corpus_app
from .cli_demo import demo
from .cli_harmony import harmony_app
from .cli_lm import lm_app
from .cli_lyrics import lyrics
from .cli_text import text_app
from .cli_train import train_app
from .cli_music import register_music_commands
from .cli_sessions import sessions
from .cli_tool import tool
from .edge import clean


class _FlagHelp:
    """Flags (--json, --all, --help …) listed as the flags they are, without typer's `<bool>`."""

    def get_params(self, ctx):  # type: ignore[no-untyped-def]
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return params


class Command(_FlagHelp, TyperCommand):
    pass


class Group(_FlagHelp, TyperGroup):
    pass


def _flag_help_everywhere(typer_app: typer.Typer) -> None:
    """Every command and sub-app of `typer_app` uses the classes above (one place, not each declaration)."""
    typer_app.info.cls = Group
    for info in typer_app.registered_commands:
        info.cls = Command if info.cls in (None, TyperCommand) else info.cls
    for group in typer_app.registered_groups:
        group.cls = Group if group.cls in (None, TyperGroup) else group.cls
        _flag_help_everywhere(group.typer_instance)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"tunesmith {version('tunesmith')}")
        except PackageNotFoundError:  # run from a source tree that was never installed
            typer.echo("tunesmith (not installed)")
        raise typer.Exit()


app = typer.Typer(
    name="tunesmith",
    help="Offline songwriting assistant: melodies, chords and lyrics, checked with music21.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=Group,
)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.",
                                          callback=_version, is_eager=True)] = False,
) -> None:
    """Offline songwriting assistant: melodies, chords and lyrics, checked with music21."""

app.add_typer(corpus_app, name="corpus")
app.add_typer(harmony_app, name="harmony")
app.add_typer(train_app, name="train")
app.add_typer(text_app, name="text")
app.add_typer(lm_app, name="lm")
register_music_commands(app)
app.command()(chords)
app.command()(lyrics)
app.command()(adapt)
app.command()(demo)
app.command()(chat)
app.command()(batch)
app.command("run")(run)
app.command()(sessions)
app.command()(tool)
_flag_help_everywhere(app)


def main(argv: list[str] | None = None) -> None:
    """Entry point: typer handles usage errors (exit 2); known errors become one line and exit 1."""
    try:
        app(args=argv)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as err:  # noqa: BLE001 - the one place errors become exit codes
        if isinstance(err, (TunesmithError, OSError)):
            typer.echo(clean(f"error: {err}").replace("\n", " "), err=True)
            sys.exit(1)
        raise


if __name__ == "__main__":
    main()
