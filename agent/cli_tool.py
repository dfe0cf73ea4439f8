"""`tunesmith tool NAME [FILE] [ARG=VALUE …]`: any tool of the contract, one-shot, by name.

The arguments are the contract's (validated by the same argument model the agent uses), so a
tool added to prompts/tools.toml with its action is on the command line at once, with no
new code here.  `tunesmith tool --list` shows every tool and its arguments.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from .cli_music import FILE_HELP, action_context, echo_files, song_state
from .edge import check_text, clean, say


def parse_pairs(pairs: list[str]) -> dict[str, str]:
    """['bars=8', 'key=D minor'] -> {'bars': '8', 'key': 'D minor'}.

    >>> parse_pairs(["bars=8", "key=D minor"])
    {'bars': '8', 'key': 'D minor'}
    """
    from ..tools.errors import ToolError

    found: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ToolError(f"tool arguments look like NAME=VALUE (e.g. bars=8), not {pair!r}")
        found[name.strip()] = check_text(name.strip(), value.strip(), empty_ok=True) or ""
    return found


def invoke(name: str, pairs: list[str], *, file: Path | None = None, out: Path | None = None,
           table: Mapping[str, Any] | None = None) -> Any:
    """Run tool `name` on the song in `file` with NAME=VALUE arguments; the Outcome.

    `table` (name -> (action, argument model)) defaults to the contract's tools and their actions."""
    from ..tools.errors import ToolError
    from .toolkit import action_table, checked_args

    table = table if table is not None else action_table()
    if name not in table:
        raise ToolError(f"unknown tool {name!r}; known tools: {', '.join(table)}")
    action, schema = table[name]
    values = checked_args(name, schema, parse_pairs(pairs))
    label = file.stem.lower() if file is not None else None
    return action(song_state(file, title_from_file=True), action_context(out=out, label=label), **values)


def tool(
    name: Annotated[str | None, typer.Argument(help="The tool, e.g. generate_melody, recommend_chords (see --list).")] = None,
    args: Annotated[list[str] | None, typer.Argument(help="Arguments as NAME=VALUE, e.g. bars=8 'key=D minor'.")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help=FILE_HELP + " The song the tool works on.")] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default ./tunesmith-out).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary, files and findings as JSON.")] = False,
    list_: Annotated[bool, typer.Option("--list", help="List the tools and their arguments.")] = False,
) -> None:
    """Run any tool of the agent by name, as the chat model would call it."""
    if list_ or name is None:
        say(tool_list())
        return
    outcome = invoke(name, list(args or []), file=file, out=out)
    if as_json:
        say(json.dumps({"summary": outcome.summary, "files": outcome.files, "findings": list(outcome.findings),
                               "notes": list(outcome.notes)}, ensure_ascii=False, indent=1))
        return
    if outcome.artifact.get("view"):
        say(outcome.artifact["view"])
    say(outcome.summary)
    for note in outcome.notes:
        typer.secho(clean(f"note: {note}"), dim=True)
    echo_files(outcome.files)


def tool_list() -> str:
    """One line per tool: name, task and arguments (required ones marked)."""
    from ..tokenization.contract import contract

    lines = []
    for t in contract().tools.values():
        args = " ".join(f"{a.name}{'*' if a.required else ''}" for a in t.args) or "(no arguments)"
        lines.append(f"{t.name:<18} {t.task:<8} {args}")
    return "\n".join(lines) + "\n(* required)"
