"""Scripted prompt batches: one fresh session per input line, one JSON result line per prompt.

Input (JSONL, one object per line; blank lines and lines starting with # are skipped):
  {"id": "a1", "prompt": "an 8-bar jig in D"}
  {"id": "a2", "messages": [{"role": "user", "content": "a reel"}, {"role": "user", "content": "add chords"}],
   "melody": "tune.mid"}
`messages` run in order: each user message is a chat turn, an assistant message joins the
history as it is.  `melody` (relative to the input file) is loaded before the first turn.

Output in OUT: results.jsonl (id, ok, error, replies, tool_calls, files relative to OUT,
findings, seconds, turns: per user turn its reply, its tool calls (name, args, ok), its index
in the session ("turn", as the tool calls' "turn") and the song after it as
tools.facts.song_digest) and one folder per id with its files.  A run can be interrupted and
started again with the same arguments: ids already in results.jsonl are skipped, a
half-written last line is dropped, and the folder of an unfinished id is emptied first,
so nothing is lost or duplicated.  A malformed line is reported (id null, its line number,
the reason) and skipped.

Exit codes (`tunesmith batch`): 0 every prompt ran; 1 some prompt failed or a line was
malformed (the rest still ran); 2 usage error (bad option, missing input file);
3 the chat model is unavailable (the batch stops; run it again later to resume);
130 interrupted (run it again to resume).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..prompts.errors import TunesmithError
from ..tools.facts import song_digest
from .edge import text_limit
from .errors import AgentError
from .models import ModelUnavailableError
from .session import Resources, Session, Turn, command_turn, new_session, respond

log = logging.getLogger(__name__)

RESULTS = "results.jsonl"
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_MODEL_UNAVAILABLE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One valid input line."""

    id: str
    line: int
    messages: tuple[tuple[str, str], ...]  # (role, content)
    melody: Path | None = None


@dataclass
class BatchSummary:
    """What a run did; `exit_code` follows the table in the module docstring."""

    results: Path
    total: int = 0
    skipped: int = 0  # done in an earlier run
    ok: int = 0
    failed: int = 0
    malformed: int = 0
    stopped: str | None = None
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.stopped:
            return EXIT_MODEL_UNAVAILABLE
        return EXIT_FAILED if self.failed or self.malformed else EXIT_OK


