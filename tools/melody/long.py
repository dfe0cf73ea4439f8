"""Melodies longer than the music model's context: written in windows.

The model reads at most 1,024 tokens, about 40 bars of a reel, so a 64-bar melody (or a long
melody continued) is written as its first `FIRST_BARS` bars (with the style's form) and then
continued `STEP_BARS` new bars at a time, each window reading only the last `CONTEXT_BARS` bars
written.  Every window goes through the same checks as a short melody, and the whole melody is
checked again at the end.  Melodies of up to `FIRST_BARS` bars never take this path, so their
notes for a seed are what they always were.
"""

from __future__ import annotations

import time
from dataclasses import replace

from ...tokenization.music import Melody, Song, slice_bars, snap
from ..budget import Budget
from ..errors import ToolError
from ..theory.check import check_melody
from .compose import MelodyResult, _best_of, _sample, new_melody
from .request import MelodyRequest, prefix_of

FIRST_BARS = 32    # what one sampling pass writes safely (a 32-bar reel is ~800 tokens)
STEP_BARS = 16     # new bars per later window: two 8-bar strains
CONTEXT_BARS = 8   # bars of the melody so far that each window reads
SEED_STRIDE = 1000  # window k samples from seed + k * SEED_STRIDE: windows never share draws


def needs_windows(bars: int) -> bool:
    """Whether a melody of `bars` bars is written in windows."""
    return bars > FIRST_BARS


def _window(runtime, request: MelodyRequest, melody: Melody, *, add: int, seed: int) -> Melody:
    """`melody` with `add` new bars, sampled after its last CONTEXT_BARS bars only."""
    context_bars = min(CONTEXT_BARS, melody.bars)
    start = melody.bars - context_bars
    context = slice_bars(melody, start, melody.bars)
    ask = replace(request, bars=context_bars + add, seed=seed)
    result = _best_of(runtime, ask, keep_before=context.length, title="window",
                      make=lambda s: _sample(runtime, ask, seed=s, prefix=prefix_of(context, bars=context_bars),
                                             keep_bars=context_bars))
    offset = start * melody.bar_length
    new = tuple(replace(n, onset=snap(n.onset + offset)) for n in result.melody.notes
                if n.onset >= context.length - 1e-9)
    return replace(melody, notes=melody.notes + new, bars=melody.bars + add)


def extend(runtime, request: MelodyRequest, melody: Melody, *, add: int, seed: int) -> tuple[Melody, int]:
    """`melody` with `add` bars appended window by window; (melody, windows used)."""
    if add < 1:
        raise ToolError("nothing to add: ask for at least one new bar")
    windows, budget = 0, Budget.start("melody")
    while add > 0:
        budget.check(f"bar {melody.bars + 1}")
        step = min(STEP_BARS, add)
        melody = _window(runtime, request, melody, add=step, seed=seed + (windows + 1) * SEED_STRIDE)
        add, windows = add - step, windows + 1
    return melody, windows


def _result(melody: Melody, request: MelodyRequest, *, title: str, seed: int, attempts: int,
            started: float) -> MelodyResult:
    """The whole long melody checked again; an error anywhere (e.g. at a window's seam) fails it."""
    report = check_melody(melody, key=request.key, range_=(request.low, request.high))
    if not report.ok:
        raise ToolError(f"the {melody.bars}-bar melody failed the theory checks: {report.errors[0].message}")
    song = Song(melody=melody, title=title, style=request.style, seed=seed)
    return MelodyResult(song=song, report=report, seed=seed, attempts=attempts,
                        seconds=time.perf_counter() - started, estimated_key=report.estimated_key or request.key)


def new_long_melody(request: MelodyRequest, *, runtime, form: bool = True, select_style: bool = True) -> MelodyResult:
    """A new melody of more than FIRST_BARS bars: the first FIRST_BARS as a normal new melody, the
    rest in windows."""
    started = time.perf_counter()
    first = new_melody(replace(request, bars=FIRST_BARS), runtime=runtime, form=form, select_style=select_style)
    melody, windows = extend(runtime, request, first.melody, add=request.bars - FIRST_BARS, seed=first.seed)
    return _result(melody, request, title=first.song.title, seed=first.seed, attempts=first.attempts + windows,
                   started=started)


def continue_long(melody: Melody, *, runtime, request: MelodyRequest) -> MelodyResult:
    """`melody` continued by `request.bars` bars in windows (for a result of more than FIRST_BARS bars)."""
    started = time.perf_counter()
    longer, windows = extend(runtime, request, melody, add=request.bars, seed=request.seed)
    return _result(longer, request, title=f"Continuation in {request.key}", seed=request.seed, attempts=windows,
                   started=started)
