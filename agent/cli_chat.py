"""`tunesmith chat`, `tunesmith run PROMPT` and `tunesmith batch FILE --out DIR`: the agent's commands.

All three go through session.respond.  LangChain and rich are imported inside the
commands so `tunesmith --help` stays instant.  Errors propagate to agent/cli.py; only
`batch` picks its own exit code (see agent/batch.py).
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from .config import load_config, safe_out_dir
from .edge import check_int, check_text, clean, say

MODEL_HELP = ("Chat model: ollama:NAME, ollama:NAME@http://host:port, openai:NAME@http://host:port/v1, "
              "hf:/path/to/folder or embedded (default: TUNESMITH_MODEL, then config.toml, then embedded).")


def _console_io(*, stream: bool) -> dict[str, Any]:
    """echo/write for the terminal: rich styles on a TTY, plain text when piped."""
    from rich.console import Console

    console = Console(highlight=False)

    def echo(text: str, style: str | None = None) -> None:
        console.print(clean(text), style=style, markup=False, highlight=False, soft_wrap=True)

    def write(chunk: str) -> None:
        console.file.write(clean(chunk))
        console.file.flush()

    return {"echo": echo, "write": write if stream and console.is_terminal else None}


def enable_history(path: Path) -> None:
    """Up-arrow history for input(), kept in `path` between chats (readline; absent on some systems)."""
    try:
        import atexit
        import readline
    except ImportError:  # pragma: no cover
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_file():
            readline.read_history_file(path)
    except OSError:
        return
    readline.set_history_length(1000)
    atexit.register(readline.write_history_file, path)


def _start(model: str | None, out: Path | None, *, session_id: str | None = None, resume: bool = False):
    from .session import new_session, new_session_id, open_session
    from .store import SessionStore

    check_text("model", model)
    check_text("session", session_id)
    config = load_config(overrides={"model": model, "out_dir": out})
    store = SessionStore(config.sessions_db)
    resources = config.models()
    if session_id or resume:
        return config, open_session(store, session_id, resources=resources, model=model)
    new_id = new_session_id()
    return config, new_session(model=config.model, out_dir=config.out_dir / f"session-{new_id}", resources=resources,
                               store=store, session_id=new_id)


def chat(
    model: Annotated[str | None, typer.Option("--model", "-m", help=MODEL_HELP)] = None,
    session: Annotated[str | None, typer.Option("--session", help="Resume the session with this id.")] = None,
    continue_: Annotated[bool, typer.Option("--continue", "-c", help="Resume the latest session.")] = False,
    melody: Annotated[Path | None, typer.Option(help="Start with this melody file (MIDI, MusicXML, ABC).")] = None,
    style: Annotated[str | None, typer.Option(help="Start with this style, e.g. irish-jig.")] = None,
    no_stream: Annotated[bool, typer.Option("--no-stream", help="Print each reply when it is complete.")] = False,
    out: Annotated[Path | None, typer.Option(help="Output folder (default ./tunesmith-out/session-ID).")] = None,
) -> None:
    """Chat about a song: the agent writes melodies and chords, checks them and exports files."""
    from .repl import run_repl

    if session and continue_:
        raise typer.BadParameter("give --session ID or --continue, not both")
    check_text("style", style)
    config, current = _start(model, out, session_id=session, resume=continue_)
    io = _console_io(stream=not no_stream)
    tty = sys.stdin.isatty()
    if tty:
        enable_history(config.history_file)
    startup = ([f"/load {shlex.quote(str(melody))}"] if melody else []) + (
        [f"/style {shlex.quote(style)}"] if style else [])
    run_repl(current, read=lambda prompt: input(prompt if tty else ""), echo=io["echo"], write=io["write"],
             startup=tuple(startup))


def run(
    prompt: Annotated[str, typer.Argument(help="What to ask, e.g. 'an 8-bar jig in D, then chords'.")],
    model: Annotated[str | None, typer.Option("--model", "-m", help=MODEL_HELP)] = None,
    melody: Annotated[Path | None, typer.Option(help="A melody file the session starts with.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the turn as one JSON object.")] = False,
    no_stream: Annotated[bool, typer.Option("--no-stream", help="Print the reply when it is complete.")] = False,
    out: Annotated[Path | None, typer.Option(help="Output folder (default ./tunesmith-out/session-ID).")] = None,
) -> None:
    """Answer one prompt (tools included) and exit; `tunesmith chat -c` continues it."""
    from .repl import load_melody, show_tool
    from .session import respond

    check_text("prompt", prompt)
    _, current = _start(model, out)
    io = _console_io(stream=not (no_stream or as_json))
    quiet = lambda text, style=None: None  # noqa: E731
    echo = quiet if as_json else io["echo"]
    if melody:  # with --json, stdout is the JSON alone: what /load says goes to stderr
        to_stderr = lambda text, style=None: say(text, err=True)  # noqa: E731
        load_melody(current, melody, echo=to_stderr if as_json else io["echo"])  # a bad file ends the run (exit 1)
    turn = respond(current, prompt, on_token=io["write"], on_tool=lambda call: show_tool(echo, call))
    if as_json:
        data = turn.as_dict()
        data.pop("messages")
        say(json.dumps(dict(data, session=current.id, files=list(turn.files)), ensure_ascii=False))
    elif io["write"] is not None:
        io["write"]("\n")
    else:
        echo(turn.reply)


def batch(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Prompts as JSONL: id, prompt or messages, optional melody.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for results.jsonl and one folder of files per id.")],
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Prompts run at the same time.")] = 1,
    model: Annotated[str | None, typer.Option("--model", "-m", help=MODEL_HELP)] = None,
) -> None:
    """Run a prompt file; resumable: run it again after an interruption and only the rest runs.

    Exit codes: 0 all ran; 1 some prompt failed or a line was malformed; 2 usage error; 3 the chat model is unavailable (resume later); 130 interrupted (resume by running it again).
    """
    from .batch import run_batch

    check_int("batch.jobs", jobs)
    check_text("model", model)
    config = load_config(overrides={"model": model})
    out = safe_out_dir(out)

    def progress(record: dict) -> None:
        mark = "ok " if record["ok"] else "ERR"
        what = record["id"] if record["id"] is not None else f"line {record['line']}"
        detail = record["error"] or f"{len(record['tool_calls'])} tool call(s), {record['seconds']:.1f}s"
        say(f"{mark} {what}: {detail}", err=True)

    summary = run_batch(file, out, jobs=jobs, model=config.model, resources=config.models(),
                        on_result=progress)
    say(f"{summary.ok} ok, {summary.failed} failed, {summary.malformed} malformed, {summary.skipped} done "
               f"before; {summary.seconds:.1f}s; results in {summary.results}", err=True)
    if summary.stopped:
        say(f"stopped: {summary.stopped}", err=True)
    raise typer.Exit(summary.exit_code)