def _parse_line(text: str, number: int, base: Path) -> BatchItem:
    """A BatchItem from one line, or AgentError saying what is wrong with it."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise AgentError(f"not JSON ({err.msg} at column {err.colno})") from None
    if not isinstance(data, dict):
        raise AgentError("not a JSON object")
    item_id = data.get("id")
    if not isinstance(item_id, (str, int)) or isinstance(item_id, bool) or not str(item_id).strip():
        raise AgentError("no id (a non-empty string or number)")
    if "prompt" in data and "messages" in data:
        raise AgentError("has both prompt and messages; give one")
    if isinstance(data.get("prompt"), str) and data["prompt"].strip():
        messages = (("user", data["prompt"]),)
    elif isinstance(data.get("messages"), list) and data["messages"]:
        messages = tuple(_message(m) for m in data["messages"])
        if not any(role == "user" for role, _ in messages):
            raise AgentError("messages has no user message")
    else:
        raise AgentError("no prompt (a non-empty string) or messages (a list)")
    longest = max(len(text) for _, text in messages)
    if longest > text_limit("prompt"):
        raise AgentError(f"a prompt is {longest} characters long; at most {text_limit('prompt')}")
    if len(str(item_id)) > text_limit("default"):
        raise AgentError(f"the id is {len(str(item_id))} characters long; at most {text_limit('default')}")
    melody = data.get("melody")
    if melody is not None and (not isinstance(melody, str) or not melody.strip()):
        raise AgentError("melody must be a file path")
    return BatchItem(id=str(item_id).strip(), line=number, messages=messages,
                     melody=(base / melody).expanduser() if melody else None)


def _message(value: Any) -> tuple[str, str]:
    if not isinstance(value, dict) or value.get("role") not in ("user", "assistant") or not isinstance(
            value.get("content"), str) or not value["content"].strip():
        raise AgentError('each message must be {"role": "user" or "assistant", "content": "text"}')
    return value["role"], value["content"]


def read_items(path: Path) -> tuple[list[BatchItem], list[dict[str, Any]]]:
    """Valid items and malformed-line reports (duplicate ids are malformed)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise AgentError(f"cannot read the batch file {path}: {getattr(err, 'strerror', None) or err}") from err
    items, bad, seen = [], [], {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            item = _parse_line(line, number, Path(path).parent)
            if item.id in seen:
                raise AgentError(f"duplicate id {item.id!r} (first on line {seen[item.id]})")
        except AgentError as err:
            bad.append({"id": None, "line": number, "ok": False, "error": f"line {number}: {err}"})
            continue
        seen[item.id] = number
        items.append(item)
    return items, bad


def folder_name(item_id: str) -> str:
    """A safe folder name for an id, the same in every run and distinct for distinct ids: the id
    made file-safe, then a hash of the exact id, always (so "a b" and "a-b-<its hash>" cannot meet,
    and no id can be named results.jsonl or start with a dot).

    >>> folder_name("a1"), folder_name("a/b c")
    ('a1-f29bc91bbd', 'a-b-c-9f597a6381')
    """
    clean = re.sub(r"[^A-Za-z0-9._-]+", "-", item_id).strip(".-")[:60] or "item"
    return f"{clean}-{hashlib.sha1(item_id.encode()).hexdigest()[:10]}"


def _no_link(path: Path) -> Path:
    """`path` when it is not a symbolic link: nothing inside the output folder is followed."""
    if path.is_symlink():
        raise AgentError(f"{path} is a symbolic link; batch does not follow links inside its output folder "
                         "(remove it or use another --out)")
    return path


def read_results(path: Path) -> list[dict[str, Any]]:
    """Complete result lines; a half-written last line (from a crash) is dropped from the file."""
    if not _no_link(path).exists():
        return []
    if not path.is_file():
        raise AgentError(f"{path} is not a file; batch keeps its results there (use another --out)")
    raw = path.read_bytes()
    kept, results = [], []
    for line in raw.split(b"\n"):
        if not line.strip():
            continue
        try:
            results.append(json.loads(line))
            kept.append(line)
        except json.JSONDecodeError:
            continue
    if raw and raw != b"".join(k + b"\n" for k in kept):
        from ..tokenization.files import atomic_write

        atomic_write(path, b"".join(k + b"\n" for k in kept))
    return results


def _append(path: Path, record: dict[str, Any]) -> None:
    """One result line, appended and synced; O_NOFOLLOW: a link planted at results.jsonl is refused."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as err:
        raise AgentError(f"cannot append to {path}: {err.strerror or err} (a symbolic link is refused)") from err
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def _result(item: BatchItem, session: Session, turns: list[Turn], *, out_dir: Path, seconds: float,
            error: str | None) -> dict[str, Any]:
    def rel(path: str) -> str:
        try:
            return str(Path(path).resolve().relative_to(out_dir.resolve()))
        except ValueError:
            return path

    calls = [dict(c.as_dict(), turn=t.index, artifact=None) for t in turns for c in t.tool_calls]
    for call in calls:
        call.pop("artifact")
    return {"id": item.id, "line": item.line, "ok": error is None, "error": error, "model": session.model,
            "prompts": [text for role, text in item.messages if role == "user"],
            "replies": [t.reply for t in turns if t.kind == "chat"],
            "tool_calls": calls, "files": [rel(p) for t in turns for p in t.files],
            "findings": [f for t in turns for f in t.findings], "seconds": round(seconds, 3),
            "turn_seconds": [round(t.seconds, 3) for t in turns if t.kind == "chat"],
            "turns": [{"turn": t.index, "reply": t.reply,
                       "tool_calls": [{"name": c.name, "args": c.args, "ok": c.ok} for c in t.tool_calls],
                       "state": song_digest(t.state)} for t in turns if t.kind == "chat"]}


def run_item(item: BatchItem, *, out_dir: Path, model: str, resources: Resources, chat_model: Any) -> dict[str, Any]:
    """Run one item in a fresh session; its error (if any) is in the result, except an unavailable model."""
    from langchain_core.messages import AIMessage

    folder = out_dir / folder_name(item.id)
    try:
        if _no_link(folder).exists():  # files of an unfinished earlier attempt
            shutil.rmtree(folder)
    except (AgentError, OSError) as err:
        return {"id": item.id, "line": item.line, "ok": False, "error": str(err), "model": model,
                "prompts": [text for role, text in item.messages if role == "user"], "replies": [],
                "tool_calls": [], "files": [], "findings": [], "seconds": 0.0, "turn_seconds": [], "turns": []}
    session = new_session(model=model, out_dir=folder, resources=resources, chat_model=chat_model,
                          session_id=f"batch-{item.id}")
    started, turns, error = time.perf_counter(), [], None
    try:
        if item.melody is not None:
            from ..tokenization.files import read_song
            from ..tools.actions.state import with_song

            session.state = with_song(session.state, read_song(item.melody), {"source": str(item.melody)})
            turns.append(command_turn(session, f"/load {item.melody}", reply="loaded"))
        for role, text in item.messages:
            if role == "user":
                turns.append(respond(session, text))
            else:
                turns.append(session.record(Turn(index=session.index, kind="command", text="", reply=text,
                                                 tool_calls=(), state=session.state, seconds=0.0,
                                                 messages=(AIMessage(text),))))
    except ModelUnavailableError:
        raise
    except Exception as err:  # noqa: BLE001 - one bad prompt must not end the batch
        known = isinstance(err, (TunesmithError, OSError))
        if not known:
            log.exception("batch item %s failed", item.id)
        error = str(err) if known else f"{type(err).__name__}: {err}"
    return _result(item, session, turns, out_dir=out_dir, seconds=time.perf_counter() - started, error=error)


def run_batch(path: str | Path, out_dir: str | Path, *, jobs: int = 1, model: str, resources: Resources,
              chat_model_factory: Callable[[BatchItem], Any] | None = None,
              on_result: Callable[[dict[str, Any]], None] | None = None) -> BatchSummary:
    """Run every not-yet-done line of a batch file; see the module docstring for files and exit codes.

    `chat_model_factory(item)` gives each item its chat model (default: one model made from
    `model`, shared, built before any item runs so an unusable model stops the batch at once).
    """
    if jobs < 1:
        raise AgentError(f"--jobs must be at least 1, not {jobs}")
    started = time.perf_counter()
    items, malformed = read_items(Path(path))
    out = Path(out_dir).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    results = out / RESULTS
    earlier = read_results(results)
    done = {r["id"] for r in earlier if r.get("id") is not None}
    reported = {(r.get("line"), r.get("error")) for r in earlier if r.get("id") is None}
    summary = BatchSummary(results=results, total=len(items) + len(malformed))
    for report in malformed:
        summary.malformed += 1
        summary.errors.append(report["error"])
        if (report["line"], report["error"]) not in reported:
            _append(results, report)
            if on_result:
                on_result(report)
    todo = [item for item in items if item.id not in done]
    summary.skipped = len(items) - len(todo)
    if chat_model_factory is None:
        from .models import make_chat_model

        shared = make_chat_model(model, resources=resources) if todo else None
        chat_model_factory = lambda item: shared  # noqa: E731

    def run(item: BatchItem) -> dict[str, Any]:
        return run_item(item, out_dir=out, model=model, resources=resources, chat_model=chat_model_factory(item))

    def keep(record: dict[str, Any]) -> None:
        _append(results, record)
        summary.ok += record["ok"]
        summary.failed += not record["ok"]
        if record["error"]:
            summary.errors.append(f"{record['id']}: {record['error']}")
        if on_result:
            on_result(record)

    try:
        if jobs == 1:
            for item in todo:
                keep(run(item))
        else:
            _run_parallel(todo, run, keep, jobs=jobs)
    except ModelUnavailableError as err:
        summary.stopped = str(err)
    summary.seconds = time.perf_counter() - started
    return summary


def _run_parallel(todo: list[BatchItem], run, keep, *, jobs: int) -> None:
    """Run items on `jobs` threads; results are written by this thread only, as they finish.

    On Ctrl-C or an unavailable model nothing new starts; items already running finish
    but their results are not written, so the next run repeats them.
    """
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="batch")
    pending = {pool.submit(run, item) for item in todo}
    try:
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                keep(future.result())
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
