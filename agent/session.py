"""A chat session and `respond`, the one path chat, one-shot and batch all take.

A Session holds the song state, the kept turns (their LangChain messages are the chat
history), the output folder, the chat model (built on the first chat turn, so slash
commands work without a server) and the shared Resources (the music model, loaded once on
first use).  Every turn, slash commands that change the song included, is a Turn; /undo
drops the last one and restores the state from before it.  With a SessionStore, turns
are saved as they happen and `open_session` resumes a session from them.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import prompts
from ..tokenization.styles import STYLE_NAMES
from .errors import AgentError
from ..tools.actions.base import plain_stem
from ..tools.actions.models import Models
from ..tools.actions.state import SongState, song_summary, state_from_dict, state_to_dict
from .store import SessionStore

MAX_MODEL_CALLS = 10  # per turn: a weak model cannot loop for ever
MAX_TOOL_CALLS = 8  # per turn
HISTORY_TURNS = 12  # turns of history the chat model sees


Resources = Models  # what the sessions of one process share: the music model, loaded once on first use


@dataclass(frozen=True)
class ToolCall:
    """One tool call of a turn and what it gave."""

    name: str
    args: dict[str, Any]
    ok: bool
    content: str
    artifact: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "args": self.args, "ok": self.ok, "content": self.content, "artifact": self.artifact}


@dataclass(frozen=True)
class Turn:
    """A chat turn (kind "chat") or a state-changing slash command (kind "command")."""

    index: int
    kind: str
    text: str
    reply: str
    tool_calls: tuple[ToolCall, ...]
    state: SongState
    seconds: float
    messages: tuple[Any, ...] = ()

    @property
    def files(self) -> tuple[str, ...]:
        found = [p for c in self.tool_calls for p in (c.artifact.get("files") or {}).values()]
        return tuple(dict.fromkeys(found))

    @property
    def findings(self) -> tuple[dict[str, Any], ...]:
        return tuple(f for c in self.tool_calls for f in c.artifact.get("findings", ()))

    def as_dict(self) -> dict[str, Any]:
        from langchain_core.messages import messages_to_dict

        return {"index": self.index, "kind": self.kind, "text": self.text, "reply": self.reply,
                "tool_calls": [c.as_dict() for c in self.tool_calls], "state": state_to_dict(self.state),
                "seconds": round(self.seconds, 3), "messages": messages_to_dict(list(self.messages))}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Turn:
        from langchain_core.messages import messages_from_dict

        calls = tuple(ToolCall(**c) for c in data.get("tool_calls", []))
        return cls(index=data["index"], kind=data["kind"], text=data["text"], reply=data["reply"], tool_calls=calls,
                   state=state_from_dict(data["state"]), seconds=data.get("seconds", 0.0),
                   messages=tuple(messages_from_dict(data.get("messages", []))))


class Session:
    """One conversation about one song."""

    def __init__(self, *, session_id: str, out_dir: Path, model: str, resources: Resources,
                 store: SessionStore | None = None, chat_model: Any = None, turns: list[Turn] | None = None,
                 next_index: int = 1, tools: Any = None, contract: Any = None) -> None:
        self.id = session_id
        self.out_dir = Path(out_dir)
        self.model = model
        self.resources = resources
        self.store = store
        self.turns: list[Turn] = list(turns or [])
        self.state = self.turns[-1].state if self.turns else SongState()
        self.lock = threading.RLock()  # tools of one turn change the state one at a time
        self.index = next_index  # of the turn being made (files are named after it)
        self._chat_model = chat_model
        self._agent: Any = None
        self.damaged: tuple[str, ...] = ()  # stored turns that could not be read back (open_session)
        self.tools, self.contract = tools, contract  # other tools than the shipped contract's (tests)
        self.heard: tuple[str, tuple[str, ...]] | None = None  # this chat turn's message and the ones before

    @property
    def history(self) -> list[Any]:
        return [m for turn in self.turns[-HISTORY_TURNS:] for m in turn.messages]

    def chat_model(self) -> Any:
        if self._chat_model is None:
            from .models import make_chat_model

            self._chat_model = make_chat_model(self.model, resources=self.resources)
        bind = getattr(self._chat_model, "for_session", None)  # the embedded model reads this song's state
        if bind is not None and getattr(self._chat_model, "session", None) is not self:
            self._chat_model = bind(self)
        return self._chat_model

    def earlier(self) -> tuple[SongState, str] | None:
        """The song state before the last change that has not been undone, and what that change was
        (for the undo tool); None when the song never changed."""
        stack: list[tuple[SongState, str]] = []
        before = SongState()
        for turn in self.turns:
            if any(c.name == "undo" and c.ok for c in turn.tool_calls):
                if stack:
                    stack.pop()
            elif turn.state != before:
                made = [c.name for c in turn.tool_calls if c.ok] or [turn.text.split()[0] if turn.text else "a change"]
                stack.append((before, f"{', '.join(made)} ({_short(turn.text)})"))
            before = turn.state
        if self.state != before:  # a tool of this turn changed the song already
            return before, "this turn's change"
        return stack[-1] if stack else None

    def set_model(self, model: str, chat_model: Any = None) -> None:
        """Switch the chat model (checked when the next chat turn starts)."""
        from .models import parse_model_spec

        self.model = str(parse_model_spec(model)) if chat_model is None else model
        self._chat_model, self._agent = chat_model, None
        if self.store is not None:
            self.store.set_model(self.id, self.model)

    def file_stem(self, what: str) -> str:
        """'003-melody-irish-jig-s42': the turn number, what it is, unique in the output folder."""
        base = f"{self.index:03d}-" + plain_stem(what)
        stem, n = base, 2
        while self.out_dir.is_dir() and any(self.out_dir.glob(f"{glob_escape(stem)}.*")):
            stem, n = f"{base}-{n}", n + 1
        return stem

    def agent(self) -> Any:
        if self._agent is None:
            from langchain.agents import create_agent
            from langchain.agents.middleware import ModelCallLimitMiddleware, ToolCallLimitMiddleware, dynamic_prompt

            from .toolkit import build_tools

            @dynamic_prompt
            def system(request: Any) -> str:
                return system_prompt(self.state)

            self._agent = create_agent(self.chat_model(), build_tools(self, table=self.tools, of=self.contract), middleware=[
                system, ModelCallLimitMiddleware(run_limit=MAX_MODEL_CALLS, exit_behavior="end"),
                ToolCallLimitMiddleware(run_limit=MAX_TOOL_CALLS, exit_behavior="end")])
        return self._agent

    def record(self, turn: Turn) -> Turn:
        """Keep a finished turn: store, state, history.  Another process on the same session (a second
        `chat -c`) may have stored a turn under this index meanwhile; the store then gives the next
        free one and the turn takes it, so both are kept."""
        if self.store is not None:
            files = [(k, p) for c in turn.tool_calls for k, p in (c.artifact.get("files") or {}).items()]
            stored = self.store.add_turn(self.id, index=turn.index, kind=turn.kind, text=turn.text,
                                         reply=turn.reply, data=turn.as_dict(), files=files)
            if stored != turn.index:
                turn = replace(turn, index=stored)
        self.turns.append(turn)
        self.state = turn.state
        self.index = turn.index + 1
        return turn

    def undo(self) -> Turn | None:
        """Drop the last turn and go back to the state before it; None when there is nothing to undo."""
        if not self.turns:
            return None
        turn = self.turns.pop()
        self.state = self.turns[-1].state if self.turns else SongState()
        if self.store is not None:
            self.store.undo_last(self.id)
        return turn


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def glob_escape(text: str) -> str:
    return re.sub(r"([\[\]*?])", r"[\1]", text)


def system_prompt(state: SongState) -> str:
    return prompts.render("system", styles=", ".join(STYLE_NAMES), settings=state.settings_line(),
                          song=song_summary(state)).strip()


def new_session_id() -> str:
    """'20261115-143012-a3f9': sortable by time, unique enough for one person's machine."""
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def new_session(*, model: str, out_dir: Path, resources: Resources, store: SessionStore | None = None,
                chat_model: Any = None, session_id: str | None = None) -> Session:
    """A fresh session; with a store it is saved at once, so `chat -c` finds it."""
    session_id = session_id or new_session_id()
    out_dir = Path(out_dir).expanduser().resolve()
    if store is not None:
        store.create_session(session_id, model=model, out_dir=out_dir)
    return Session(session_id=session_id, out_dir=out_dir, model=model, resources=resources, store=store,
                   chat_model=chat_model)


