"""Form-aware melodies: real tunes repeat their own bars, so generated ones copy bars the same way.

A *plan* says, for every bar, which earlier bar it copies (1-based; a bar that names itself is
new).  Plans are drawn from the copy maps of real tunes' 8-bar openings (eval/form_stats.py
measures them on the corpus train split and writes its `templates` section to form_maps.json,
package data loaded once into `FORM_MAPS`), separately for tunes that open with a pickup and
tunes that start on the downbeat, because a pickup moves the phrases by a bar (dance tunes with
a pickup copy bars 2-3 into 6-7; without one, bars 1-2 into 5-6).

`form_melodies` drives the sampling: draft whole melodies, give each a plan that fits its start,
copy bars, keep the best draft, then let the model write every new bar that follows a copied one
as a constrained continuation whose prefix holds the copies (so the new phrase ending, usually the
cadence, answers the repeated material instead of repeating it).  The sampler and the ranking are
passed in, so this module stays free of the model.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from ...tokenization.errors import MusicValueError
from ...tokenization.music import Melody, Note, snap
from ...tokenization.styles import get_style
from ..errors import ToolError

FORM_BARS = 8  # the maps describe 8-bar phrases; longer melodies repeat the choice per 8 bars
MIN_FORM_BARS = 4  # shorter melodies are sampled in one piece
DEFAULT_FORM_STYLE = "german-folk"  # plans for melodies without a corpus style (or a user's adapter)

FORM_MAPS_FILE = Path(__file__).with_name("form_maps.json")  # package data, written by eval/form_stats.py

FormMaps = dict[str, dict[str, tuple[tuple[str, float], ...]]]


def load_form_maps(path: str | Path = FORM_MAPS_FILE) -> FormMaps:
    """Per style and start, ((copy map, weight), ...); "12345234" = bars 6-8 copy bars 2-4.

    The file holds the `templates` section of eval/results/form_stats.json.
    """
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {style: {start: tuple((m, w) for m, w in maps) for start, maps in table.items()}
            for style, table in data["styles"].items()}


def write_form_maps(templates: dict[str, dict[str, list[list]]], *, source: str,
                    path: str | Path = FORM_MAPS_FILE) -> Path:
    """Write measured templates ({style: {start: [[map, weight], ...]}}) where `load_form_maps` reads them."""
    from ...tokenization.files import atomic_write

    lengths = {len(m) for table in templates.values() for maps in table.values() for m, _ in maps}
    if lengths != {FORM_BARS}:
        raise ValueError(f"form maps must cover {FORM_BARS} bars, not {sorted(lengths)}")
    payload = {"source": source, "bars": FORM_BARS, "styles": templates}
    return atomic_write(Path(path), (json.dumps(payload, indent=1) + "\n").encode("utf-8"))


FORM_MAPS: FormMaps = load_form_maps()


def has_pickup(melody: Melody) -> bool:
    """Does the melody open with a pickup (its first note after the downbeat of bar 1)?"""
    return bool(melody.notes) and melody.notes[0].onset > 1e-9


def form_plan(style: str | None, *, bars: int, pickup: bool, rng: random.Random) -> tuple[int, ...]:
    """A copy plan for `bars` bars: per bar the 1-based bar it copies (itself = new).

    Each block of 8 bars draws its own map, offset to the block; a short last block uses the
    start of a map.  Melodies under MIN_FORM_BARS bars get no copies.

    >>> form_plan("irish-reel", bars=2, pickup=False, rng=random.Random(0))
    (1, 2)
    >>> plan = form_plan("irish-hornpipe", bars=16, pickup=True, rng=random.Random(1))
    >>> len(plan), all(src <= bar for bar, src in enumerate(plan, 1))
    (16, True)
    """
    if bars < MIN_FORM_BARS:
        return tuple(range(1, bars + 1))
    table = FORM_MAPS.get(_family(style)) or FORM_MAPS[DEFAULT_FORM_STYLE]
    choices = table.get("pickup" if pickup else "downbeat") or next(iter(table.values()))
    plan: list[int] = []
    for block in range(0, bars, FORM_BARS):
        size = min(FORM_BARS, bars - block)
        if size < MIN_FORM_BARS:
            plan.extend(range(block + 1, block + size + 1))
            continue
        chosen = rng.choices([m for m, _ in choices], weights=[w for _, w in choices])[0]
        plan.extend(block + int(digit) for digit in chosen[:size])
    return tuple(plan)


def _family(style: str | None) -> str:
    """The corpus style whose maps a request uses: a genre uses its parent's, unknown names the default.

    >>> _family("chinese-han-xiaodiao"), _family("my-own-adapter"), _family(None)
    ('chinese-han', 'german-folk', 'german-folk')
    """
    try:
        info = get_style(style) if style else None
    except MusicValueError:
        info = None
    return (info.parent or info.name) if info is not None else DEFAULT_FORM_STYLE


def bar_notes(melody: Melody, bar: int) -> list[Note]:
    """The notes that start in `bar` (1-based), clipped to the bar's end, in place."""
    end = bar * melody.bar_length
    return [replace(n, duration=snap(min(n.end, end) - n.onset)) if n.end > end + 1e-9 else n
            for n in melody.notes_in_bar(bar)]


