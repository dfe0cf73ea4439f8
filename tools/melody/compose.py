"""Melody tools: a new melody from controls, continue a melody, regenerate some bars, a variation.

Every entry point samples from the embedded model under the grammar constraints
(exact bars, full bars, range, key), runs the music21 checks, and re-samples with the
next seed when a check fails.  The best candidate is returned with its findings; a
candidate with errors is never returned.  Among valid candidates in the asked key, the
one the shipped style profiles (fitted on the corpus train split) find most typical of
the asked style wins.  New melodies repeat bars the way real tunes of the style do
(tools/melody/form).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path

from ...finetune.errors import FinetuneError
from ...tokenization.errors import TokenizationError
from ...tokenization.music import KeySpec, Melody, Song, slice_bars, snap
from ..budget import Budget
from ..errors import ToolError
from .form import form_melodies
from .variation import last_pitch, likeness, notes_between, within
from .request import MelodyRequest, melody_spec, prefix_of, span_of
from ..theory.check import check_melody, is_degenerate
from ..theory.key import estimate_key, same_key
from ..types import Report

MELODY_ADAPTER = "melody"
PROFILES_FILE = "style_profiles.json"
# Form drafts per candidate.  eval_melody, 50 per style (drafts + endings per pass): style recognition
# 1+1 0.30, 2+2 0.37, 4+2 0.49; warm time for 30 8-bar requests on a quiet machine, p50 / total:
# plain best-of-4 0.26 / 9.5 s, 2+2 0.18 / 7.7 s, 4+2 0.37 / 13.0 s.  2 (4+2) still keeps p50 under the
# 0.5 s target and recognises styles far better.
DRAFT_FACTOR = 2
WARNING_WEIGHT = 0.5  # one theory warning weighs as much as a factor e^0.5 in style probability


@dataclass(frozen=True, slots=True)
class MelodyResult:
    """A checked melody plus how it was made (seed, attempts, time)."""

    song: Song
    report: Report
    seed: int
    attempts: int
    seconds: float
    estimated_key: KeySpec

    @property
    def melody(self) -> Melody:
        return self.song.melody


def _score(melody: Melody, report: Report, key: KeySpec, style_fit=None) -> tuple:
    """Checks first (valid, in the asked key, ends on the tonic, not degenerate: theory.check
    DEGENERATE), then style likelihood less theory warnings, then key clarity; higher is better."""
    estimated, clarity = report.estimated_key, report.clarity  # check_melody already ran the estimate
    if estimated is None:
        estimated, clarity = estimate_key(melody)
    ends_on_tonic = melody.notes[-1].pitch % 12 == key.pitch_class if melody.notes else False
    typical = style_fit(melody) if style_fit is not None else 0.0
    return (report.ok, same_key(key, estimated), ends_on_tonic, not is_degenerate(report),
            typical - WARNING_WEIGHT * len(report.warnings), clarity), estimated


def style_scorer(runtime, style: str | None):
    """log P(style | melody) under the shipped style profiles (trained on the corpus train split),
    or None when there are no profiles or they do not know the style."""
    if style is None or getattr(runtime, "directory", None) is None:
        return None
    path = Path(runtime.directory) / PROFILES_FILE
    if not path.is_file():
        return None
    from ...finetune.errors import CorpusError
    from ...finetune.corpus.profiles import load_profiles, melody_features
    from ...tokenization.styles import get_style

    try:
        profiles = load_profiles(path)
        info = get_style(style)
    except (CorpusError, TokenizationError):
        return None
    label = info.parent or info.name
    if label not in profiles.labels:
        return None

    def fit(melody: Melody) -> float:
        probs = dict(profiles.probabilities(melody_features(melody)))
        return math.log(max(probs[label], 1e-9))

    return fit


def _sample(runtime, request: MelodyRequest, *, seed: int, prefix: Melody | None = None,
            keep_bars: int = 0, bars: int | None = None, count: int | None = None) -> list[Melody]:
    """`count` candidates (default: the request's) sampled together in one batch."""
    from ...finetune.decode.sampling import SamplingConfig, generate_melodies
    from ...tokenization.styles import model_tempo

    spec = melody_spec(request, keep_bars=keep_bars, bars=bars)
    config = SamplingConfig(temperature=request.temperature, top_p=request.top_p)
    adapter = request.adapter or (MELODY_ADAPTER if runtime.has_adapter(MELODY_ADAPTER) else None)
    with runtime.session(adapter) as active:
        try:
            samples = generate_melodies(active.lean(), active.codec, spec, count=count or request.candidates,
                                        style=request.style_token, tempo=model_tempo(request.style, request.tempo),
                                        seed=seed, config=config,
                                        prefix=prefix)  # active.lean(): the cached fast copy
        except (FinetuneError, TokenizationError) as err:
            raise ToolError(f"the model could not write this melody: {err}") from err
    return [replace(s.melody, tempo=request.tempo, key=request.key) for s in samples]


def cadence_repair(melody: Melody, *, key: KeySpec, low: int, high: int, keep_before: float = 0.0) -> Melody:
    """End on the tonic held for at least a beat: the last note that starts a beat or more before
    the end moves to the nearest tonic inside the range and lasts to the end; notes after it go.
    Notes before `keep_before` are never touched.

    >>> from tunesmith.tokenization.music import Note
    >>> m = Melody(notes=(Note(67, 0.0, 1.0), Note(64, 1.0, 0.5)), key=KeySpec("C"), bars=1)
    >>> cadence_repair(m, key=KeySpec("C"), low=55, high=79).notes[-1]
    Note(pitch=60, onset=1.0, duration=3.0, lyric=None)
    >>> m = Melody(notes=(Note(67, 0.0, 3.0), Note(65, 3.0, 0.5), Note(64, 3.5, 0.5)), key=KeySpec("C"), bars=1)
    >>> cadence_repair(m, key=KeySpec("C"), low=55, high=79).notes
    (Note(pitch=67, onset=0.0, duration=3.0, lyric=None), Note(pitch=60, onset=3.0, duration=1.0, lyric=None))
    """
    end = melody.length
    beat = melody.meter.beat_length
    final = max((i for i, n in enumerate(melody.notes) if n.onset <= end - beat + 1e-9), default=None)
    tonics = [p for p in range(low, high + 1) if p % 12 == key.pitch_class]
    if final is None or not tonics or melody.notes[final].onset < keep_before - 1e-9:
        return melody
    last = melody.notes[final]
    pitch = min(tonics, key=lambda p: (abs(p - last.pitch), p))
    bar_start = end - melody.bar_length
    if last.onset < bar_start - 1e-9:  # hold the tonic for the last bar, not longer
        cut = replace(last, duration=bar_start - last.onset)
        tonic = replace(last, pitch=pitch, onset=bar_start, duration=melody.bar_length, lyric=None)
        return replace(melody, notes=melody.notes[:final] + (cut, tonic))
    fixed = replace(last, pitch=pitch, duration=end - last.onset)
    return replace(melody, notes=melody.notes[:final] + (fixed,))


def _prepared(melody: Melody, request: MelodyRequest, *, keep_before: float, style_fit):
    """Cadence repair, theory checks and the ranking of one candidate."""
    melody = cadence_repair(melody, key=request.key, low=request.low, high=request.high, keep_before=keep_before)
    report = check_melody(melody, key=request.key, range_=(request.low, request.high))
    rank, estimated = _score(melody, report, request.key, style_fit)
    return rank, melody, report, estimated


def _best_of(runtime, request: MelodyRequest, *, make, title: str, keep_before: float = 0.0,
             style_fit=None, degenerate_ok: bool = False) -> MelodyResult:
    """Sample a batch of candidates per round (seed, seed+1, …) until one passes every check,
    sounds in the asked key, ends on the tonic and is not degenerate (unless `degenerate_ok`:
    a variation follows its original, whatever that is); return the best candidate seen.

    Each candidate gets the cadence repair (end on a held tonic) before it is checked.
    """
    started = time.perf_counter()
    best = None
    budget = Budget.start("melody")
    for attempt in range(request.attempts):
        budget.check(f"sampling round {attempt + 1}")
        seed = request.seed + attempt
        for raw in make(seed):
            rank, melody, report, estimated = _prepared(raw, request, keep_before=keep_before, style_fit=style_fit)
            if best is None or rank > best[0]:
                best = (rank, melody, report, seed, estimated)
        if all(best[0][:3]) and (best[0][3] or degenerate_ok):  # good enough to stop
            break
    rank, melody, report, seed, estimated = best
    if not report.ok:
        raise ToolError(f"no candidate passed the theory checks after {request.attempts} rounds: "
                        f"{report.errors[0].message}")
    song = Song(melody=melody, title=title, style=request.style, seed=seed)
    return MelodyResult(song=song, report=report, seed=seed, attempts=attempt + 1,
                        seconds=time.perf_counter() - started, estimated_key=estimated)


def new_melody(request: MelodyRequest, *, runtime, form: bool = True, select_style: bool = True) -> MelodyResult:
    """A new melody from the request's controls.

    With `form`, bars are copied the way real tunes of the style repeat them (melody_form): the
    drafts are DRAFT_FACTOR x `request.candidates` whole melodies, later passes (the bars after
    copied ones, usually the cadence) draw `request.candidates`.  With `select_style`, the style
    profiles help pick among the candidates.
    """
    from .long import needs_windows, new_long_melody  # long imports this module

    if needs_windows(request.bars):
        return new_long_melody(request, runtime=runtime, form=form, select_style=select_style)
    title = f"{request.style or 'Melody'} in {request.key}"
    style_fit = style_scorer(runtime, request.style_token) if select_style else None
    if not form:
        return _best_of(runtime, request, make=lambda seed: _sample(runtime, request, seed=seed), title=title,
                        style_fit=style_fit)

    def rank(melody: Melody) -> tuple:
        return _prepared(melody, request, keep_before=0.0, style_fit=style_fit)[0]

    def sample(prefix: Melody | None, keep_bars: int, seed: int) -> list[Melody]:
        count = request.candidates * (DRAFT_FACTOR if prefix is None else 1)
        return _sample(runtime, request, seed=seed, prefix=prefix, keep_bars=keep_bars, count=count)

    def make(seed: int) -> list[Melody]:
        return form_melodies(sample, rank, style=request.style_token, bars=request.bars, seed=seed)

    return _best_of(runtime, request, make=make, title=title, style_fit=style_fit)


def continue_melody(melody: Melody, *, runtime, request: MelodyRequest) -> MelodyResult:
    """Keep `melody` and add `request.bars` new bars after it."""
    from .long import continue_long, needs_windows

    if needs_windows(melody.bars + request.bars):
        return continue_long(melody, runtime=runtime, request=request)
    prefix = prefix_of(melody, bars=melody.bars)
    total = melody.bars + request.bars
    ask = replace(request, bars=total)
    return _best_of(runtime, ask, make=lambda seed: _sample(runtime, ask, seed=seed, prefix=prefix,
                                                            keep_bars=melody.bars),
                    keep_before=melody.length,
                    title=f"Continuation in {request.key}")


def regenerate_bars(melody: Melody, *, keep: tuple[int, int], runtime, request: MelodyRequest) -> MelodyResult:
    """Keep bars keep[0]..keep[1] (1-based, inclusive) and write new bars around them.

    Bars after the kept span are sampled as a continuation; bars before it are sampled
    several times and the head whose last note leads best into the kept bars wins.
    """
    first, last = keep
    if not 1 <= first <= last <= melody.bars:
        raise ToolError(f"cannot keep bars {first}-{last} of a {melody.bars}-bar melody")
    if first == 1 and last == melody.bars:
        raise ToolError("keeping every bar leaves nothing to regenerate")
    ask = replace(request, bars=melody.bars)
    kept = span_of(melody, first_bar=first, last_bar=last)

    def make(seed: int) -> list[Melody]:
        joined = kept
        if first > 1:
            head_request = replace(ask, bars=first - 1)
            heads = _sample(runtime, head_request, seed=seed * 7, count=3)
            target = kept.notes[0].pitch if kept.notes else heads[0].notes[-1].pitch
            head = min(heads, key=lambda h: abs(h.notes[-1].pitch - target) if h.notes else 99)
            joined = prefix_of(head, bars=first - 1, then=kept)
        if last == melody.bars:
            return [joined]
        return _sample(runtime, ask, seed=seed, prefix=joined, keep_bars=last)

    protected = melody.length if last == melody.bars else 0.0  # a kept ending stays as it is
    return _best_of(runtime, ask, make=make, title=f"Bars {first}-{last} kept", keep_before=protected)


VARY_STEP = 1        # bars the variation chooses at a time (see variation.CONTOUR_WEIGHT)
VARY_LOOKAHEAD = 1   # bars sampled past each step, so a step is not written as an ending
VARY_CONTEXT = 8     # bars of the variation so far that each step reads (the model's context is finite)
VARY_CANDIDATES = 8  # versions of each step the model writes


def vary_melody(melody: Melody, *, runtime, request: MelodyRequest, keep_bars: int = 1) -> MelodyResult:
    """A variation that keeps the whole melody's rhythm and contour and changes its detail.

    The first `keep_bars` bars stay.  Then, VARY_STEP bars at a time, the model writes
    VARY_CANDIDATES continuations of the variation so far (reading its last VARY_CONTEXT bars)
    and the one whose bars follow the original's onsets and up/down motion most closely while
    changing its pitches is kept (`likeness`); the checks and the ranking of every melody tool
    then judge the whole variation.
    """
    if melody.bars <= keep_bars:
        raise ToolError(f"a {melody.bars}-bar melody is too short to vary (the first {keep_bars} bar(s) are kept)")
    ask = replace(request, bars=melody.bars)

    def make(seed: int) -> list[Melody]:
        varied = prefix_of(melody, bars=keep_bars)
        step = 0
        while varied.bars < melody.bars:
            done = varied.bars
            take = min(VARY_STEP, melody.bars - done)
            ahead = min(take + VARY_LOOKAHEAD, melody.bars - done)
            start = max(0, done - VARY_CONTEXT)
            context = slice_bars(varied, start, done)
            window = replace(ask, bars=done - start + ahead)
            offset = start * melody.bar_length
            shifted = [replace(c, notes=tuple(replace(n, onset=snap(n.onset + offset)) for n in c.notes),
                               bars=start + c.bars)
                       for c in _sample(runtime, window, seed=seed * 101 + step, prefix=context,
                                        keep_bars=done - start, count=VARY_CANDIDATES)]
            lo, hi = done * melody.bar_length, (done + take) * melody.bar_length
            original = notes_between(melody, lo, hi)
            options = [notes_between(c, lo, hi) for c in shifted]
            before = varied.notes[-1].pitch if varied.notes else None
            # a copy is no variation, and a note held over the step's end would have to be cut
            fresh = [o for o in options if [(n.pitch, n.onset) for n in o] != [(n.pitch, n.onset) for n in original]]
            whole = [o for o in fresh or options if all(n.end <= hi + 1e-9 for n in o)]
            chosen = max(whole or fresh or options, key=lambda o: likeness(original, o, before=before,
                                                                          was=last_pitch(melody, lo)))
            varied = replace(varied, notes=varied.notes + tuple(within(chosen, hi)), bars=done + take)
            step += 1
        return [varied]

    return _best_of(runtime, ask, make=make, title="Variation", keep_before=keep_bars * melody.bar_length,
                    degenerate_ok=is_degenerate(check_melody(melody, key=request.key)))
