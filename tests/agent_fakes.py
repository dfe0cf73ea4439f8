"""Test doubles for the agent tests (`import agent_fakes as fakes`: tests/conftest.py puts tests/
on sys.path; not a test module).

`scripted(...)` is a chat model that answers with the given replies in order: a string is
a plain reply, a ("tool", {args}) pair a tool call, a list of pairs parallel calls, an
AIMessage itself, and an exception (class or instance) is raised when its turn comes.  It streams (content split
on spaces, tool calls as one chunk) like a real provider.
"""

from __future__ import annotations

import json

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from pydantic import Field
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult


class ScriptedChatModel(GenericFakeChatModel):
    """GenericFakeChatModel with bind_tools (create_agent needs it), tool calls kept when streaming,
    exceptions in the script raised when reached, and the messages of every call kept in `seen`."""

    seen: list = Field(default_factory=list)
    bound: dict = Field(default_factory=dict)  # name -> description of the tools the agent offered

    def bind_tools(self, tools, *, tool_choice=None, **kwargs):
        self.bound.update({t.name: t.description for t in tools if hasattr(t, "name")})
        return self

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        self.seen.append(list(messages))
        step = next(self.messages)
        if isinstance(step, BaseException) or (isinstance(step, type) and issubclass(step, BaseException)):
            raise step
        return ChatResult(generations=[ChatGeneration(message=step)])

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        message = self._generate(messages, stop=stop, run_manager=run_manager, **kwargs).generations[0].message
        words = message.content.split(" ") if message.content else []
        for i, word in enumerate(words):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=word + (" " if i < len(words) - 1 else ""),
                                                               id=message.id))
            if run_manager:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
        calls = [{"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i,
                  "type": "tool_call_chunk"} for i, c in enumerate(message.tool_calls)]
        yield ChatGenerationChunk(message=AIMessageChunk(content="", id=message.id, tool_call_chunks=calls,
                                                         chunk_position="last"))


def scripted(*steps) -> ScriptedChatModel:
    counter = iter(range(10_000))

    def message(step):
        if isinstance(step, (BaseException, type, AIMessage)):
            return step
        if isinstance(step, str):
            return AIMessage(content=step)
        pairs = step if isinstance(step, list) else [step]
        return AIMessage(content="", tool_calls=[{"name": n, "args": a, "id": f"call{next(counter)}",
                                                  "type": "tool_call"} for n, a in pairs])

    return ScriptedChatModel(messages=iter([message(s) for s in steps]))

