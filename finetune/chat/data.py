"""Synthetic chat dialogues for the embedded chat model's LoRA: user -> tool call, reply, or result reply.

Three kinds (about 70/15/15): (a) a request and the one tool call it asks for, with only the
arguments the message states, in the decoder's vocabularies; (b) a message that wants a plain
answer (greetings, thanks, music questions, out-of-scope or unclear asks); (c) a request, the
tool's summary (the contract's templates) or error, and a one- or two-sentence reply.  Half English,
half Simplified Chinese.  Templates live in chat_templates, slot values in chat_slots, plain
replies in chat_replies, tool results in chat_results.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from . import slots as S
from ...tokenization.contract import contract
from .replies import REPLIES
from .results import result_and_reply
from .templates import EN, ZH
from .words import fill_word

MOODS = S.MOODS
CHORD_STYLES = S.CHORD_STYLES
# Argument order of each tool (the contract's, as the argument models and the grammar have it).
FIELDS: dict[str, tuple[str, ...]] = {name: tool.arg_names for name, tool in contract().tools.items()}
# Each tool's share of the dialogues, in the order the draws map to tools: the contract's, with the
# settings tool (task "style") last, as the dialogues have always been drawn; a seed keeps its data.
# Tools of weight 0 (the edit and question tools) are the pretrained chat model's only (finetune/lm/chat_data).
TOOL_WEIGHTS: dict[str, int] = {tool.name: tool.weight for tool in sorted(contract().tools.values(),
                                                                          key=lambda t: t.task == "style")
                                if tool.weight > 0}
COPIED = ("theme", "range", "rhyme")  # copied verbatim from the message
MAX_BYTES = 160
_SLOT = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class ChatExample:
    """One training dialogue: a user message, then a tool call, or a reply, or a tool result and a reply."""

    lang: str
    user: str
    tool: str | None
    args: tuple[tuple[str, str | int], ...]
    tool_result: str | None
    reply: str | None

    @property
    def kind(self) -> str:
        """'call', 'reply' or 'result'."""
        return "reply" if self.tool is None else ("result" if self.tool_result is not None else "call")


def _ordered(tool: str, args: dict) -> tuple[tuple[str, str | int], ...]:
    return tuple((name, args[name]) for name in FIELDS[tool] if name in args)


def request(rng: random.Random, tool: str, lang: str, *, genres: bool = False) -> tuple[str, dict]:
    """A user message asking for `tool`, and the arguments it states (unordered)."""
    templates = (EN if lang == "en" else ZH)[tool]
    for _ in range(50):
        text, args = _render(rng, pick_template(rng, templates), tool, lang, genres=genres)
        if len(text.encode()) <= MAX_BYTES and (tool != "set_style" or args):
            return text, args
    raise RuntimeError(f"no message under {MAX_BYTES} bytes for {tool}")  # pragma: no cover


def pick_template(rng: random.Random, templates: tuple[str, ...]) -> str:
    return templates[rng.randrange(len(templates))]


def _render(rng: random.Random, template: str, tool: str, lang: str, *, genres: bool) -> tuple[str, dict]:
    parts = _SLOT.split(template)  # literal, slot, literal, slot, ...
    args: dict = {}
    pieces: list[tuple[str, bool]] = []  # (text, copied verbatim)
    later = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            pieces.append((part, False))
        elif part == "extras":
            later.append(len(pieces))
            pieces.append(("", False))
        else:
            text, new = fill_word(rng, part, lang, tool, genres=genres, taken=args)
            if set(new) & set(args):  # the same setting twice: drop the second mention
                text, new = fill_word(rng, part, lang, tool, genres=genres, taken=args, empty=True)
            args.update(new)
            pieces.append((text, any(k in COPIED for k in new)))
    for index in later:
        text, new = fill_word(rng, "extras", lang, tool, genres=genres, taken=args)
        args.update(new)
        pieces[index] = (text, False)
    return _surface(rng, pieces, lang), args


def _surface(rng: random.Random, pieces: list[tuple[str, bool]], lang: str) -> str:
    """Casing, typos and punctuation on the template's words; copied values stay as they are."""
    lower = lang == "en" and rng.random() < 0.3
    typo = lang == "en" and rng.random() < 0.06
    out = []
    for text, copied in pieces:
        if not copied:
            text = text.lower() if lower else text
            if typo and len(text) > 6:
                text, typo = _typo(rng, text), False
        out.append(text)
    text = re.sub(r"\s+", " ", "".join(out)).strip()
    text = re.sub(r"\s+([,?.!])", r"\1", text).replace(",,", ",").replace("，，", "，")
    if lang == "en":
        text = _articles(text)
        if not lower and rng.random() < 0.6:
            text = text[:1].upper() + text[1:]
        text = text.rstrip(",")
        end = rng.random()
        if text.endswith("?"):
            text = text[:-1] if end < 0.2 else text
        elif end < 0.45:
            text += "."
        elif end < 0.5:
            text += "!"
    else:
        text = text.strip("，")
        if rng.random() < 0.15:
            text = text.replace("，", ",")
        end = rng.random()
        if text.endswith("？"):
            text = text[:-1] if end < 0.2 else text
        elif end < 0.45:
            text += "。"
        elif end < 0.52:
            text += pick_template(rng, ("！", "，谢谢", "，谢谢！", "，麻烦了", "~"))
    return text


