"""Command-line arguments checked at the edge, before any work, and text made safe to print.

Why here: a bad value used to travel into numpy (`--seed -1`), allocate gigabytes (`chords --k
1000000`) or be silently ignored (`--key ''`).  Each bound lives once in prompts/tools.toml: an
option that feeds a tool argument takes that argument's low/high (the chat's argument models
read the same numbers); the [cli] table holds the rest and the text length caps.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from importlib import resources
from typing import Any

import typer

from .errors import AgentError

# CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), other two-byte ESC sequences, then single
# control characters: C0 but tab and newline, DEL, C1, and the bidi overrides that reorder text.
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]?|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_KEY_CASE_M = re.compile(r"\s*[A-Ga-g]\s*(#|b|♯|♭|-)?\s*M\s*")


def clean(text: object) -> str:
    """`text` without terminal escape sequences or control characters (tab and newline kept).

    >>> clean("T:\\x1b]0;pwned\\x07Reel\\x1b[2J in D\\r\\n")
    'T:Reel in D\\n'
    """
    value = str(text).replace("\r\n", "\n")
    return _CONTROLS.sub("", _ESCAPES.sub("", value))


def say(text: object = "", *, err: bool = False) -> None:
    """typer.echo of cleaned text: what a title, lyric or prompt holds never drives the terminal."""
    typer.echo(clean(text), err=err)


@lru_cache(maxsize=1)
def _cli_table() -> dict[str, Any]:
    text = resources.files("tunesmith.prompts").joinpath("tools.toml").read_text(encoding="utf-8")
    return tomllib.loads(text).get("cli") or {}


def option_bounds(option: str, *, tool: str | None = None, arg: str | None = None) -> tuple[int | None, int | None]:
    """(low, high) of an integer option: [cli.int]."COMMAND.OPTION", else tool `tool`'s argument `arg`."""
    own = (_cli_table().get("int") or {}).get(option)
    if own is not None:
        return own.get("low"), own.get("high")
    if tool is None:
        raise AgentError(f"no bounds for {option} in prompts/tools.toml")
    from ..tokenization.contract import contract

    spec = contract().tool(tool).arg(arg or option.rpartition(".")[2])
    return spec.low, spec.high


def check_int(option: str, value: int | None, *, tool: str | None = None, arg: str | None = None) -> int | None:
    """`value` when it is inside the option's bounds (None passes: not given); else one clear line.

    >>> check_int("melody.seed", 7, tool="generate_melody")
    7
    >>> check_int("melody.seed", -1, tool="generate_melody")
    Traceback (most recent call last):
    tunesmith.agent.errors.AgentError: --seed must be 0-4294967295, not -1
    """
    if value is None:
        return None
    low, high = option_bounds(option, tool=tool, arg=arg)
    if (low is not None and value < low) or (high is not None and value > high):
        name = "--" + option.rpartition(".")[2].replace("_", "-")
        shown = value if len(str(value)) <= 24 else f"{str(value)[:20]}… ({len(str(value))} digits)"
        span = f"{low}-{high}" if low is not None and high is not None else (f"at least {low}" if low is not None
                                                                               else f"at most {high}")
        raise AgentError(f"{name} must be {span}, not {shown}")
    return value


def text_limit(option: str) -> int:
    table = _cli_table().get("text") or {}
    return int(table.get(option, table.get("default", 100)))


def check_text(option: str, value: str | None, *, empty_ok: bool = False) -> str | None:
    """`value` when it is not too long, not empty (unless `empty_ok`) and free of control characters.

    >>> check_text("style", "irish-jig")
    'irish-jig'
    >>> check_text("key", " ")
    Traceback (most recent call last):
    tunesmith.agent.errors.AgentError: --key is empty: leave it out or give a value
    """
    if value is None:
        return None
    name = "--" + option.replace("_", "-")
    limit = text_limit(option)
    if len(value) > limit:
        raise AgentError(f"{name} is {len(value)} characters long; at most {limit}")
    if not empty_ok and not value.strip():
        raise AgentError(f"{name} is empty: leave it out or give a value")
    if clean(value.replace("\t", " ").replace("\n", " ")) != value.replace("\t", " ").replace("\n", " "):
        raise AgentError(f"{name} holds control characters or escape sequences")
    return value


def check_key(key: str | None, *, mode: str | None = None, label: str = "--key", mode_label: str = "--mode") -> None:
    """A key written the strict way, agreeing with --mode: 'DM', '' and a key that names another
    mode than --mode are refused here, before the lenient parser reads them (tokenization/pitch.py
    lowercases the mode word, so 'DM' would become D minor).  `label`: how the message names the key
    (a tool call's "key" is checked the same way, without the command line's text rules).

    >>> check_key("D minor"); check_key("F#m", mode="minor"); check_key("D", mode="dorian")
    >>> check_key("DM")
    Traceback (most recent call last):
    tunesmith.agent.errors.AgentError: --key 'DM' is ambiguous: write 'D major' or 'D minor' (Dm); a capital M is read as neither
    >>> check_key("D major", mode="minor")
    Traceback (most recent call last):
    tunesmith.agent.errors.AgentError: --key 'D major' says major but --mode says minor: give the mode once
    """
    if key is None:
        return
    if label == "--key":
        check_text("key", key)
    from ..tokenization.errors import MusicValueError
    from ..tokenization.pitch import parse_key

    if _KEY_CASE_M.fullmatch(key):
        letter = key.strip()[:-1].strip()
        raise AgentError(f"{label} {key!r} is ambiguous: write '{letter} major' or '{letter} minor' ({letter}m); "
                         "a capital M is read as neither")
    try:
        parsed = parse_key(key)
        named = parse_key(key, mode="dorian").mode == parse_key(key, mode="mixolydian").mode  # the text names a mode
    except MusicValueError as err:
        if label != "--key":  # a tool call: the action reports an unknown key in its own words
            return
        raise AgentError(str(err)) from None
    wanted = (mode or "").strip().lower()
    if named and wanted and wanted != parsed.mode:
        raise AgentError(f"{label} {key!r} says {parsed.mode} but {mode_label} says {wanted}: give the mode once")
