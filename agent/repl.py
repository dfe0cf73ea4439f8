"""The terminal chat loop: read a line, run a slash command or a chat turn, print the result.

The loop only does I/O; `respond` and the tools do the work.  `read(prompt)` and
`echo(text, style)` are injected (input and a rich console in the terminal, lists in
tests); `write(chunk)`, when given, streams the reply as it is generated; `spinner` (start/stop)
runs while a turn works, stopped whenever something is printed.  A tool call is one line
(`/show NAME` shows what it made).  Ctrl-C during a turn cancels it and keeps the session as
it was; Ctrl-D or /quit leaves.
"""

from __future__ import annotations

import json
import logging
import re
import shlex
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from ..prompts.errors import TunesmithError
from .edge import text_limit
from .errors import AgentError
from .session import Session, ToolCall, Turn, command_turn, respond
from ..tools.actions.state import describe, with_song
from .toolkit import call_tool

log = logging.getLogger(__name__)

PROMPT = "you> "
MIN_SUMMARY_CELLS = 24  # a tool line's summary keeps at least this (or twice it) before file names give way
QUIT = object()
Echo = Callable[..., None]


class Spinner(Protocol):
    """What shows that a turn is running (rich's Status in a terminal); start and stop may repeat."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def _value_text(value: Any) -> str:
    plain = isinstance(value, str) and value and not any(c.isspace() or c in "'\"" for c in value)
    return value if plain else repr(value)


def fit_cells(text: str, width: int) -> str:
    """`text` cut to `width` terminal cells, "…" marking the cut (wide characters count two).

    >>> fit_cells("| D | G D | A7 | D |", 10), fit_cells("春眠不觉晓", 7)
    ('| D | G D…', '春眠不…')
    """
    from rich.cells import cell_len, set_cell_size

    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(width - 1, 0)).rstrip() + "…" if width > 0 else ""


def tool_line(call: ToolCall, *, width: int | None = None) -> str:
    """One line per tool call: mark, name, arguments, the summary's first line and the files by name;
    cut to `width` cells (None: not cut) in the summary, the file names giving way on a narrow terminal."""
    files = [str(p) for p in (call.artifact.get("files") or {}).values()] if call.ok else []
    lines = call.content.strip().splitlines()
    text = lines[0].strip() if lines else ""
    if not call.ok:
        for prefix in (f"{call.name} failed: ", f"{call.name}: "):
            text = text.removeprefix(prefix)
    names = list(dict.fromkeys(Path(p).name for p in files))
    if files:
        text = re.sub(r"\s*Files?: .*$", "", text)
        for path in files:
            text = text.replace(path, Path(path).name)
    missing = [name for name in names if name not in text]
    tail = f" (files: {', '.join(missing)})" if missing else ""
    args = " ".join(f"{k}={_value_text(v)}" for k, v in call.args.items())
    head = f"  {'✓' if call.ok else '✗'} {call.name}{' ' + args if args else ''}: "
    if width is None:
        return head + text + tail
    from rich.cells import cell_len

    if cell_len(head + text + tail) <= width:
        return head + text + tail
    short = f" (files: {missing[0]}, …)" if len(missing) > 1 else tail
    for end, least in ((tail, 2 * MIN_SUMMARY_CELLS), (short, MIN_SUMMARY_CELLS)):
        if end and width - cell_len(head + end) >= least:
            return head + fit_cells(text, width - cell_len(head + end)) + end
    return fit_cells(head + text, width)  # the summary first; /show NAME names the files


def show_tool(echo: Echo, call: ToolCall, *, width: int | None = None) -> None:
    """A tool call as it happens: one line (`/show NAME` prints what it made in full)."""
    echo(tool_line(call, width=width), style="dim" if call.ok else "red")


class TurnOutput:
    """What a running turn prints: streamed text, one line per tool call, and the spinner between
    them: stopped while text streams or a line prints, started again after a tool line."""

    def __init__(self, *, echo: Echo, write: Callable[[str], None] | None = None, spinner: Spinner | None = None,
                 width: Callable[[], int | None] | None = None) -> None:
        self.echo, self.write, self.spinner, self.width = echo, write, spinner, width
        self.open = False  # streamed text waits for its newline
        self.streamed = False  # the text after the last tool call was streamed (the reply is not echoed)

    def spin(self, on: bool) -> None:
        if self.spinner is not None:
            self.spinner.start() if on else self.spinner.stop()

    def token(self, chunk: str) -> None:
        self.spin(False)
        self.write(chunk)
        self.open = self.streamed = True

    def tool(self, call: ToolCall) -> None:
        self.spin(False)
        self.close_line()
        self.streamed = False
        show_tool(self.echo, call, width=self.width() if self.width else None)
        self.spin(True)

    def close_line(self) -> None:
        if self.open:
            self.write("\n")
            self.open = False

    @property
    def on_token(self) -> Callable[[str], None] | None:
        return self.token if self.write is not None else None


@contextmanager
def turn_output(**io: Any) -> Iterator[TurnOutput]:
    """A TurnOutput with the spinner running; stopped and the line closed however the turn ends
    (Ctrl-C and errors included), before anything else is printed."""
    out = TurnOutput(**io)
    out.spin(True)
    try:
        yield out
    finally:
        out.spin(False)
        out.close_line()


def chat_turn(session: Session, text: str, *, echo: Echo, write: Callable[[str], None] | None = None,
              spinner: Spinner | None = None, width: Callable[[], int | None] | None = None) -> Turn | None:
    """One chat turn with its output; None when it was cancelled or failed (the session is unchanged).

    Streamed text is written as it comes; a tool call closes the open line first.  The reply
    is echoed whole only when it was not streamed (no `write`, or a model that does not stream).
    """
    try:
        with turn_output(echo=echo, write=write, spinner=spinner, width=width) as out:
            turn = respond(session, text, on_token=out.on_token, on_tool=out.tool)
    except KeyboardInterrupt:
        echo("turn cancelled; the song is as it was before it", style="yellow")
        return None
    except Exception as err:  # noqa: BLE001 - a failed turn must not end the chat
        echo(f"error: {_error_text(err)}", style="red")
        return None
    if turn.reply and not out.streamed:
        echo(turn.reply)
    return turn


def run_repl(session: Session, *, read: Callable[[str], str] = input, echo: Echo,
             write: Callable[[str], None] | None = None, play: Callable[[Path], str] | None = None,
             startup: tuple[str, ...] = (), spinner: Spinner | None = None,
             width: Callable[[], int | None] | None = None) -> None:
    """Chat until /quit or end of input; `startup` slash commands run first (e.g. /load FILE).
    `spinner` runs while a turn works; `width` gives the terminal's width, tool lines are cut to it."""
    echo(f"tunesmith chat · session {session.id} · model {session.model} · /help lists commands", style="dim")
    for line in session.damaged:
        echo(line, style="yellow")
    if session.turns:
        echo(f"resumed with {len(session.turns)} turn(s); the song: {session.state.settings_line()}", style="dim")
    for command in startup:
        run_command(session, command, echo=echo, play=play)
    while True:
        try:
            line = read(PROMPT)
        except EOFError:
            echo("bye")
            return
        except KeyboardInterrupt:
            echo("(Ctrl-D or /quit leaves)", style="dim")
            continue
        line = line.strip()
        if not line:
            continue
        if line.startswith("/"):
            if run_command(session, line, echo=echo, play=play) is QUIT:
                echo("bye")
                return
            continue
        if len(line) > text_limit("prompt"):
            echo(f"error: a message is at most {text_limit('prompt')} characters; this one has {len(line)}", style="red")
            continue
        chat_turn(session, line, echo=echo, write=write, spinner=spinner, width=width)


