"""`tunesmith chat`, `tunesmith run PROMPT` and `tunesmith batch FILE --out DIR`: the agent's commands.

All three go through session.respond.  LangChain and rich are imported inside the
commands so `tunesmith --help` stays instant.  Errors propagate to agent/cli.py; only
`batch` picks its own exit code (see agent/batch.py).
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from .config import load_config, safe_out_dir
from .edge import check_int, check_text, clean, say
from .errors import AgentError

MODEL_HELP = ("Chat model: ollama:NAME, ollama:NAME@http://host:port, openai:NAME@http://host:port/v1, "
              "hf:/path/to/folder or embedded (default: TUNESMITH_MODEL, then config.toml, then embedded).")


def _console_io(*, stream: bool, busy: str = "working… (Ctrl-C cancels)") -> dict[str, Any]:
    """echo/write for the terminal: rich styles on a TTY, plain text when piped; tool lines cut to
    the terminal's width; a spinner on stderr while a turn works, only when stderr is a terminal."""
    from rich.console import Console

    console = Console(highlight=False)
    errors = Console(stderr=True, highlight=False)
    terminal = console.is_terminal and not console.is_dumb_terminal

    def echo(text: str, style: str | None = None) -> None:
        console.print(clean(text), style=style, markup=False, highlight=False, soft_wrap=True)

    def write(chunk: str) -> None:
        console.file.write(clean(chunk))
        console.file.flush()

    spins = errors.is_terminal and not errors.is_dumb_terminal
    return {"echo": echo, "write": write if stream and console.is_terminal else None,
            "spinner": errors.status(busy, spinner="dots") if spins else None,
            "width": (lambda: console.width) if terminal else None}


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


def enable_completion(complete: Callable[[str], list[str]]) -> None:
    """Tab completes slash commands and what they take (readline, like enable_history): `complete`
    gets the line up to the cursor and gives whole words for its last word."""
    try:
        import readline
    except ImportError:  # pragma: no cover
        return
    found: list[str] = []

    def completer(text: str, state: int) -> str | None:
        if state == 0:
            try:
                before = readline.get_line_buffer()[:readline.get_endidx()]
                found[:] = [word for word in complete(before) if word.startswith(text)]
            except Exception:  # noqa: BLE001 - a completion must never break the prompt
                found[:] = []
        return found[state] if state < len(found) else None

    readline.set_completer_delims(" \t\n")
    readline.set_completer(completer)
    libedit = "libedit" in (readline.__doc__ or "")  # macOS's readline module
    readline.parse_and_bind("bind ^I rl_complete" if libedit else "tab: complete")


def completions(before: str, *, tools: Sequence[str]) -> list[str]:
    """What Tab may put for the last word of `before` (the line up to the cursor): command names,
    then the tool names /show takes, /export's formats, /style's styles and NAME=VALUE settings,
    /load's files.  A complete word ends in a space; one that goes on (key=, a folder/) does not.

    >>> completions("/sh", tools=[]), completions("/show rec", tools=["recommend_chords", "set_style"])
    (['/show '], ['recommend_chords '])
    >>> completions("/export m", tools=[]), completions("/style mode=do", tools=[])
    (['midi ', 'musicxml '], ['mode=dorian '])
    """
    from ..tokenization.contract import contract, vocabulary
    from .repl import COMMANDS

    words = before.split()
    last = "" if not words or before[-1:].isspace() else words[-1]
    done = words[:-1] if last else words
    if not done:
        if last and not last.startswith("/"):
            return []  # a chat message: nothing to complete
        return [f"{name} " for name in (*COMMANDS, "/quit") if name.startswith(last)]
    command = done[0].lower()
    if command == "/show" and len(done) == 1:
        choices = [f"{name} " for name in tools]
    elif command == "/export":
        choices = [f"{fmt} " for fmt in contract().tool("export_song").arg("format").enum]
    elif command == "/style":
        settings = {arg.name: arg.enum or (vocabulary(arg.vocab) if arg.vocab else ())
                    for arg in contract().tool("set_style").args}
        key, sep, _ = last.partition("=")
        if sep:
            return [f"{key}={value} " for value in settings.get(key, ()) if f"{key}={value}".startswith(last)]
        choices = [f"{value} " for value in settings.get("style", ())]
        choices += [f"{name}=" for name in settings if name != "style"]
    elif command == "/load" and len(done) == 1:
        choices = _file_choices(last)
    elif command == "/save":
        choices = ["--force "]
    else:
        choices = []
    return [word for word in choices if word.startswith(last)]


def _file_choices(typed: str) -> list[str]:
    """Files and folders whose path starts with `typed`, written the way it was typed (~ stays ~),
    folders ending in a slash; spaces and quotes escaped with a backslash, as /load reads them."""
    import glob
    import os
    import re

    expanded = os.path.expanduser(typed)
    found = []
    for path in sorted(glob.glob(glob.escape(expanded) + "*"))[:200]:
        shown = typed + re.sub(r"""([\s\\'"])""", r"\\\1", path[len(expanded):])
        found.append(shown + "/" if os.path.isdir(path) else shown + " ")
    return found