def open_session(store: SessionStore, session_id: str | None, *, resources: Resources,
                 model: str | None = None, chat_model: Any = None) -> Session:
    """Resume a stored session (None = the latest); `model` overrides the one it used."""
    session_id = session_id or store.latest_session()
    if session_id is None:
        raise AgentError(f"there are no saved sessions in {store.path} yet; start one with `tunesmith chat`")
    row = store.session(session_id)
    turns, damaged = read_turns(store.kept_rows(session_id))
    session = Session(session_id=session_id, out_dir=Path(row["out_dir"]), model=model or row["model"],
                      resources=resources, store=store, chat_model=chat_model, turns=turns,
                      next_index=store.next_index(session_id))
    session.damaged = tuple(damaged)
    if model and model != row["model"]:
        store.set_model(session_id, model)
    return session


def read_turns(rows: list[tuple[int, str]]) -> tuple[list[Turn], list[str]]:
    """The turns stored rows hold, and one line per row that cannot be read (skipped: the rest of
    the session still resumes, from the last turn that reads)."""
    import json

    turns, damaged = [], []
    for index, text in rows:
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("not a JSON object")
            turns.append(Turn.from_dict(data))
        except Exception as err:  # noqa: BLE001 - stored data from disk: anything wrong in it is damage
            reason = f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else 'no details'}"
            damaged.append(f"stored turn {index} is damaged and was skipped ({reason[:160]})")
    return turns, damaged


