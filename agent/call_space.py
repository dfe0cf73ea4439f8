"""Which argument values a chat turn may pass, and the one checker every provider's calls go through.

A value reaches a tool only when the person stated it (in this message, or, for a follow-up
like "and bar 4 too", in the one before) or the song state holds it (the tempo that "a bit
faster" starts from).  `space_for` lists those values per argument for the embedded model's
grammar (finetune/lm/chat_decode.Space); `checked_call` applies the same rule to a call that any
other model (Ollama, OpenAI-compatible, an HF folder) made: values that nobody stated are
dropped with a note, a required one that is missing or unstated becomes an error the model
reads and can answer.  Keys are strict: "H major" names no key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..finetune.chat.mentions import has_han, named_keys, named_numbers, stated, unknown_keys
from ..tokenization.contract import contract
from ..tools.actions.state import SongState
from ..tools.errors import ToolError

_CHORD = re.compile(r"(?<![A-Za-z#♯♭])([A-G](?:#|b|♯|♭)?(?:maj7|maj|m7b5|m7|m9|min|m|dim7|dim|°|aug|\+|sus2|sus4|"
                    r"7sus4|add9|6|7|9|11|13)?(?:/[A-G](?:#|b)?)?)(?![A-Za-z#♯♭])")
_SPAN = re.compile(r"(\d+)\s*(?:-|–|—|~|to|through|thru|until|到|至)\s*第?\s*(\d+)")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
             "ninth": 9, "tenth": 10, "last": -1}
FREE = ("theme", "topic")  # phrases of the message
RELATIVE = {"+15%": 1.15, "-13%": 0.87}  # "a bit faster" / "slower": the embedded grammar's relative tempos
MODE_WORDS = {"major": "major", "minor": "minor", "dorian": "dorian", "mixolydian": "mixolydian", "大调": "major",
              "小调": "minor", "多利亚": "dorian", "混合利底亚": "mixolydian"}
_MODE_WORD = re.compile(r"(?i)\b(major|minor|dorian|mixolydian)\b|(?:^|(?<=[^A-Za-z]))(大调|小调|多利亚|混合利底亚)")
_DOWN = re.compile(r"(?i)\b(?:down|lower|drop)\b|降|调低")  # "too high" says nothing of the way: not a sign word
_UP = re.compile(r"(?i)\b(?:up|higher|raise)\b|升|调高")
MAX_PHRASE_WORDS = 8
MAX_PHRASE_CHARS = 12


@dataclass(frozen=True, slots=True)
class Said:
    """What the person's recent messages state, found once per turn."""

    text: str
    earlier: str
    mentions: dict[str, list[Any]]
    numbers: tuple[int, ...]
    chords: tuple[str, ...]
    spans: tuple[str, ...]


def said(text: str, earlier: Sequence[str] = ()) -> Said:
    """The values `text` states (and chords and numbers of the message before it, for follow-ups)."""
    before = earlier[-1] if earlier else ""
    numbers = set(named_numbers(text))
    numbers |= {n for word, n in _ORDINALS.items() if n > 0 and re.search(rf"\b{word}\b", text, re.I)}
    chords = [m.group(1).replace("♯", "#").replace("♭", "b") for m in _CHORD.finditer(text)]
    chords += [m.group(1) for m in _CHORD.finditer(before)]
    spans = [f"{a}-{b}" if a != b else a for a, b in _SPAN.findall(text) if int(a) <= int(b)]
    return Said(text=text, earlier=before, mentions=stated(text), numbers=tuple(sorted(numbers)),
                chords=tuple(dict.fromkeys(chords)), spans=tuple(dict.fromkeys(spans)))


