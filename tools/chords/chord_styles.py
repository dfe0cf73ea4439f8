"""The chord styles (chord_styles.toml): which scorer each uses and how it bends the folk HMM.

Folk uses the fitted tables as they are.  Pop and jazz-lite reuse them (the melody-given-chord
tables are what every lead-sheet style shares) and change what the accompanist prefers, as
data: twins (a coloured chord that takes a fitted chord's tables: Imaj7 where I could stand),
a bias per chord and a bias per move (vi-IV, ii-V).  So a style is a few lines of TOML and the
fit, the pickup finder and folk's own charts stay as they were.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ToolError
from .folk import FolkTables

STYLE_FILE = Path(__file__).with_name("chord_styles.toml")
DEFAULT = "folk"


@dataclass(frozen=True, slots=True)
class Bend:
    """One mode family's changes to the fitted tables."""

    twins: tuple[tuple[str, str], ...] = ()  # (new label, fitted label it copies)
    label_bias: tuple[tuple[str, float], ...] = ()
    transition_bias: tuple[tuple[str, str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class ChordStyle:
    """A harmony style: its names, chord family, scorer, default rate and its bends per family."""

    name: str
    aliases: tuple[str, ...]
    family: str
    scorer: str
    about: str
    per: str | None = None
    bends: dict[str, Bend] = field(default_factory=dict)


def _bend(table: dict) -> Bend:
    moves = []
    for move, bias in table.get("transition_bias", {}).items():
        a, _, b = move.partition(">")
        moves.append((a, b, float(bias)))
    return Bend(twins=tuple(table.get("twins", {}).items()),
                label_bias=tuple((k, float(v)) for k, v in table.get("label_bias", {}).items()),
                transition_bias=tuple(moves))


@functools.lru_cache(maxsize=1)
def chord_styles(path: str = str(STYLE_FILE)) -> tuple[ChordStyle, ...]:
    """Every chord style of the table, in its order."""
    try:
        rows = tomllib.loads(Path(path).read_text(encoding="utf-8"))["style"]
    except (OSError, ValueError, KeyError) as err:
        raise ToolError(f"the chord style table {Path(path).name} is missing or unreadable ({err})") from None
    return tuple(ChordStyle(name=r["name"], aliases=tuple(r.get("aliases", ())), family=r["family"],
                            scorer=r["scorer"], about=r.get("about", ""), per=r.get("per"),
                            bends={f: _bend(r[f]) for f in ("major", "minor") if f in r}) for r in rows)


def find_style(slug: str) -> ChordStyle | None:
    """The chord style a name or alias means, None when the table has none by that name."""
    slug = slug.strip().lower().replace(" ", "-").replace("_", "-")
    return next((s for s in chord_styles() if slug == s.name or slug in s.aliases), None)


def style_for(style: str, family: str) -> ChordStyle:
    """The chord style a --style means: its own row, else the family's (corpus styles harmonize as folk)."""
    found = find_style(style)
    if found is not None:
        return found
    return next(s for s in chord_styles() if s.family == family and (family != "lead-sheet" or s.name == DEFAULT))


def bend_tables(tables: FolkTables, bend: Bend | None) -> FolkTables:
    """The fitted tables with a style's twins added and its biases folded into the transitions
    (a chord's bias is added to every move into it and to the first chord, so it counts once a slot).

    Labels a family lacks are skipped, so one table row can name chords of both families."""
    if bend is None or not (bend.twins or bend.label_bias or bend.transition_bias):
        return tables
    labels = list(tables.labels)
    base = list(range(len(labels)))  # the fitted state each (possibly new) state copies
    for new, old in bend.twins:
        if old in tables.labels and new not in labels:
            labels.append(new)
            base.append(tables.labels.index(old))
    pick = np.array(base)
    index = {lab: i for i, lab in enumerate(labels)}
    bias = np.zeros(len(labels))
    for label, value in bend.label_bias:
        if label in index:
            bias[index[label]] += value
    moves = np.zeros((len(labels), len(labels)))
    for a, b, value in bend.transition_bias:
        if a in index and b in index:
            moves[index[a], index[b]] += value
    transition = {rate: {place: m[np.ix_(pick, pick)] + moves + bias[None, :] for place, m in by.items()}
                  for rate, by in tables.transition.items()}
    return FolkTables(labels=tuple(labels), emission=tables.emission[:, pick, :],
                      initial=tables.initial[pick] + bias, final=tables.final[pick], transition=transition)