def command_turn(session: Session, text: str, *, reply: str, calls: tuple[ToolCall, ...] = ()) -> Turn:
    """Record a slash command that changed the song as a turn (so /undo and resume see it)."""
    return session.record(Turn(index=session.index, kind="command", text=text, reply=reply, tool_calls=calls,
                               state=session.state, seconds=0.0))


def respond(session: Session, text: str, *, on_token: Any = None, on_tool: Any = None) -> Turn:
    """Run one chat turn: the chat model calls tools until it replies; the turn is recorded.

    `on_token(text)` gets streamed reply text, `on_tool(ToolCall)` each tool result as it
    arrives.  On any error or Ctrl-C the song state goes back to what it was and nothing
    is recorded (files already written stay on disk).  A tool cannot be stopped halfway
    (sampling runs in a worker thread), so Ctrl-C takes effect when the running tool ends.
    """
    from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage

    from .models import unavailable_error

    text = text.strip()
    if not text:
        raise AgentError("say something first: an empty message has nothing to answer")
    started, before = time.perf_counter(), session.state
    agent = session.agent()
    session.heard = (text, tuple(t.text for t in session.turns[-2:] if t.kind == "chat"))
    inputs = [*session.history, HumanMessage(text)]
    final: dict[str, Any] = {}
    asked: dict[str, dict[str, Any]] = {}
    try:
        for mode, payload in agent.stream({"messages": inputs}, stream_mode=["messages", "values"]):
            if mode == "values":
                final = payload
                last = payload["messages"][-1] if payload.get("messages") else None
                if isinstance(last, AIMessage):
                    asked.update({c["id"]: c for c in last.tool_calls})
                continue
            chunk, meta = payload
            if isinstance(chunk, ToolMessage) and on_tool is not None:
                on_tool(_tool_call(chunk, asked))
            elif isinstance(chunk, AIMessageChunk) and on_token is not None and meta.get("langgraph_node") == "model":
                if chunk.text:
                    on_token(chunk.text)
    except BaseException as err:
        with session.lock:  # a tool still running in a worker thread finishes first, then is undone
            session.state = before
        mapped = unavailable_error(err, session.model) if isinstance(err, Exception) else None
        if mapped is not None:
            raise mapped from err
        raise
    new = list(final.get("messages", inputs))[len(inputs) - 1:]
    calls = tuple(_tool_call(m, asked) for m in new if isinstance(m, ToolMessage))
    replies = [m for m in new if isinstance(m, AIMessage)]
    reply = replies[-1].text.strip() if replies else ""
    return session.record(Turn(index=session.index, kind="chat", text=text, reply=reply, tool_calls=calls,
                               state=session.state, seconds=time.perf_counter() - started, messages=tuple(new)))


def _tool_call(message: Any, asked: dict[str, dict[str, Any]]) -> ToolCall:
    call = asked.get(message.tool_call_id, {})
    return ToolCall(name=message.name or call.get("name", "?"), args=dict(call.get("args", {})),
                    ok=message.status != "error", content=message.text, artifact=dict(message.artifact or {}))