def run_command(session: Session, line: str, *, echo: Echo, play: Callable[[Path], str] | None = None) -> object:
    """Run one slash command; QUIT for /quit."""
    try:
        words = shlex.split(line)
    except ValueError as err:
        echo(f"cannot read the command: {err}", style="red")
        return None
    name, args = words[0].lower(), words[1:]
    if name in ("/quit", "/exit", "/bye", "/q"):
        return QUIT
    handler = COMMANDS.get(name)
    if handler is None:
        echo(f"unknown command {name}; /help lists them", style="red")
        return None
    try:
        handler[0](session, args, echo=echo, play=play)
    except Exception as err:  # noqa: BLE001 - a failed command must not end the chat
        echo(f"error: {_error_text(err)}", style="red")
    return None


def _error_text(err: Exception) -> str:
    """Our own errors are one line for a person; anything else also names its type (and is logged)."""
    if isinstance(err, TunesmithError):
        return str(err)
    log.error("unexpected error", exc_info=err)
    return f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else 'no details'}"


def _help(session: Session, args: list[str], **io: Any) -> None:
    from ..tools.export.render import renderers

    for name, (_, text) in COMMANDS.items():
        io["echo"](f"{name:<8} {text}")
    io["echo"]("/quit    leave (Ctrl-D works too; Ctrl-C cancels a running turn)")
    io["echo"]("renderers: " + ", ".join(f"{k} {v}" for k, v in renderers().items()), style="dim")