def _articles(text: str) -> str:
    """'a 8-bar' -> 'an 8-bar', 'a upbeat' -> 'an upbeat', 'an jig' -> 'a jig'.

    >>> _articles("a 8-bar tune, an jig and a Irish reel")
    'an 8-bar tune, a jig and an Irish reel'
    """
    text = re.sub(r"(?<!in )(?<!of )(^A|\ba) (?=[aeiouAEIOU]|8|11\b|11-|18\b|18-)", r"\1n ", text)
    return re.sub(r"(^A|\ba)n (?=[^aeiouAEIOU81\s])", r"\1 ", text)


def _typo(rng: random.Random, text: str) -> str:
    words = [m for m in re.finditer(r"[a-z]{5,}", text)]
    if not words:
        return text
    w = words[rng.randrange(len(words))]
    i = w.start() + rng.randrange(1, len(w.group()) - 2)
    if rng.random() < 0.5:
        return text[:i] + text[i + 1] + text[i] + text[i + 2:]
    return text[:i] + text[i + 1:]


def call_example(rng: random.Random, lang: str, *, genres: bool = False) -> ChatExample:
    tool = rng.choices(tuple(TOOL_WEIGHTS), weights=tuple(TOOL_WEIGHTS.values()))[0]
    user, args = request(rng, tool, lang, genres=genres)
    return ChatExample(lang, user, tool, _ordered(tool, args), None, None)


def reply_example(rng: random.Random, lang: str) -> ChatExample:
    group = REPLIES[lang][rng.randrange(len(REPLIES[lang]))]
    users, replies = group
    user = users[rng.randrange(len(users))]
    user = _surface(rng, [(user, False)], lang) if rng.random() < 0.6 else user
    return ChatExample(lang, user, None, (), None, replies[rng.randrange(len(replies))])


def result_example(rng: random.Random, lang: str, *, genres: bool = False) -> ChatExample:
    tool = rng.choices(tuple(TOOL_WEIGHTS), weights=tuple(TOOL_WEIGHTS.values()))[0]
    user, args = request(rng, tool, lang, genres=genres)
    tool_result, reply = result_and_reply(rng, tool, args, lang)
    return ChatExample(lang, user, tool, _ordered(tool, args), tool_result, reply)


def chat_examples(*, seed: int, count: int, genres: bool = True) -> list[ChatExample]:
    """`count` dialogues, the same for the same seed: ~70% calls, 15% replies, 15% results, half EN/ZH.

    genres=True (the default) names Chinese genres by their slugs (chinese-han-shange), as the chat
    grammar writes them (a named genre is the style stated); genres=False makes them chinese-han.
    """
    rng = random.Random(seed)
    out = []
    for i in range(count):
        lang = "en" if i % 2 == 0 else "zh"
        r = rng.random()
        if r < 0.70:
            out.append(call_example(rng, lang, genres=genres))
        elif r < 0.85:
            out.append(reply_example(rng, lang))
        else:
            out.append(result_example(rng, lang, genres=genres))
    return out
