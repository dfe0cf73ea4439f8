"""What the embedded chat adapter reads and writes, and the grammar that keeps its output valid.

The adapter does not read the tool schemas as text (a 2 M-parameter model has no room for
them); it learned the tools from synthetic dialogues (chat_data.py).  The schemas are used
where they matter: every output is forced, byte by byte, to be either a reply or a call of a
declared tool with declared arguments whose values fit their fields:

    prompt   U <the person's last message>            (a new request)
             U <message>\\nT <tool>: <its result>       (after a tool ran: write the reply)
    output   @<tool>|<arg>=<value>|<arg>=<value>       a tool call, arguments in schema order
             <any other text>                          a reply

Known tools and arguments are written as one-letter codes (`@g|k=D|n=8` is generate_melody
with key D and 8 bars): every output byte is a step away from the message, and the adapter
reads what is near far better than what is far; unknown ones keep their names.

Value grammar per field: the schema's enum; an integer within the schema's bounds; a field
vocabulary (keys, meters, styles, moods, bar spans) given by `FieldValues`; otherwise a span
copied from the person's message (a theme, a rhyme scheme, a range), so nothing is invented.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...tokenization.contract import contract, vocabulary
from ...tokenization.styles import STYLE_NAMES
from .mentions import named_keys, named_numbers, stated
from .spans import phrase_edges, phrase_marks
from ..errors import ModelError
from ..text.adapter import END, utf8_next

CALL, SEP, EQ = ord("@"), ord("|"), ord("=")
# Fields whose values a message states in words chat_mentions.stated knows (the contract's `stated`);
# the adapter's own guesses there were mostly inventions (mood=sad for "a jig in 6/8"), so they take
# only what was stated: a bar count or seed only as "16 bars", "seed 7" ("一点" is no bars=1).
STATED_ONLY = contract().stated_fields()
MAX_REPLY_BYTES = 160
MAX_MESSAGE_BYTES = 400  # the prompt keeps the end of a longer message
MAX_RESULT_BYTES = 200
# One-letter grammar codes of the contract's tools and arguments (the shipped adapter learned these).
TOOL_CODES = contract().tool_codes()
FIELD_CODES = contract().field_codes()


def chat_prompt(user: str, *, tool_result: str | None = None) -> str:
    """The adapter's prompt text for a message (and the tool result to reply to, if any).

    >>> chat_prompt("hi")
    'U hi'
    >>> chat_prompt("a jig", tool_result="generate_melody: 8 bars")
    'U a jig\\nT generate_melody: 8 bars'
    """
    text = " ".join(user.split())
    text = _clip(text, MAX_MESSAGE_BYTES, keep_end=True)
    if tool_result is None:
        return f"U {text}"
    return f"U {text}\nT {_clip(' '.join(tool_result.split()), MAX_RESULT_BYTES)}"


def _clip(text: str, limit: int, *, keep_end: bool = False) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    data = data[-limit:] if keep_end else data[:limit]
    return data.decode("utf-8", errors="ignore")


def format_call(name: str, args: Iterable[tuple[str, Any]]) -> str:
    """The output text of a tool call.

    >>> format_call("generate_melody", [("key", "D"), ("bars", 8)])
    '@g|k=D|n=8'
    """
    return "@" + "|".join([TOOL_CODES.get(name, name), *(f"{FIELD_CODES.get(k, k)}={v}" for k, v in args)])


# ---- fields ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    """One argument: its name and what its values may be."""

    name: str
    kind: str  # "enum" | "int" | "copy"
    values: tuple[str, ...] = ()
    low: int = 0
    high: int = 999_999


@dataclass(frozen=True)
class ToolSpec:
    name: str
    fields: tuple[Field, ...]
    required: frozenset[str]


@dataclass(frozen=True)
class FieldValues:
    """Vocabularies for string fields whose schema has no enum (by field name)."""

    table: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def default(cls, *, styles: Sequence[str] = (), moods: Sequence[str] = (),
                chord_styles: Sequence[str] = ()) -> FieldValues:
        """The contract's vocabularies (keys, meters, modes, bar spans), styles widened by the chord
        styles and a person's own adapters, and only the moods given (those the adapter was taught)."""
        table = {name: values for name, values in contract_vocabularies().items() if name not in ("style", "mood")}
        return cls({**table, "style": tuple(dict.fromkeys([*STYLE_NAMES, *chord_styles, *styles])),
                    "mood": tuple(moods)})