def _start(model: str | None, out: Path | None, *, session_id: str | None = None, resume: bool = False):
    from .session import new_session, new_session_id, open_session
    from .store import SessionStore

    check_text("model", model)
    check_text("session", session_id)
    if session_id and resume:
        raise AgentError("give --session ID or --continue, not both")
    if out is not None and (session_id or resume):
        raise AgentError("--out names a new session's folder; a resumed session keeps its own "
                         "(`tunesmith sessions` shows it)")
    config = load_config(overrides={"model": model, "out_dir": out})
    store = SessionStore(config.sessions_db)
    resources = config.models()
    if session_id or resume:
        return config, open_session(store, session_id, resources=resources, model=model)
    new_id = new_session_id()
    return config, new_session(model=config.model, out_dir=config.out_dir / f"session-{new_id}", resources=resources,
                               store=store, session_id=new_id)


SESSION_HELP = "Resume the saved session with this id (`tunesmith sessions` lists them)."
CONTINUE_HELP = "Resume the latest saved session (the first one `tunesmith sessions` lists)."
OUT_HELP = "Output folder of a new session (default ./tunesmith-out/session-ID; a resumed one keeps its own)."


def chat(
    model: Annotated[str | None, typer.Option("--model", "-m", help=MODEL_HELP)] = None,
    session: Annotated[str | None, typer.Option("--session", help=SESSION_HELP)] = None,
    continue_: Annotated[bool, typer.Option("--continue", "-c", help=CONTINUE_HELP)] = False,
    melody: Annotated[Path | None, typer.Option(help="Start with this melody file (MIDI, MusicXML, ABC).")] = None,
    style: Annotated[str | None, typer.Option(help="Start with this style, e.g. irish-jig.")] = None,
    no_stream: Annotated[bool, typer.Option("--no-stream", help="Print each reply when it is complete.")] = False,
    out: Annotated[Path | None, typer.Option(help=OUT_HELP)] = None,
) -> None:
    """Chat about a song: the agent writes melodies and chords, checks them and exports files.

    Tab completes slash commands, tool names (/show TOOL) and settings (/style mood=…).
    """
    from .repl import run_repl, tool_names

    check_text("style", style)
    config, current = _start(model, out, session_id=session, resume=continue_)
    io = _console_io(stream=not no_stream)
    tty = sys.stdin.isatty()
    if tty:
        enable_history(config.history_file)
        enable_completion(lambda before: completions(before, tools=tool_names(current)))
    startup = ([f"/load {shlex.quote(str(melody))}"] if melody else []) + (
        [f"/style {shlex.quote(style)}"] if style else [])
    run_repl(current, read=lambda prompt: input(prompt if tty else ""), echo=io["echo"], write=io["write"],
             startup=tuple(startup), spinner=io["spinner"], width=io["width"])


def run(
    prompt: Annotated[str, typer.Argument(help="What to ask, e.g. 'an 8-bar jig in D, then chords'.")],
    model: Annotated[str | None, typer.Option("--model", "-m", help=MODEL_HELP)] = None,
    session: Annotated[str | None, typer.Option("--session", help="Answer in the saved session with this id "
                                                "(its song, history and output folder).")] = None,
    continue_: Annotated[bool, typer.Option("--continue", "-c", help="Answer in the latest saved session "
                                            "(the first one `tunesmith sessions` lists).")] = False,
    melody: Annotated[Path | None, typer.Option(help="A melody file the session starts with "
                                                "(a resumed one loads it).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the turn as one JSON object.")] = False,
    no_stream: Annotated[bool, typer.Option("--no-stream", help="Print the reply when it is complete.")] = False,
    out: Annotated[Path | None, typer.Option(help=OUT_HELP)] = None,
) -> None:
    """Answer one prompt (tools included) and exit; `tunesmith run -c PROMPT` or `tunesmith chat -c` continues it."""
    from .repl import load_melody, turn_output
    from .session import respond

    check_text("prompt", prompt)
    _, current = _start(model, out, session_id=session, resume=continue_)
    io = _console_io(stream=not (no_stream or as_json), busy="working…")
    to_stderr = lambda text, style=None: say(text, err=True)  # noqa: E731
    echo = (lambda text, style=None: None) if as_json else io["echo"]  # with --json, stdout is the JSON alone
    for line in current.damaged:
        to_stderr(line)
    if melody:  # what /load says goes to stderr with --json
        load_melody(current, melody, echo=to_stderr if as_json else io["echo"])  # a bad file ends the run (exit 1)
    with turn_output(echo=echo, write=io["write"], spinner=io["spinner"], width=io["width"]) as shown:
        turn = respond(current, prompt, on_token=shown.on_token, on_tool=shown.tool)
    if as_json:
        data = turn.as_dict()
        data.pop("messages")
        say(json.dumps(dict(data, session=current.id, files=list(turn.files)), ensure_ascii=False))
    elif turn.reply and not shown.streamed:
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
