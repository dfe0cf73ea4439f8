"""A LangChain chat model over a local text generator that speaks a chat template with tools.

LangChain's ChatHuggingFace cannot call tools with a local model (ecosystem.md §0.3), so
this wrapper does the two halves itself: it turns LangChain messages and the bound tool
schemas into the Hugging Face chat format (`apply_chat_template(conversation, tools=...)`
does the rest inside the backend), and it parses the model's tool-call syntax back into
`AIMessage.tool_calls`.  The backend is any object with
`complete(conversation, *, tools, max_new_tokens, temperature) -> str`: a local HF folder
(finetune.chat.hf.HFChat) today, the embedded chat adapter later.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.messages.tool import invalid_tool_call, tool_call
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field

_TAGGED = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
_PREFIXES = ("[TOOL_CALLS]", "<|python_tag|>", "<function_call>", "functools")


def to_chat_dicts(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """LangChain messages as the conversation list HF chat templates read (OpenAI-like dicts).

    >>> to_chat_dicts([HumanMessage("hi"), AIMessage("", tool_calls=[tool_call(name="f", args={"a": 1}, id="c1")]),
    ...                ToolMessage("done", tool_call_id="c1", name="f")])[1]["tool_calls"][0]["function"]
    {'name': 'f', 'arguments': {'a': 1}}
    """
    out: list[dict[str, Any]] = []
    for message in messages:
        text = message.text if isinstance(message.content, list) else str(message.content)
        if isinstance(message, SystemMessage):
            out.append({"role": "system", "content": text})
        elif isinstance(message, HumanMessage):
            out.append({"role": "user", "content": text})
        elif isinstance(message, AIMessage):
            entry: dict[str, Any] = {"role": "assistant", "content": text}
            if message.tool_calls:
                entry["tool_calls"] = [{"id": c["id"], "type": "function",
                                        "function": {"name": c["name"], "arguments": c["args"]}}
                                       for c in message.tool_calls]
            out.append(entry)
        elif isinstance(message, ToolMessage):
            out.append({"role": "tool", "content": text, "name": message.name, "tool_call_id": message.tool_call_id})
        else:
            out.append({"role": "user", "content": text})
    return out


def _json_objects(text: str) -> list[Any] | None:
    """JSON values in text: one value, or several separated by whitespace/semicolons; None if not JSON."""
    decoder, found, index = json.JSONDecoder(), [], 0
    text = text.strip()
    while index < len(text):
        try:
            value, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            return None
        found.extend(value if isinstance(value, list) else [value])
        index = end
        while index < len(text) and text[index] in " \t\r\n;,":
            index += 1
    return found


def _as_call(value: Any) -> tuple[str, dict] | None:
    """(name, args) from {"name", "arguments"|"parameters"} or OpenAI's {"function": {...}}."""
    if not isinstance(value, dict):
        return None
    value = value.get("function", value) if isinstance(value.get("function"), dict) else value
    name = value.get("name")
    args = value.get("arguments", value.get("parameters", {}))
    if isinstance(args, str):
        try:
            args = json.loads(args or "{}")
        except json.JSONDecodeError:
            return None
    if not isinstance(name, str) or not isinstance(args, dict):
        return None
    return name, args


def parse_reply(text: str, *, tool_names: Sequence[str] = ()) -> AIMessage:
    """An AIMessage from generated text: `<tool_call>{json}</tool_call>` blocks (Hermes/Qwen),
    `[TOOL_CALLS] [...]` (Mistral), `<|python_tag|>{json}` or a bare JSON call (Llama 3).
    Text outside the calls is the content.  With no tools bound, everything is text.

    >>> m = parse_reply('Sure. <tool_call>{"name": "set_style", "arguments": {"tempo": 90}}</tool_call>',
    ...                 tool_names=["set_style"])
    >>> m.content, [(c["name"], c["args"]) for c in m.tool_calls]
    ('Sure.', [('set_style', {'tempo': 90})])
    >>> parse_reply('{"name": "nope", "parameters": {}}', tool_names=["set_style"]).tool_calls
    []
    """
    if not tool_names:
        return AIMessage(content=text.strip())
    blocks = _TAGGED.findall(text)
    rest = _TAGGED.sub("", text).strip()
    if not blocks:
        stripped = text.strip()
        for prefix in _PREFIXES:
            if stripped.startswith(prefix):
                stripped = stripped[len(prefix):].strip()
        values = _json_objects(stripped) if stripped[:1] in "{[" else None
        parsed = [_as_call(v) for v in values or []]
        if values and all(p is not None and p[0] in tool_names for p in parsed):
            return _message("", [(p[0], p[1], None) for p in parsed if p])
        return AIMessage(content=text.strip())
    calls = []
    for block in blocks:
        values = _json_objects(block)
        parsed = _as_call(values[0]) if values and len(values) == 1 else None
        calls.append((parsed[0], parsed[1], None) if parsed else (None, None, block))
    return _message(rest, calls)


def _message(content: str, calls: list[tuple[str | None, dict | None, str | None]]) -> AIMessage:
    good, bad = [], []
    for name, args, raw in calls:
        call_id = f"call_{uuid.uuid4().hex[:12]}"
        if name is None:
            bad.append(invalid_tool_call(name=None, args=raw, id=call_id, error="the tool call is not valid JSON"))
        else:
            good.append(tool_call(name=name, args=args or {}, id=call_id))
    return AIMessage(content=content, tool_calls=good, invalid_tool_calls=bad)


class LocalChatModel(BaseChatModel):
    """A chat model over a local backend; tools are passed to the chat template, calls parsed back."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    backend: Any = Field(exclude=True)
    model_name: str = "local"
    max_new_tokens: int = 384
    temperature: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "tunesmith-local"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "max_new_tokens": self.max_new_tokens, "temperature": self.temperature}

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any):
        """Keep the tool schemas (OpenAI format); they reach `_generate` as the `tools` keyword."""
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        tools = kwargs.get("tools") or []
        text = self.backend.complete(to_chat_dicts(messages), tools=tools, max_new_tokens=self.max_new_tokens,
                                     temperature=self.temperature)
        for marker in stop or ():
            text = text.split(marker, 1)[0]
        names = [t["function"]["name"] for t in tools if "function" in t]
        return ChatResult(generations=[ChatGeneration(message=parse_reply(text, tool_names=names))])