def contract_vocabularies() -> dict[str, tuple[str, ...]]:
    """String field -> the values the contract lists for it: its `vocab` (keys, meters, styles, moods,
    bar spans) or its enum (modes, chord rates, formats...: a schema's own enum comes first in tool_specs)."""
    table: dict[str, tuple[str, ...]] = {}
    for tool in contract().tools.values():
        for arg in tool.args:
            if arg.vocab or arg.enum:
                table.setdefault(arg.name, vocabulary(arg.vocab) if arg.vocab else arg.enum)
    return table


def _branch(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """The non-null alternative of an `anyOf` (pydantic's Optional)."""
    for option in schema.get("anyOf", ()):
        if option.get("type") != "null":
            return option
    return schema


def tool_specs(tools: Sequence[Mapping[str, Any]], values: FieldValues) -> dict[str, ToolSpec]:
    """ToolSpecs from OpenAI-format tool schemas (what `bind_tools` hands the chat model)."""
    specs: dict[str, ToolSpec] = {}
    for tool in tools:
        function = tool.get("function", tool)
        params = function.get("parameters") or {}
        fields = []
        for name, schema in (params.get("properties") or {}).items():
            branch = _branch(schema)
            if "enum" in branch:
                fields.append(Field(name, "enum", tuple(str(v) for v in branch["enum"])))
            elif branch.get("type") == "integer":
                fields.append(Field(name, "int", low=int(branch.get("minimum", 0)),
                                    high=int(branch.get("maximum", 999_999))))
            elif values.table.get(name):
                fields.append(Field(name, "enum", tuple(values.table[name])))
            else:
                fields.append(Field(name, "copy"))
        specs[function["name"]] = ToolSpec(function["name"], tuple(fields), frozenset(params.get("required") or ()))
    return specs


# ---- the grammar -----------------------------------------------------------------------------
def _continuations(options: Iterable[bytes], typed: bytes) -> tuple[set[int], bool]:
    """(next bytes that keep `typed` a prefix of some option, whether `typed` is an option)."""
    nxt, complete = set(), False
    for option in options:
        if option == typed:
            complete = True
        elif option.startswith(typed):
            nxt.add(option[len(typed)])
    return nxt, complete


def _int_next(typed: bytes, low: int, high: int) -> tuple[set[int], bool]:
    """Digits that keep `typed` an integer <= high (no leading zeros); complete when within bounds."""
    if typed == b"0":
        return set(), low <= 0
    digits = {d for d in range(ord("0"), ord("9") + 1)
              if (typed or d != ord("0")) and int((typed + bytes([d])).decode()) <= high}
    return digits, bool(typed) and low <= int(typed.decode()) <= high


def _word_byte(b: int) -> bool:
    return b < 0x80 and chr(b).isalnum()


def _copy_next(typed: bytes, source: bytes,
               edges: tuple[frozenset[int], frozenset[int], tuple[int, ...]] | None = None) -> tuple[set[int], bool]:
    """Bytes that extend `typed` as a span of `source` (no '|'); complete at a character boundary.

    Latin words are copied whole: a span starts and ends at word edges, so "some lyr" or "mer"
    (from "summer") cannot be a theme.  Chinese has no spaces; any span of characters is fine.

    `edges` (starts, ends, marks: byte offsets, chat_spans) narrows a span to a phrase.

    >>> _copy_next(b"", b"the sea")[0] == {ord("t"), ord("s")}, _copy_next(b"the s", b"the sea")[1]
    (True, False)
    >>> _copy_next(b"", b"about the sea", (frozenset({6}), frozenset({13}), ()))[0] == {ord("t")}
    True
    """
    if edges is not None:
        return _edge_next(typed, source, *edges)
    nxt: set[int] = set()
    complete = False
    start = source.find(typed)
    while start != -1:
        end = start + len(typed)
        if not (typed and _word_byte(typed[0]) and start > 0 and _word_byte(source[start - 1])):
            if end < len(source) and source[end] != SEP:
                nxt.add(source[end])
            complete |= not (typed and _word_byte(typed[-1]) and end < len(source) and _word_byte(source[end]))
        start = source.find(typed, start + 1)
    if not typed:
        starts = {i for i in range(len(source)) if i == 0 or not (_word_byte(source[i]) and _word_byte(source[i - 1]))}
        nxt = {source[i] for i in starts if source[i] != ord(" ") and source[i] != SEP and not 0x80 <= source[i] < 0xC0}
    complete = complete and bool(typed.strip()) and END in utf8_next(typed)  # parse_call strips spaces
    return nxt, complete


def _edge_next(typed: bytes, source: bytes, starts: frozenset[int], ends: frozenset[int],
               marks: tuple[int, ...]) -> tuple[set[int], bool]:
    """`_copy_next` for spans that start in `starts`, end in `ends` and cross none of `marks`."""
    nxt: set[int] = set()
    complete = False
    for start in starts:
        end = start + len(typed)
        if source[start:end] != typed:
            continue
        stop = min((m for m in marks if m >= start), default=len(source))
        if end > stop:
            continue
        complete |= bool(typed) and end in ends
        if any(end < e <= stop for e in ends):
            nxt.add(source[end])
    return nxt, complete and END in utf8_next(typed)


class CallGrammar:
    """`allowed(prefix)` for the adapter's output: a reply or a valid call of one of `specs`
    (only a reply with reply_only; only a call of the tools named in `only` when it is given).

    Nothing is invented: a key or integer argument is offered only with a value the message names,
    a style, mood, mode, meter, chord rate, format, voice, language, rhyme scheme or range only with
    one it states (chat_mentions), a theme only as a phrase of the message (chat_spans); what the message states
    must be passed, and a required field is never left without values."""

    def __init__(self, specs: Mapping[str, ToolSpec], *, message: str, reply_only: bool = False,
                 only: Collection[str] | None = None) -> None:
        self.specs = {TOOL_CODES.get(name, name): spec for name, spec in specs.items()}
        self.source = message.encode()
        self.reply_only = reply_only or not self.specs
        self.call_only = only is not None and not self.reply_only  # a call of one of the `only` tools
        self.names = [code.encode() for code, spec in self.specs.items() if only is None or spec.name in only]
        self.keys, self.numbers = named_keys(message), named_numbers(message)
        self.stated = stated(message)
        starts, ends = phrase_edges(message)
        marks = phrase_marks(message)
        reachable = any(s < e <= min((m for m in marks if m >= s), default=len(self.source)) for s in starts for e in ends)
        self.edges = (starts, ends, marks) if reachable else None  # else any span of whole words

    def must(self, spec: ToolSpec) -> frozenset[str]:
        """The fields a call of `spec` must carry: the required ones and those the message states."""
        return spec.required | {f.name for f in spec.fields if stated_values(f, self.stated)}

    def said(self, fld: Field, spec: ToolSpec) -> list[str] | None:
        """The values of `fld` the message names (None: not restricted)."""
        if values := stated_values(fld, self.stated):
            return values
        if fld.name in STATED_ONLY:  # said in so many words, or not at all
            return [] if fld.name not in spec.required else None
        if fld.name == "key" and fld.kind == "enum":
            values = [v for v in fld.values if v in self.keys]
        elif fld.kind == "int":
            values = [str(n) for n in sorted(self.numbers) if fld.low <= n <= fld.high]
        else:
            return None
        return values if values or fld.name not in spec.required else None

    def __call__(self, prefix: bytes) -> Collection[int]:
        if not prefix:
            if self.call_only:
                return {CALL}
            starts = set(utf8_next(b"")) - {END, ord("\n"), ord(" ")}
            return starts - {CALL} if self.reply_only else starts | {CALL}
        if prefix[0] != CALL:
            allowed = set(utf8_next(prefix))
            return allowed if len(prefix) < MAX_REPLY_BYTES else (allowed & {END} or set(range(0x80, 0xC0)))
        parts = prefix[1:].split(b"|")
        name = parts[0]
        if len(parts) == 1:
            nxt, complete = _continuations(self.names, name)
            if complete:
                spec = self.specs[name.decode()]
                nxt |= {SEP} if any(self.said(f, spec) != [] for f in spec.fields) else set()
                nxt |= {END} if not self.must(spec) else set()
            return nxt
        spec = self.specs[name.decode()]
        codes = {FIELD_CODES.get(f.name, f.name): f.name for f in spec.fields}
        done = [codes[p.split(b"=", 1)[0].decode()] for p in parts[1:-1]]
        order = [f.name for f in spec.fields]
        after = order.index(done[-1]) + 1 if done else 0
        remaining = []
        must = self.must(spec)
        for f in spec.fields[after:]:  # never skip past a required or stated field that is still missing
            if self.said(f, spec) == []:
                continue
            remaining.append(f)
            if f.name in must:
                break
        current = parts[-1]
        if b"=" not in current:
            nxt, complete = _continuations([FIELD_CODES.get(f.name, f.name).encode() for f in remaining], current)
            return nxt | ({EQ} if complete else set())
        key, typed = current.split(b"=", 1)
        fld = next(f for f in spec.fields if f.name == codes[key.decode()])
        said = self.said(fld, spec)
        if said is not None:
            nxt, complete = _continuations([v.encode() for v in said], typed)
        elif fld.kind == "enum":
            nxt, complete = _continuations([v.encode() for v in fld.values], typed)
        elif fld.kind == "int":
            nxt, complete = _int_next(typed, fld.low, fld.high)
        else:
            nxt, complete = _copy_next(typed, self.source, self.edges if fld.name == "theme" else None)
        if complete:
            later = [f for f in spec.fields[order.index(fld.name) + 1:] if self.said(f, spec) != []]
            if later:
                nxt.add(SEP)
            if must <= {*done, fld.name}:
                nxt.add(END)
        return nxt


def stated_values(fld: Field, said: Mapping[str, Sequence[str | int]]) -> list[str]:
    """The values of `fld` among those a message states (chat_mentions.stated) that the field takes.

    >>> stated_values(Field("bars", "int", low=1, high=64), {"bars": [8, 99]})
    ['8']
    >>> stated_values(Field("mood", "enum", ("sad", "calm")), {"mood": ["epic"]})
    []
    """
    values = said.get(fld.name, ())
    if fld.kind == "int":
        return [str(v) for v in values if isinstance(v, int) and fld.low <= v <= fld.high]
    if fld.kind == "enum":
        return [str(v) for v in values if str(v) in fld.values]
    return [str(v) for v in values if fld.name in STATED_ONLY]  # a rhyme scheme, a range


def parse_call(text: str, specs: Mapping[str, ToolSpec]) -> tuple[str, dict[str, Any]] | None:
    """(tool, args) from an output that is a call, None for a reply; ints typed by the schema.

    >>> specs = {"f": ToolSpec("f", (Field("bars", "int"), Field("t", "copy")), frozenset())}
    >>> parse_call("@f|n=3|t=a b", specs), parse_call("hello", specs)
    (('f', {'bars': 3, 't': 'a b'}), None)
    """
    if not text.startswith("@"):
        return None
    code, *pairs = text[1:].split("|")
    by_code = {TOOL_CODES.get(name, name): spec for name, spec in specs.items()}
    spec = by_code.get(code)
    if spec is None:
        raise ModelError(f"the chat model called an unknown tool {code!r}")
    name = spec.name
    kinds = {FIELD_CODES.get(f.name, f.name): (f.name, f.kind) for f in spec.fields}
    args: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in kinds:
            raise ModelError(f"the chat model wrote a malformed argument {pair!r} for {name}")
        field_name, kind = kinds[key]
        args[field_name] = int(value) if kind == "int" else value.strip()
    missing = spec.required - set(args)
    if missing:
        raise ModelError(f"the chat model left out {', '.join(sorted(missing))} for {name}")
    return name, args