def playable_plan(melody: Melody, plan: Sequence[int]) -> tuple[int, ...]:
    """The plan with copies that would sound wrong turned into new bars: a source bar without a
    note of its own (held over from before) and a pickup bar copied into the middle of the tune."""
    pickup = has_pickup(melody)
    fixed = []
    for bar, source in enumerate(plan, 1):
        usable = source < bar and bar_notes(melody, source) and not (source == 1 and pickup)
        fixed.append(source if usable else bar)
    return tuple(fixed)


def compose(melody: Melody, plan: Sequence[int]) -> Melody:
    """The melody with every copied bar replaced by its source bar (new bars kept).

    A note that would sound into a copied bar is cut at the bar line.

    >>> m = Melody(notes=tuple(Note(60 + i, float(i), 1.0) for i in range(4)), bars=4)
    >>> m = replace(m, meter=replace(m.meter, numerator=1))
    >>> [n.pitch for n in compose(m, (1, 2, 1, 4)).notes]
    [60, 61, 60, 63]
    """
    if len(plan) != melody.bars:
        raise ValueError(f"a plan for {len(plan)} bars does not fit a {melody.bars}-bar melody")
    length = melody.bar_length
    notes: list[Note] = []
    for bar, source in enumerate(plan, 1):
        if source == bar:
            placed = list(melody.notes_in_bar(bar))
        else:
            shift = (bar - source) * length
            placed = [replace(n, onset=snap(n.onset + shift)) for n in bar_notes(melody, source)]
        start = (bar - 1) * length
        if placed and notes and notes[-1].end > start + 1e-9 and source != bar:
            notes[-1] = replace(notes[-1], duration=snap(start - notes[-1].onset))
        elif placed and notes and notes[-1].end > placed[0].onset + 1e-9:
            notes[-1] = replace(notes[-1], duration=snap(placed[0].onset - notes[-1].onset))
        notes.extend(placed)
    end = melody.length
    notes = [replace(n, duration=snap(end - n.onset)) if n.end > end + 1e-9 else n for n in notes]
    return replace(melody, notes=tuple(n for n in notes if n.duration > 1e-9))


def next_new_run(plan: Sequence[int], *, after: int) -> int | None:
    """The first new bar (1-based) after bar `after` that follows a copied bar, or None.

    >>> next_new_run((1, 2, 3, 4, 5, 2, 3, 8), after=0), next_new_run((1, 2, 3, 4, 5, 2, 3, 4), after=0)
    (8, None)
    """
    for bar in range(max(after, 1) + 1, len(plan) + 1):
        if plan[bar - 1] == bar and plan[bar - 2] != bar - 1:
            return bar
    return None


Sampler = Callable[[Melody | None, int, int], list[Melody]]  # (prefix, keep_bars, seed) -> full melodies
Ranker = Callable[[Melody], tuple]


def form_melodies(sample: Sampler, rank: Ranker, *, style: str | None, bars: int, seed: int
                  ) -> list[Melody]:
    """Candidates with the repeat structure of real tunes of `style` (see the module docstring).

    `sample(prefix, keep_bars, seed)` returns whole melodies of `bars` bars (the prefix's first
    `keep_bars` bars kept); `rank` orders finished candidates (higher is better).  One sampling
    pass for the drafts, then one more for every new bar that follows copied bars in the plan
    the best draft drew: most plans need one or two passes.
    """
    drafts = sample(None, 0, seed)
    if bars < MIN_FORM_BARS:
        return drafts
    planned = []
    for index, draft in enumerate(drafts):
        rng = random.Random(seed * 1009 + index)
        plan = playable_plan(draft, form_plan(style, bars=bars, pickup=has_pickup(draft), rng=rng))
        planned.append((compose(draft, plan), plan))
    finished = [melody for melody, plan in planned if next_new_run(plan, after=0) is None]
    melody, plan = max(planned, key=lambda item: rank(item[0]))
    start = next_new_run(plan, after=0)
    if start is None:
        return finished
    step = 1
    while True:
        prefix = compose(_first_bars(melody, start - 1), plan[:start - 1])
        try:
            batch = [compose(m, playable_plan(m, plan)) for m in sample(prefix, start - 1, seed * 8 + step)]
        except ToolError:  # e.g. a copied note the codec cannot carry as a prefix: keep what is whole
            return finished or drafts
        start = next_new_run(plan, after=start)
        if start is None:
            return batch
        melody = max(batch, key=rank)
        step += 1


def _first_bars(melody: Melody, bars: int) -> Melody:
    """The first `bars` bars, notes clipped at their end."""
    end = bars * melody.bar_length
    notes = tuple(replace(n, duration=snap(min(n.end, end) - n.onset)) for n in melody.notes if n.onset < end - 1e-9)
    return replace(melody, notes=notes, bars=bars)