def _tool_command(session: Session, line: str, name: str, args: dict[str, Any], echo: Echo) -> ToolCall | None:
    outcome = call_tool(session, name, args)
    call = ToolCall(name=name, args=args, ok=outcome.ok, content=outcome.content, artifact=outcome.artifact)
    if not outcome.ok:
        echo(outcome.content, style="red")
        return None
    command_turn(session, line, reply=outcome.content, calls=(call,))
    return call


def _style(session: Session, args: list[str], *, echo: Echo, **_: Any) -> None:
    if not args:
        echo(f"settings: {session.state.settings_line()}")
        return
    values: dict[str, Any] = {}
    loose = []
    for word in args:
        key, sep, value = word.partition("=")
        if sep and key in ("style", "mood", "key", "mode", "meter", "tempo"):
            values[key] = int(value) if key == "tempo" and value.isdigit() else value
        else:
            loose.append(word)
    if loose:
        values.setdefault("style", " ".join(loose))
    call = _tool_command(session, "/style " + " ".join(args), "set_style", values, echo)
    if call is not None:
        echo(call.content)


def _show(session: Session, args: list[str], *, echo: Echo, **_: Any) -> None:
    """The song; with a tool's name, what its last call in this session made, in full (the chat
    prints one line per call)."""
    if not args:
        echo(describe(session.state))
        return
    names = tool_names(session)
    if len(args) > 1 or args[0] not in names:
        raise AgentError(f"/show takes nothing or one tool name ({', '.join(names)}), not {' '.join(args)!r}")
    found = [(turn, call) for turn in session.turns for call in turn.tool_calls if call.name == args[0]]
    if not found:
        echo(f"no {args[0]} call in this session yet; /show alone shows the song")
        return
    turn, call = found[-1]
    echo(f"turn {turn.index} ({turn.text[:60]!r}):", style="dim")
    echo(tool_line(call), style=None if call.ok else "red")
    detail = call.artifact.get("view") or "\n".join(call.content.strip().splitlines()[1:])
    if detail.strip():
        echo(detail.rstrip())
    for note in call.artifact.get("notes") or ():
        echo(f"note: {note}", style="dim")


def tool_names(session: Session) -> list[str]:
    """The tools a session's chat offers (the contract's, or a test's own table), in order."""
    from .toolkit import TOOLS

    return list(session.tools or TOOLS)


def _export(session: Session, args: list[str], *, echo: Echo, **_: Any) -> None:
    for fmt in args or ["all"]:
        call = _tool_command(session, f"/export {fmt}", "export_song", {"format": fmt}, echo)
        if call is not None:
            echo(call.content)


def _play(session: Session, args: list[str], *, echo: Echo, play: Callable[[Path], str] | None = None) -> None:
    call = _tool_command(session, "/play", "export_song", {"format": "wav"}, echo)
    if call is None:
        return
    wav = Path(call.artifact["files"]["wav"])
    echo(f"audio: {wav}")
    echo((play or start_player)(wav), style="dim")


def start_player(wav: Path) -> str:
    """Start the first audio player found, in the background; what happened, in words."""
    from ..tools.export.render import player_command

    command = player_command(wav)
    if command is None:
        return "no audio player found (aplay, paplay, afplay or ffplay); open the WAV file yourself"
    subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return f"playing with {Path(command[0]).name}"


def _undo(session: Session, args: list[str], *, echo: Echo, **_: Any) -> None:
    turn = session.undo()
    if turn is None:
        echo("nothing to undo")
        return
    echo(f"undid {turn.text!r}; settings: {session.state.settings_line()}")


