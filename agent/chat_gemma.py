"""The embedded chat model: the pretrained base with its chat LoRA, as a LangChain chat model.

It reads the whole conversation as a transcript (finetune/lm/chat_format: the song line, the
last exchanges, this turn's calls and results), asks the decoder for the next line under the
grammar of the bound tools and of the values the person stated (agent/call_space), and returns
an `AIMessage` with `tool_calls` or a reply.  A reply is checked against the song state and the
turn's tool results (tools/facts.contradictions): of a few candidates the first that states no
wrong key, chord, bar count or tempo is kept; when none is clean the reply says the facts from
the result instead and the message's metadata records it (`fact_check`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.messages.tool import tool_call
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field

from ..tokenization.contract import contract
from .call_space import ready, space_for

HISTORY = 2  # earlier exchanges in the transcript (the song line carries the rest)
MAX_CALLS = 2  # tool calls in one turn before the model must reply
REPLY_CANDIDATES = 3


def transcript_of(messages: Sequence[BaseMessage], *, song: str, settings: str) -> Any:
    """The transcript of a LangChain conversation (system prompt skipped)."""
    from ..finetune.lm.chat_format import Call, Exchange, Transcript

    exchanges: list[dict[str, Any]] = []
    pending: dict[str, Any] = {}
    for message in messages:
        text = message.text if isinstance(message.content, list) else str(message.content)
        if isinstance(message, SystemMessage):
            continue
        if isinstance(message, HumanMessage):
            exchanges.append({"person": text, "calls": [], "reply": ""})
        elif not exchanges:
            continue
        elif isinstance(message, AIMessage):
            for c in message.tool_calls:
                pending[c["id"]] = Call(c["name"], _ordered(c["name"], c["args"]))
            if text.strip() and not message.tool_calls:
                exchanges[-1]["reply"] = text.strip()
        elif isinstance(message, ToolMessage) and message.tool_call_id in pending:
            exchanges[-1]["calls"].append((pending[message.tool_call_id], text))
    if not exchanges:
        exchanges.append({"person": "", "calls": [], "reply": ""})
    *before, current = exchanges
    history = tuple(Exchange(e["person"], tuple(e["calls"]), e["reply"]) for e in before[-HISTORY:])
    return Transcript(song=song, settings=settings, history=history, person=current["person"],
                      done=tuple(current["calls"]))


def _failed_this_turn(messages: Sequence[BaseMessage]) -> bool:
    """Whether a tool call of the current turn (after the last person's message) came back as an error:
    then the model replies (explains, asks) instead of calling on."""
    for message in reversed(messages):
        if isinstance(message, HumanMessage):
            return False
        if isinstance(message, ToolMessage) and message.status == "error":
            return True
    return False


REPEATS = "repeats itself"
_STUCK = re.compile(r"([^\W\d_]{1,4}?)\1{5,}")  # a piece said six times over ("拜拜拜拜拜拜…", "no no no no no no")


def _stuck(reply: str) -> list[str]:
    """A reply that repeats one piece on and on is no reply: counted like a contradiction, so another
    candidate or the result's own facts are said instead."""
    return [REPEATS] if _STUCK.search(reply.replace(" ", "")) else []


def _correction(wrong: Sequence[str], person: str) -> str:
    """The song's side of each contradiction ('says "bar 30", but the song has bars 1-16' -> 'the
    song has bars 1-16'), as a reply in the person's language (the contract's [messages])."""
    from ..finetune.chat.mentions import has_han

    facts = "; ".join(dict.fromkeys(line.split(", but ", 1)[-1] for line in wrong))
    which = "fact_correction_zh" if has_han(person) else "fact_correction"
    return contract().message(which).replace("$facts", facts)


def _ordered(name: str, args: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    order = contract().tool(name).arg_names if name in contract().tools else tuple(args)
    return tuple((k, str(args[k])) for k in order if k in args and args[k] is not None)


def _typed(name: str, args: Sequence[tuple[str, str]], state: Any) -> dict[str, Any]:
    """The call's values as the tool takes them (a relative tempo becomes beats per minute)."""
    from .call_space import absolute_tempo

    tool = contract().tool(name)
    values = {k: absolute_tempo(v, state) if k == "tempo" else v for k, v in args}
    return {k: int(v) if tool.arg(k).is_int else v for k, v in values.items()}


class GemmaChat(BaseChatModel):
    """The embedded chat model over a `ChatDecoder`; `session` gives the song state and the digest."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    decoder: Any = Field(exclude=True)
    session: Any = Field(default=None, exclude=True)
    model_name: str = "embedded"

    @property
    def _llm_type(self) -> str:
        return "tunesmith-gemma-chat"

    def for_session(self, session: Any) -> GemmaChat:
        """This model reading `session`'s song state (the decoder, the heavy part, is shared)."""
        return self.model_copy(update={"session": session})

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any):
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def _state(self) -> Any:
        from ..tools.actions.state import SongState

        return self.session.state if self.session is not None else SongState()

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        from ..tools.actions.state import song_summary

        state = self._state()
        transcript = transcript_of(messages, song=song_summary(state), settings=state.settings_line())
        bound = [t["function"]["name"] for t in kwargs.get("tools") or [] if "function" in t]
        called = {c.name for c, _ in transcript.done}
        failed = _failed_this_turn(messages)
        bound = ready(bound, state)
        tools = [] if len(transcript.done) >= MAX_CALLS or failed else [t for t in bound if t not in called]
        earlier = [e.person for e in transcript.history]
        space = space_for(transcript.person, earlier=earlier, state=state, tools=tools, known=bound)
        lines = self.decoder.next_line(transcript, space, replies=1, temperature=0.0)
        first = lines[0]
        if first.call is not None:
            call = tool_call(name=first.call.name, args=_typed(first.call.name, first.call.args, state),
                             id=f"call_{uuid.uuid4().hex[:12]}")
            message = AIMessage(content="", tool_calls=[call])
        else:
            message = self._checked_reply(lines, transcript, state)
            if message.response_metadata.get("fact_check") not in (None, "ok"):  # try a few sampled ones
                more = self.decoder.more_replies(transcript, count=REPLY_CANDIDATES, seed=len(transcript.person))
                message = self._checked_reply([*lines, *more], transcript, state)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _checked_reply(self, lines: Sequence[Any], transcript: Any, state: Any) -> AIMessage:
        """The first candidate that contradicts neither the song nor this turn's results."""
        try:
            from ..tools.facts import contradictions, song_digest
        except ImportError:  # pragma: no cover - the checker ships with the chat model
            return AIMessage(content=lines[0].reply)
        digest = song_digest(state)
        results = tuple(result for _, result in transcript.done)
        found = []
        for line in lines:
            if not line.reply:
                continue
            wrong = contradictions(line.reply, digest, results=results) + _stuck(line.reply)
            if not wrong:
                return AIMessage(content=line.reply, response_metadata={"fact_check": "ok"})
            found.append((line.reply, wrong))
        facts = results[-1].split(" Files:")[0] if results else ""
        if facts:
            return AIMessage(content=facts, response_metadata={"fact_check": "replaced", "rejected": found})
        claims = [[w for w in wrong if w != REPEATS] for _, wrong in found]
        claims = [c for c in claims if c]  # the song's facts answer a wrong claim, not a repetition
        if claims:  # no result to fall back on: say what the song holds instead of the wrong claim
            return AIMessage(content=_correction(claims[0], transcript.person),
                             response_metadata={"fact_check": "corrected", "rejected": found})
        return AIMessage(content="", response_metadata={"fact_check": "unchecked", "rejected": found})
