"""`tunesmith sessions`: the saved chat sessions, newest first, to pick one for `chat --session ID`.

Reads the store only; a machine with no sessions file gets one line and no new file.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from .config import load_config
from .edge import clean, say
from .errors import AgentError

MAX_LIMIT = 10_000
LAST_CELLS = 40  # of the last message


def sessions(
    limit: Annotated[int, typer.Option("--limit", "-n", help=f"Show at most this many sessions (1-{MAX_LIMIT}).")] = 20,
) -> None:
    """List saved chat sessions, newest first: id, started, model, turns, last message, output folder.

    The first is the one `chat -c` and `run -c PROMPT` continue; `--session ID` resumes any other.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise AgentError(f"--limit must be 1-{MAX_LIMIT}, not {limit}")
    config = load_config()
    rows: list[dict[str, Any]] = []
    if config.sessions_db.is_file():
        from .store import SessionStore

        store = SessionStore(config.sessions_db)
        try:
            rows = store.overview(limit=limit)
        finally:
            store.close()
    if not rows:
        say(f"no saved sessions in {config.sessions_db} yet; `tunesmith chat` starts one")
        return
    for line in session_lines(rows):
        say(line)


def session_lines(rows: list[dict[str, Any]]) -> list[str]:
    """A header and one aligned line per session (the folder last: it is the longest).

    >>> session_lines([{"id": "s1", "created": 0, "model": "embedded", "turns": 2, "last": "a jig in D",
    ...                 "out_dir": "/o/session-s1"}])[1][:4]
    's1  '
    """
    from rich.cells import cell_len

    from .repl import fit_cells

    table = [("id", "started", "model", "turns", "last message", "output folder")]
    for row in rows:
        last = " ".join(clean(row["last"]).split())
        table.append((row["id"], time.strftime("%Y-%m-%d %H:%M", time.localtime(row["created"])), clean(row["model"]),
                      str(row["turns"]), fit_cells(last, LAST_CELLS) if last else "-", _home_short(row["out_dir"])))
    widths = [max(cell_len(line[i]) for line in table) for i in range(len(table[0]) - 1)]
    return ["  ".join([*(cell + " " * (width - cell_len(cell)) for cell, width in zip(line, widths)), line[-1]])
            for line in table]


def _home_short(folder: str) -> str:
    """The folder with the home folder written as ~ (shorter; the same place)."""
    home = str(Path.home())
    return "~" + folder[len(home):] if folder == home or folder.startswith(home + "/") else folder
