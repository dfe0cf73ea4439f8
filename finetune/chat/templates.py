"""Sentence templates for the chat dialogues, per tool and language, read from templates.toml.

The wording is data (templates.toml beside this module, package data), so it can be edited and
reviewed as text; its comments say which braces are argument slots.  finetune/chat/data.py fills
them.  The order of each list is part of the data: the generator draws by index.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

TEMPLATES_FILE = Path(__file__).with_name("templates.toml")

Templates = dict[str, tuple[str, ...]]  # tool -> sentence templates


def load_templates(path: str | Path = TEMPLATES_FILE) -> dict[str, Templates]:
    """{lang: {tool: templates}} from a templates file ('en' and 'zh' tables)."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    return {lang: {tool: tuple(items) for tool, items in table.items()} for lang, table in data.items()}


TEMPLATES = load_templates()
EN: Templates = TEMPLATES["en"]
ZH: Templates = TEMPLATES["zh"]