def _save(session: Session, args: list[str], *, echo: Echo, **_: Any) -> None:
    """Save inside the session's output folder; a path elsewhere only with --force (a person's
    explicit yes): a prompt or a pasted line must not write over files anywhere."""
    force = "--force" in args
    names = [a for a in args if a != "--force"]
    if len(names) > 1:
        raise AgentError("usage: /save [--force] [FILE]")
    path = save_path(session.out_dir, names[0], force=force) if names else (
        session.out_dir / f"session-{session.id}.json")
    if path.is_symlink():
        raise AgentError(f"{path} is a symbolic link; /save does not write through links")
    data = {"tunesmith_session": 1, "id": session.id, "model": session.model,
            "turns": [turn.as_dict() for turn in session.turns]}
    from ..tokenization.files import atomic_write

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"))
    except OSError as err:
        raise AgentError(f"cannot save the session to {path}: {err.strerror or err}") from err
    echo(f"saved {len(session.turns)} turn(s) to {path}")


def save_path(out_dir: Path, name: str, *, force: bool = False) -> Path:
    """Where `/save NAME` writes: a relative name inside OUT; a path that leads outside OUT
    (absolute, ~, .., or through a link) only with `force`.

    >>> str(save_path(Path("/o"), "a.json")), str(save_path(Path("/o"), "/tmp/x.json", force=True))
    ('/o/a.json', '/tmp/x.json')
    """
    base = Path(out_dir)
    path = Path(name).expanduser()
    path = path if path.is_absolute() else base / path
    inside = path.resolve().is_relative_to(base.resolve())
    if not inside and not force:
        raise AgentError(f"/save writes inside the output folder {base}; {name} is outside it. "
                         f"To write there anyway: /save --force {name}")
    return path


def _load(session: Session, args: list[str], *, echo: Echo, **_: Any) -> None:
    if not args:
        echo("usage: /load FILE  (a melody: .mid .musicxml .xml .mxl .abc, or a session saved with /save)")
        return
    path = Path(args[0]).expanduser()
    if path.suffix.lower() == ".json":
        _load_session_file(session, path, echo)
        return
    from ..tokenization.files import read_named_song
    from ..tokenization.view import header_line

    song = read_named_song(path)
    session.state = with_song(session.state, song, {"source": str(path.resolve())})
    command_turn(session, f"/load {path}", reply=f"loaded {header_line(song)}")
    echo(f"loaded {header_line(song)}")


def load_melody(session: Session, path: Path, *, echo: Echo) -> None:
    """/load of a melody file whose errors are raised, not shown (`run --melody`: a bad file ends the run)."""
    _load(session, [str(path)], echo=echo)


def _load_session_file(session: Session, path: Path, echo: Echo) -> None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        turns = [Turn.from_dict(t) for t in data["turns"]]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise AgentError(f"{path} is not a session saved with /save ({type(err).__name__}: {err})") from err
    for turn in turns:
        session.record(replace(turn, index=session.index))
    echo(f"loaded {len(turns)} turn(s) from {path}; settings: {session.state.settings_line()}")


def _model(session: Session, args: list[str], *, echo: Echo, **_: Any) -> None:
    if not args:
        echo(f"model: {session.model}")
        return
    from .models import make_chat_model, parse_model_spec

    spec = parse_model_spec(args[0])
    chat_model = make_chat_model(spec, resources=session.resources)  # fails here for a model that cannot work at all
    session.set_model(str(spec), chat_model)
    echo(f"model: {spec}")


COMMANDS: dict[str, tuple[Callable[..., None], str]] = {
    "/help": (_help, "this list"),
    "/style": (_style, "show the settings, or set them: /style jig key=D mood=sad tempo=120"),
    "/show": (_show, "the song: settings, melody as ABC, chords, lyrics, files; /show TOOL: its last call in full"),
    "/play": (_play, "render the song to WAV and play it"),
    "/export": (_export, "write files: /export [midi|musicxml|abc|wav|svg|png|all]"),
    "/undo": (_undo, "take back the last turn"),
    "/save": (_save, "save the session as JSON in the output folder: /save [FILE]; elsewhere: /save --force PATH"),
    "/load": (_load, "load a melody file or a saved session: /load FILE"),
    "/model": (_model, "show or switch the chat model: /model ollama:NAME"),
}
