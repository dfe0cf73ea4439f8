"""The chord action: harmonize the current melody, or suggest progressions when there is none."""

from __future__ import annotations

from typing import Any

from ...tokenization.contract import contract
from ...tokenization.music import Melody, Song, parse_meter
from ...tokenization.styles import STYLE_NAMES
from ..errors import ToolError
from .base import Context, Outcome, files_text, keep_song, named, summary
from .state import SongState, update_settings, with_song


def recommend_chords(state: SongState, ctx: Context, *, per: str | None = None, k: int = 3,
                     style: str | None = None, key: str | None = None, mode: str | None = None,
                     mood: str | None = None, bars: int | None = None, seed: int = 0) -> Outcome:
    """Chords for the melody with alternatives and whole progressions; without a melody, progressions
    for the key and mood.  A key, mode or mood given here also becomes the settings."""
    from ..chords import recommend as chords

    if mood or key or mode:
        state = update_settings(state, mood=mood, key=key, mode=mode, adapters=ctx.models.adapters())
    style = style or (state.style if state.style in STYLE_NAMES else None)  # not a person's own adapter
    if not state.has_melody:
        return _progressions(state, chords, style=style, bars=bars, k=k)
    runtime = ctx.models.runtime_with(chords.HARMONY_ADAPTER)
    why = ctx.models.missing(chords.HARMONY_ADAPTER) if runtime is None else None
    result = chords.recommend_chords(state.song, per=per, style=style, k=k, runtime=runtime,
                                     key=state.key if key or mode else None, seed=seed)
    what = named("chords", ctx.label, result.per) + (f"-s{seed}" if seed else "")
    state, artifact = keep_song(state, ctx, result.song, what=what)
    artifact.update(findings=result.report.as_dict()["findings"], chords=result.as_dict()["chords"],
                    view=artifact["view"] + "\n" + result.text(max_slots=8))
    others = "; ".join(" ".join(p.symbols) for p in result.progressions[1:])
    text = summary("recommend_chords", key=result.key, per=result.rate, chords=result.chart,
                   others=f" Other progressions: {others}." if others else "",
                   check=result.report.summary(max_lines=0).splitlines()[0], files=files_text(artifact["files"]))
    rules_only = why and result.scorer == "rules"  # the folk harmonizer needs no adapter
    notes = (*result.notes, *([f"{why}: chords from the rule-based scorer only"] if rules_only else []))
    return Outcome(state=state, summary=text, artifact=artifact, detail=result, notes=tuple(notes))


def _progressions(state: SongState, chords: Any, *, style: str | None, bars: int | None, k: int) -> Outcome:
    if state.key is None:
        raise ToolError(contract().message("no_progression_key"))
    bars = bars or 8
    meter = state.meter or parse_meter("4/4")
    found = chords.progressions(state.key, style=style, mood=state.mood, bars=bars, k=k, meter=str(meter))
    melody = Melody(notes=(), meter=meter, key=state.key, tempo=state.tempo or 100, bars=bars)
    state = with_song(state, Song(melody=melody, chords=found[0].chords, title="Chords"))
    lines = [f"{i}. {' '.join(p.symbols)} ({p.romans})" for i, p in enumerate(found, 1)]
    text = summary("recommend_chords", "summary_progressions", key=state.key, bars=bars, progressions="; ".join(lines))
    artifact = {"view": "\n".join(f"{i}. {p.chart()}  {p.romans}" for i, p in enumerate(found, 1)),
                "progressions": [p.as_dict() for p in found]}
    return Outcome(state=state, summary=text, artifact=artifact, detail=found)
