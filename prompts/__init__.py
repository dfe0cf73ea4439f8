"""Prompt and template text files, rendered with string.Template.

`render` fails on a missing variable and on an unused one, so a renamed placeholder
cannot silently produce a broken prompt.
"""

from __future__ import annotations

import string
from importlib import resources

from .errors import TunesmithError


class PromptError(TunesmithError, KeyError):
    """A template is missing, or its variables do not match what was passed."""

    def __str__(self) -> str:  # KeyError quotes its message; a person should not see quotes
        return str(self.args[0]) if self.args else "prompt error"


def load(name: str) -> str:
    """The raw text of prompts/<name>.txt."""
    path = resources.files(__package__).joinpath(f"{name}.txt")
    if not path.is_file():
        raise PromptError(f"no prompt template named {name!r}")
    return path.read_text(encoding="utf-8")


def render(name: str, **values: object) -> str:
    """Fill prompts/<name>.txt; every placeholder must be given and every value used."""
    template = string.Template(load(name))
    wanted = {m.group("named") or m.group("braced") for m in template.pattern.finditer(template.template)} - {None}
    missing, unused = wanted - values.keys(), values.keys() - wanted
    if missing or unused:
        raise PromptError(f"template {name!r}: missing {sorted(missing)}, unused {sorted(unused)}")
    return template.substitute({k: str(v) for k, v in values.items()})
