"""What every action takes and gives: the Context (files, models) and the Outcome."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ...tokenization.contract import contract
from ...tokenization.music import Song
from ..errors import ToolError
from .state import SongState, with_song


class ModelSource(Protocol):
    """Where actions get the music model (tools/actions/models.Models; tests pass fakes)."""

    def adapters(self) -> tuple[str, ...]: ...
    def runtime(self) -> Any: ...
    def runtime_with(self, adapter: str) -> Any: ...
    def missing(self, adapter: str) -> str | None: ...
    @property
    def profiles_path(self) -> Path | None: ...


def plain_stem(what: str) -> str:
    """A file-name-safe stem: 'melody-irish-jig-F#maj-s7' -> 'melody-irish-jig-Fsmaj-s7'.

    >>> plain_stem("chords: My Song (v2)")
    'chords-My-Song-v2'
    """
    return re.sub(r"[^A-Za-z0-9#]+", "-", what).strip("-").replace("#", "s") or "song"


@dataclass(frozen=True, kw_only=True)
class Context:
    """Where an action writes and what it runs on.

    `stem` turns what a file holds ('melody-irish-jig-Dmaj-s7') into its stem: the chat session
    prefixes the turn number and keeps names unique; the CLI uses plain_stem.  `label` names the
    person's input file in output names (the CLI passes the file's stem).  `drafter` is a bigger
    LLM's lyrics drafter when one is configured.  `earlier` (a chat session's) gives the song
    state before the last change of the song and what that change was, or None when there was none."""

    models: ModelSource
    out_dir: Path
    stem: Callable[[str], str] = plain_stem
    label: str | None = None
    drafter: Any = None
    earlier: Callable[[], tuple[SongState, str] | None] | None = None


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What one action gave: the new state, the summary the chat model reads, the artifact
    (files, findings, the song as text: what the terminal and the batch results show) and the
    tool's own result object (`detail`) for front ends that print more."""

    state: SongState
    summary: str
    artifact: Mapping[str, Any] = field(default_factory=dict)
    detail: Any = None
    notes: tuple[str, ...] = ()

    @property
    def files(self) -> dict[str, str]:
        return dict(self.artifact.get("files") or {})

    @property
    def findings(self) -> tuple[dict[str, Any], ...]:
        return tuple(self.artifact.get("findings") or ())


def need_melody(state: SongState) -> Song:
    """The current song, or the error the chat model and the person can act on."""
    if not state.has_melody:
        raise ToolError(contract().message("no_melody"))
    return state.song


def keep_song(state: SongState, ctx: Context, song: Song, *, what: str) -> tuple[SongState, dict[str, Any]]:
    """Write the song's files, make it the state's song; (new state, artifact with files and view)."""
    from ...tokenization.files import write_song
    from ...tokenization.view import render_terminal

    files = write_song(song, ctx.out_dir, stem=ctx.stem(what))
    return with_song(state, song, files), {"files": {k: str(p) for k, p in files.items()}, "view": render_terminal(song)}


def named(*parts: str | None) -> str:
    """'chords-my-tune-bar' from the non-empty parts."""
    return "-".join(p for p in parts if p)


def summary(tool: str, which: str = "summary", **values: Any) -> str:
    """The contract's result summary of `tool`, filled in."""
    return contract().tool(tool).summary(which, **values)


def files_text(files: Mapping[str, str]) -> str:
    return ", ".join(files.values())


def bar_span(text: str, bars: int) -> tuple[int, int]:
    """Bars 'A-B' (or one bar 'A') as numbers, checked against the melody's length.

    >>> bar_span("1-4", 8), bar_span(" bars 5 to 6 ", 8)
    ((1, 4), (5, 6))
    """
    numbers = [int(n) for n in re.findall(r"\d+", text or "")]
    if len(numbers) not in (1, 2):
        raise ToolError(f"keep takes bar numbers like '1-4', not {text!r}")
    first, last = numbers[0], numbers[-1]
    if not 1 <= first <= last <= bars:
        raise ToolError(f"cannot keep bars {first}-{last}: the melody has {bars} bars")
    return first, last
