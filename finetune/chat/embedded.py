"""The embedded chat model's backend: the project model with its `chat` adapter.

It plugs into agent.chat_local.LocalChatModel like a Hugging Face folder does
(`complete(conversation, *, tools, max_new_tokens, temperature) -> str`), but it reads only
the person's last message (and, after a tool ran, that tool's result), and its output is
constrained by chat_format.CallGrammar: a reply, or a call of a declared tool with valid
arguments, returned in the `<tool_call>{json}</tool_call>` form the wrapper parses.

After a tool result the adapter may only reply (one tool call per turn); a request that needs
two tools takes two messages.  Decoding is greedy, so the same conversation gets the same answer.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .format import TOOL_CODES, CallGrammar, FieldValues, ToolSpec, chat_prompt, parse_call, stated_values, tool_specs
from .mentions import has_han, stated, unknown_keys
from ..errors import ModelError
from ..text.adapter import generate_text, score_text

CHAT_ADAPTER = "chat"
# A reply whose bytes the adapter itself finds this unlikely (mean log-probability per byte under
# greedy decoding) is garbage more often than not; it is replaced (see `complete`).
REPLY_MIN_LOGPROB = -1.5
UNSURE = {"en": "Sorry, I did not catch that. I can write a melody (name a style, key or length), suggest chords, "
                "write lyrics, check or analyze your song, or export it.",
          "zh": "抱歉，我没听懂。我可以写旋律（说说风格、调性或小节数）、配和弦、写歌词、检查或分析乐曲，或者导出文件。"}
_NUMBER = re.compile(r"\d+(?:/\d+)?")
_KEY = re.compile(r"\b([A-G][#b]?)[ -]*(major|minor|dorian|mixolydian)\b|([A-G][#b]?)\s*(大调|小调)")


def _facts(text: str) -> tuple[set[str], set[str]]:
    """Numbers and keys ("D minor") named in a text; ZH 大调/小调 read as major/minor."""
    keys = set()
    for tonic, mode, zh_tonic, zh_mode in _KEY.findall(text):
        keys.add(f"{tonic} {mode}" if tonic else f"{zh_tonic} {'major' if zh_mode == '大调' else 'minor'}")
    return set(_NUMBER.findall(text)), keys


def checked_reply(reply: str, result: str) -> tuple[str, bool]:
    """The reply, or the tool's own summary when the reply names a number or key the result does not
    (a small model can garble facts); the flag says whether the reply was replaced.

    >>> checked_reply("Here is your jig in D major.", "generate_melody: 8 bars in D major")
    ('Here is your jig in D major.', False)
    >>> checked_reply("Here it is, in E minor.", "generate_melody: Wrote 8 bars in D major. Theory check: ok")
    ('Wrote 8 bars in D major.', True)
    """
    numbers, keys = _facts(reply)
    known_numbers, known_keys = _facts(result)
    if reply.strip() and "\ufffd" not in reply and numbers <= known_numbers and keys <= known_keys:
        return reply, False
    return result_summary(result), True


def result_summary(result: str) -> str:
    """The first sentence of a tool result ("<tool>: <text>"), said in place of an unsafe reply.

    >>> result_summary("generate_melody: Wrote 8 bars in D major. Theory check: ok")
    'Wrote 8 bars in D major.'
    """
    summary = result.split(": ", 1)[-1]
    return re.split(r"(?<=[.!?。])\s", summary, maxsplit=1)[0].strip()


def last_exchange(conversation: Sequence[Mapping[str, Any]]) -> tuple[str, str | None]:
    """(the last user message, "<tool>: <result>" of a tool that answered after it, or None).

    >>> last_exchange([{"role": "user", "content": "hi"}])
    ('hi', None)
    >>> last_exchange([{"role": "user", "content": "a jig"}, {"role": "assistant", "content": ""},
    ...                {"role": "tool", "name": "generate_melody", "content": "done"}])
    ('a jig', 'generate_melody: done')
    """
    user, result = "", None
    for message in conversation:
        role = message.get("role")
        if role == "user":
            user, result = str(message.get("content") or ""), None
        elif role == "tool":
            result = f"{message.get('name') or 'tool'}: {message.get('content') or ''}"
    return user, result


def adapter_task_probs(runtime: Any, user: str, tools: Sequence[str], *, pieces: Any = None) -> dict[str, float]:
    """The chat adapter's probability of each task (chat_router.TOOL_TASKS; "chat" for a reply),
    read off its first output bytes: '@' or not, then the tool code."""
    from .router import CHAT_TASK, tasks_of

    names = list(tools)
    targets = ["@", *("@" + TOOL_CODES.get(name, name) for name in names)]
    with runtime.session(CHAT_ADAPTER) as active:
        scores = score_text(active.model, active.codec, task="chat", prompt=chat_prompt(user), targets=targets,
                            pieces=pieces, eos=False)
    call = math.exp(scores[0])
    each = [math.exp(s) for s in scores[1:]]
    total = sum(each) or 1.0
    probs = {CHAT_TASK: max(1.0 - call, 1e-9)}
    for task, members in tasks_of(names).items():
        probs[task] = call * sum(each[names.index(n)] for n in members) / total
    return probs


class EmbeddedChat:
    """Backend over a Runtime whose checkpoint has a chat adapter (loaded lazily, shared; each
    generation holds a runtime session, so other threads' tools wait for it)."""

    def __init__(self, runtime: Callable[[], Any], *, styles: Sequence[str] = ()) -> None:
        from ...tokenization.styles import CHAT_MOODS as MOODS, CHORD_STYLE_NAMES as CHORD_STYLES

        self._runtime = runtime
        self.values = FieldValues.default(styles=styles, moods=MOODS, chord_styles=CHORD_STYLES)
        self.last_seconds = 0.0
        self.replaced = False  # whether the last reply was swapped for the tool's summary
        self._pieces: Any = None
        self._router: Any = None
        self.last_route: dict[str, Any] = {}  # the task scores of the last first-turn decision

    def check(self) -> None:
        """Load the model now; a clear ModelError when the checkpoint has no chat adapter."""
        runtime = self._runtime()
        if not runtime.has_adapter(CHAT_ADAPTER):
            raise ModelError(f"the checkpoint in {runtime.directory} has no chat adapter "
                             "(train it with `tunesmith train chat`)")
        if self._pieces is None or self._router is None:
            from .router import ROUTER_FILE, Router
            from ..lora import adapter_dir
            from ..text.pieces import PIECES_FILE, PieceTable

            folder = adapter_dir(runtime.directory, CHAT_ADAPTER)
            self._pieces = PieceTable.load(folder) if (folder / PIECES_FILE).is_file() else False
            self._router = Router.load(folder) if (folder / ROUTER_FILE).is_file() else False

    def complete(self, conversation: Sequence[Mapping[str, Any]], *, tools: Sequence[Mapping[str, Any]] = (),
                 max_new_tokens: int = 384, temperature: float = 0.0) -> str:
        """The adapter's answer to the conversation: reply text or one `<tool_call>` block."""
        user, result = last_exchange(conversation)
        if not user.strip():
            return "Tell me what you would like: a melody, chords, lyrics, or a check of your song."
        wrong = unknown_keys(user) if result is None else []
        if wrong:  # the grammar cannot write such a key, so the adapter would quietly pick another
            return (f"{wrong[0]} is not a key I know: a key is a letter A to G, with # or b if you like "
                    "(German H is B, as in 'B major').")
        specs = tool_specs(tools, self.values)
        started = time.perf_counter()
        self.check()
        runtime = self._runtime()
        with runtime.session(CHAT_ADAPTER) as active:
            reply_only, only = result is not None, None
            if result is None and specs and self._router:
                reply_only, only = self._route(runtime, user, specs)
            grammar = CallGrammar(specs, message=" ".join(user.split()), reply_only=reply_only, only=only)
            text = generate_text(active.model, active.codec, task="chat", prompt=chat_prompt(user, tool_result=result),
                                 allowed=grammar, max_new_tokens=max_new_tokens,
                                 pieces=self._pieces or None)
        self.last_seconds = time.perf_counter() - started
        try:
            call = parse_call(text, specs)
        except ModelError:
            return "Sorry, I lost track of that request. Could you say it again in other words?"
        if call is None:
            return self._reply(runtime, text.strip(), user=user, result=result)
        name, args = call
        self.replaced = False
        return "<tool_call>" + json.dumps({"name": name, "arguments": args}, ensure_ascii=False) + "</tool_call>"

    def _route(self, runtime: Any, user: str, specs: Mapping[str, ToolSpec]) -> tuple[bool, list[str] | None]:
        """(reply only?, the tools of the chosen task): the task with the highest product of the
        adapter's (tempered) probability and the router's (chat_router.combine)."""
        from .router import CHAT_TASK, combine, tasks_of

        groups = tasks_of(list(specs))
        adapter = adapter_task_probs(runtime, user, list(specs), pieces=self._pieces or None)
        router = self._router.probs(user)
        best = combine(adapter, router)[0]
        self.last_route = {"adapter": adapter, "router": {t: router.get(t) for t in adapter}, "task": best}
        if best == CHAT_TASK:
            return True, None
        said = stated(" ".join(user.split()))  # of the task's tools, those that take most of what was said
        cover = {name: sum(bool(stated_values(f, said)) for f in specs[name].fields) for name in groups[best]}
        return False, [name for name, n in cover.items() if n == max(cover.values())]

    def _reply(self, runtime: Any, text: str, *, user: str, result: str | None) -> str:
        """The adapter's reply when it is confident and names only facts the tool reported; else the
        tool's own summary (after a tool) or a short note of what tunesmith can do."""
        prompt = chat_prompt(user, tool_result=result)
        with runtime.session(CHAT_ADAPTER) as active:
            logprob = score_text(active.model, active.codec, task="chat", prompt=prompt, targets=[text],
                                 pieces=self._pieces or None)[0]
        confident = logprob / (len(text.encode()) + 1) >= REPLY_MIN_LOGPROB
        if result is not None:
            checked, replaced = checked_reply(text, result)
            if confident and not replaced and has_han(text) == has_han(user):  # and in the person's language
                self.replaced = False
                return checked
            self.replaced = True
            return result_summary(result)
        self.replaced = not confident or not text
        if self.replaced:
            return UNSURE["zh" if has_han(user) else "en"]
        return text
