"""Messages that want a plain answer, and short correct answers (no tool call), from replies.toml.

Each group is (ways to say it, good replies); the file beside this module (package data) holds
them per language as [[en]] / [[zh]] tables with `asks` and `replies`.  The order is part of the
data: the generator draws groups and lines by index.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

REPLIES_FILE = Path(__file__).with_name("replies.toml")

Group = tuple[tuple[str, ...], tuple[str, ...]]  # (asks, replies)


def load_replies(path: str | Path = REPLIES_FILE) -> dict[str, tuple[Group, ...]]:
    """{lang: ((asks, replies), ...)} from a replies file."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    return {lang: tuple((tuple(g["asks"]), tuple(g["replies"])) for g in groups) for lang, groups in data.items()}


REPLIES = load_replies()
EN_GROUPS: tuple[Group, ...] = REPLIES["en"]
ZH_GROUPS: tuple[Group, ...] = REPLIES["zh"]
