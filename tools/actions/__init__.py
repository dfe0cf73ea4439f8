"""The action layer: one function per operation on a song, shared by every front end.

An action takes the song state (the current song and the person's settings), a Context
(where files go, which models to use) and the tool's arguments exactly as the tool contract
(prompts/tools.toml) declares them, and returns an Outcome: the new state, the files, the
summary the chat model reads and the findings.  The one-shot CLI commands, the agent's
tools, `run`, `batch` and `chat` are thin wrappers over these functions, so the same
arguments and seed give the same files whichever way a person asks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .base import Context, Outcome


def actions() -> Mapping[str, Callable[..., Outcome]]:
    """Tool name -> action for every tool of the contract: the function of the tool's name in one of
    the action modules (imported lazily: music21 is slow to import)."""
    from ...tokenization.contract import contract
    from ..errors import ToolError
    from . import chords, edit, lyrics, melody, questions, song

    modules = (melody, chords, lyrics, song, edit, questions)
    found = {name: getattr(m, name) for name in contract().names for m in modules if callable(getattr(m, name, None))}
    missing = [name for name in contract().names if name not in found]
    if missing:
        raise ToolError(f"no action for {', '.join(missing)} in tools/actions")
    return found


__all__ = ["Context", "Outcome", "actions"]