def phrases(text: str) -> list[str]:
    """Candidate themes and topics: runs of up to 8 words (or 12 Chinese characters) of the message."""
    runs = re.findall(r"[\u3400-\u9fff]+", text)
    out = [run[i:j] for run in runs for i in range(len(run)) for j in range(i + 1, min(len(run), i + MAX_PHRASE_CHARS) + 1)]
    for latin in re.split(r"[\u3400-\u9fff，。！？、；：“”]+", text):
        words = re.findall(r"[A-Za-z0-9'’-]+", latin)
        out += [" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, min(len(words), i + MAX_PHRASE_WORDS) + 1)]
    return list(dict.fromkeys(out))


def values_for(name: str, arg: Any, heard: Said, state: SongState) -> list[str]:
    """The value texts argument `name` may take this turn (empty: the argument is not offered)."""
    m = heard.mentions
    if name in FREE:
        return phrases(heard.text)
    if name == "key":
        tonics = sorted(named_keys(heard.text))
        modes = [str(v) for v in m.get("mode", [])]
        return tonics + [f"{t} {mode}" for t in tonics for mode in modes]
    if name == "chord":
        return list(heard.chords)
    if name in ("span", "keep"):
        spans = list(heard.spans) + [str(n) for n in heard.numbers if 1 <= n <= 256]
        if name == "keep":  # "rewrite bars 5-8" keeps 1-4; "keep the first 4 bars" keeps 1-4
            spans += [f"1-{int(s.split('-')[0]) - 1}" for s in heard.spans if int(s.split("-")[0]) > 1]
            spans += [f"1-{n}" for n in heard.numbers if 2 <= n <= 64]
        return list(dict.fromkeys(spans))
    if name == "semitones":
        return [str(s * n) for n in heard.numbers if 1 <= n <= 12 for s in directions(heard.text)]
    if name == "tempo":
        numbers = [str(n) for n in (*m.get("tempo", []), *heard.numbers) if 20 <= int(n) <= 400]
        return list(dict.fromkeys([*numbers, *(RELATIVE if current_tempo(state) else ())]))
    if name == "mode":
        modes = [str(v) for v in m.get("mode", [])]
        modes += [MODE_WORDS[(en or zh).lower()] for en, zh in _MODE_WORD.findall(heard.text)]
        return list(dict.fromkeys(v for v in modes if not arg.enum or v in arg.enum))
    if arg.is_int:
        found = m.get(name) or list(heard.numbers)
        if name in ("bar", "beat", "line", "rhyme_with") and not m.get(name):
            found = list(heard.numbers)
        low, high = arg.low if arg.low is not None else -10**9, arg.high if arg.high is not None else 10**9
        return [str(n) for n in dict.fromkeys(int(v) for v in found) if low <= n <= high]
    values = [str(v) for v in m.get(name, [])]
    if arg.enum:
        values = [v for v in values if v in arg.enum]
    return values


def directions(text: str) -> tuple[int, ...]:
    """The signs a stated semitone count may take: "down 2" / "降低两个半音" only -2, "up 3" only +3,
    a bare number either way."""
    down, up = bool(_DOWN.search(text)), bool(_UP.search(text))
    return (1, -1) if down == up else ((-1,) if down else (1,))


def current_tempo(state: SongState) -> int | None:
    """The tempo a relative change starts from: the song's, else the settings'."""
    return state.song.melody.tempo if state.has_melody else state.tempo


def absolute_tempo(value: Any, state: SongState) -> Any:
    """A relative tempo of the grammar ("+15%") as beats per minute of the current song."""
    factor = RELATIVE.get(str(value))
    base = current_tempo(state)
    return max(20, min(400, round(base * factor))) if factor and base else value


def space_for(text: str, *, earlier: Sequence[str], state: SongState, tools: Iterable[str],
              known: Iterable[str] = ()) -> Any:
    """The grammar's space for the next call of this turn (finetune/lm/chat_decode.Space); `known`:
    every tool of the conversation, offered or not (the model's wish for one that is not offered,
    e.g. one already called this turn, makes it reply instead)."""
    from ..finetune.lm.chat_decode import Space

    heard = said(text, earlier)
    c = contract()
    names = [t for t in tools if t in c.tools]
    known = tuple(dict.fromkeys([*names, *(k for k in known if k in c.tools)]))
    fields = {a.name: a for t in names for a in c.tool(t).args}
    values = {name: tuple(values_for(name, arg, heard, state)) for name, arg in fields.items()}
    # a tool whose required argument nobody stated is not offered: the model answers (asks) instead
    names = [t for t in names if all(values.get(a.name) for a in c.tool(t).args if a.required)]
    return Space(tools={t: c.tool(t).arg_names for t in names},
                 required={t: _required(c.tool(t), heard, values) for t in names},
                 values={k: v for k, v in values.items() if v}, known=known)


def ready(tools: Iterable[str], state: SongState) -> list[str]:
    """The tools that can work on the song as it is: one that needs a melody (the contract's `needs`)
    is not offered before there is one, so a first request ("write a reel in A dorian") cannot go to
    write_lyrics or change_tempo and fail; the model writes a melody or asks instead."""
    c = contract()
    return [t for t in tools if t not in c.tools or c.tool(t).needs != "melody" or state.has_melody]


def _required(tool: Any, heard: Said, values: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The arguments the call must carry: the contract's required ones, and those of its `carry` whose
    value the message names ("an irish jig in D, 16 bars": key and bars), so a stated key, meter,
    tempo or length is never left out of the call."""
    carried = [a for a in tool.carry if heard.mentions.get(a) and values.get(a)]
    return tuple(dict.fromkeys([*(a.name for a in tool.args if a.required), *carried]))


def checked_call(name: str, args: dict[str, Any], *, text: str, earlier: Sequence[str],
                 state: SongState) -> tuple[dict[str, Any], list[str]]:
    """A model's call kept to what was said: (the arguments that stay, notes on the ones dropped).
    A ToolError when a required argument is missing or unstated, or the message names no key."""
    if name not in contract().tools:
        return args, []
    tool = contract().tool(name)
    heard = said(text, earlier)
    kept: dict[str, Any] = {}
    notes: list[str] = []
    bad_keys = unknown_keys(text)
    for arg in tool.args:
        if arg.name not in args or args[arg.name] is None:
            continue
        value = args[arg.name]
        if arg.name == "key":
            _readable_key(name, str(value), bad_keys)
        if _stated(arg, value, heard, state):
            kept[arg.name] = value
        else:
            notes.append(f"{arg.name}={value!r} was dropped: the person did not say it")
    missing = [a.name for a in tool.args if a.required and a.name not in kept]
    if missing:
        raise ToolError(f"{name} needs {', '.join(missing)} as the person states it: ask them")
    return kept, notes


def _readable_key(tool: str, value: str, bad: list[str]) -> None:
    """A ToolError for a key that is no key ("H major"), the model's or the person's."""
    from ..tokenization.errors import MusicValueError
    from ..tokenization.music import parse_key

    try:
        parse_key(value)
    except MusicValueError as err:
        raise ToolError(f"{tool} failed: {err}") from None
    if bad:
        raise ToolError(f"{tool} failed: {bad[0]!r} is not a key (a key is a letter A-G with # or b, e.g. B major)")


def _stated(arg: Any, value: Any, heard: Said, state: SongState) -> bool:
    text = str(value).strip()
    if arg.name in FREE:
        words = set(re.findall(r"[\w'’-]+", text.lower())) if not has_han(text) else set(text)
        seen = set(re.findall(r"[\w'’-]+", heard.text.lower())) if not has_han(heard.text) else set(heard.text)
        return bool(words) and len(words & seen) >= 0.5 * len(words)
    if arg.name == "key":
        from ..tokenization.music import parse_key

        try:
            tonic = parse_key(text).tonic
        except Exception:  # noqa: BLE001 - any unreadable key is not stated
            return False
        return tonic in named_keys(heard.text)
    allowed = values_for(arg.name, arg, heard, state)
    if not allowed and not arg.stated and not arg.is_int and arg.name not in ("chord", "span", "keep"):
        return True  # a free choice the contract lets the model make (e.g. a mood word for "softer")
    if arg.name == "mood" and text.casefold() in {v.casefold() for v in (*allowed, *re.findall(r"\w+", heard.text))}:
        return True  # a mood word the person wrote ("dreamy"), or one the aliases map it to
    return _plain(arg.name, text) in {_plain(arg.name, v) for v in allowed}


def _plain(name: str, value: str) -> str:
    """A value in one comparable form: a style by its slug ("jig" -> irish-jig), bars '1 - 4' -> '1-4'."""
    value = str(value).strip()
    if name == "style":
        from ..tokenization.errors import MusicValueError
        from ..tokenization.styles import get_style

        try:
            return get_style(value).name
        except MusicValueError:
            return value.casefold()
    if name in ("span", "keep"):
        numbers = re.findall(r"\d+", value)
        return "-".join(dict.fromkeys(numbers)) if numbers else value
    return value.casefold()
