"""The tool contract (prompts/tools.toml) as typed, frozen data.

Every part that needs to know a tool reads it from here: the agent's argument models and
LangChain tools, the embedded chat grammar's codes, the router's tasks, the synthetic
dialogues, the routing eval and the result summaries.  It lives in tokenization because the
contract names music vocabularies (modes, tonics, meters, styles, moods) that are resolved
here, once, and every layer above may import it.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from .errors import TokenizationError

CONTRACT_FILE = "tools.toml"
TYPES = ("str", "int")
_ARG_KEYS = frozenset({"type", "enum", "vocab", "low", "high", "default", "optional", "required", "stated", "code",
                       "description"})
_TOOL_KEYS = frozenset({"task", "code", "weight", "args", "summary", "summary_progressions", "description", "needs",
                        "carry"})
NEEDS = ("", "melody")  # what the song must hold before a tool can work


class ContractError(TokenizationError):
    """The tool contract is malformed (a bug in prompts/tools.toml, not a user error)."""


@dataclass(frozen=True, slots=True)
class Arg:
    """One argument of one tool."""

    name: str
    type: str
    code: str
    description: str
    enum: tuple[str, ...] = ()
    vocab: str | None = None
    low: int | None = None
    high: int | None = None
    default: Any = None  # None: not given
    required: bool = False
    stated: bool = False

    @property
    def is_int(self) -> bool:
        return self.type == "int"


@dataclass(frozen=True, slots=True)
class Tool:
    """One tool: its task, grammar code, training weight, arguments in order and summaries."""

    name: str
    task: str
    code: str
    weight: int
    args: tuple[Arg, ...]
    summaries: Mapping[str, str] = field(default_factory=dict)
    description: str | None = None  # None: prompts/tool_<name>.txt
    needs: str = ""  # "melody": the tool works on the current melody, so it cannot run without one
    carry: tuple[str, ...] = ()  # arguments a call must carry when the message names their value

    def arg(self, name: str) -> Arg:
        for arg in self.args:
            if arg.name == name:
                return arg
        raise ContractError(f"{self.name} has no argument {name!r}")

    @property
    def arg_names(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.args)

    def defaults(self) -> dict[str, Any]:
        """The arguments that have a value when omitted."""
        return {a.name: a.default for a in self.args if a.default is not None}

    def summary(self, which: str = "summary", **values: Any) -> str:
        """A result summary filled in; every placeholder must be given.

        >>> contract().tool("set_style").summary(settings="key D major")
        'Settings now: key D major (used by the next melody).'
        """
        template = string.Template(self.summaries[which])
        try:
            return template.substitute({k: str(v) for k, v in values.items()})
        except KeyError as err:
            raise ContractError(f"summary {which!r} of {self.name} needs ${err.args[0]}") from err


@dataclass(frozen=True, slots=True)
class Contract:
    """All tools, in the contract's order."""

    tools: Mapping[str, Tool]
    messages: Mapping[str, str] = field(default_factory=dict)

    def message(self, name: str) -> str:
        """Wording the actions and the synthetic results share ([messages] in the contract)."""
        try:
            return self.messages[name]
        except KeyError:
            raise ContractError(f"no message named {name!r} in the contract") from None

    def tool(self, name: str) -> Tool:
        try:
            return self.tools[name]
        except KeyError:
            raise ContractError(f"no tool named {name!r} in the contract") from None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.tools)

    def tasks(self) -> dict[str, str]:
        """Which task each tool serves (the router's table)."""
        return {t.name: t.task for t in self.tools.values()}

    def tool_codes(self) -> dict[str, str]:
        return {t.name: t.code for t in self.tools.values()}

    def field_codes(self) -> dict[str, str]:
        """Argument name -> grammar code (one code per name across tools)."""
        return {a.name: a.code for t in self.tools.values() for a in t.args}

    def stated_fields(self) -> frozenset[str]:
        """Arguments the embedded chat passes only with a value the message states."""
        return frozenset(a.name for t in self.tools.values() for a in t.args if a.stated)


def vocabulary(name: str) -> tuple[str, ...]:
    """The values of a vocabulary the contract names (modes, tonics, meters, styles, moods, spans)."""
    from . import pitch, styles, vocab

    if name == "modes":
        return tuple(pitch.MODES)
    if name == "tonics":
        return tuple(pitch.TONICS)
    if name == "meters":
        return tuple(vocab.METERS)
    if name == "styles":
        return tuple(styles.STYLE_NAMES)
    if name == "moods":
        return tuple(styles.CHAT_MOODS)
    if name == "spans":
        return tuple(f"{a}-{b}" for a in range(1, 33) for b in range(a, 65))
    raise ContractError(f"unknown vocabulary {name!r}")


def parse_contract(data: Mapping[str, Any]) -> Contract:
    """A Contract from the TOML's data: fields merged with each tool's overrides, checked."""
    fields = data.get("fields") or {}
    tools: dict[str, Tool] = {}
    codes: dict[str, str] = {}
    for name, spec in (data.get("tools") or {}).items():
        unknown = set(spec) - _TOOL_KEYS
        if unknown:
            raise ContractError(f"tool {name}: unknown keys {sorted(unknown)}")
        args = tuple(_arg(arg_name, fields, override, tool=name) for arg_name, override in (spec.get("args") or {}).items())
        for arg in args:
            if codes.setdefault(arg.name, arg.code) != arg.code:
                raise ContractError(f"argument {arg.name} has two codes")
        summaries = {k: spec[k] for k in ("summary", "summary_progressions") if k in spec}
        needs, carry = str(spec.get("needs", "")), tuple(spec.get("carry", ()))
        if needs not in NEEDS or not set(carry) <= {a.name for a in args}:
            raise ContractError(f"tool {name}: needs {needs!r} is not one of {NEEDS}, or carry {carry} names no argument")
        tools[name] = Tool(name=name, task=str(spec["task"]), code=str(spec["code"]), weight=int(spec.get("weight", 1)),
                           args=args, summaries=summaries, description=spec.get("description"), needs=needs,
                           carry=carry)
    if len({t.code for t in tools.values()}) != len(tools):
        raise ContractError("two tools share a grammar code")
    return Contract(tools=tools, messages={k: str(v) for k, v in (data.get("messages") or {}).items()})


def _arg(name: str, fields: Mapping[str, Any], override: Mapping[str, Any], *, tool: str) -> Arg:
    if name not in fields:
        raise ContractError(f"tool {tool}: argument {name!r} has no [fields.{name}] entry")
    merged = {**fields[name], **override}
    unknown = set(merged) - _ARG_KEYS
    if unknown or merged.get("type") not in TYPES:
        raise ContractError(f"tool {tool}, argument {name}: bad keys {sorted(unknown)} or type {merged.get('type')!r}")
    enum = merged.get("enum", ())
    enum = vocabulary(enum) if isinstance(enum, str) else tuple(str(v) for v in enum)
    default = None if merged.pop("optional", False) else merged.get("default")
    return Arg(name=name, type=merged["type"], code=str(merged["code"]), description=str(merged["description"]),
               enum=enum, vocab=merged.get("vocab"), low=merged.get("low"), high=merged.get("high"),
               default=default, required=bool(merged.get("required", False)), stated=bool(merged.get("stated", False)))


@lru_cache(maxsize=1)
def contract() -> Contract:
    """The shipped contract (prompts/tools.toml), read once."""
    text = resources.files("tunesmith.prompts").joinpath(CONTRACT_FILE).read_text(encoding="utf-8")
    return parse_contract(tomllib.loads(text))
