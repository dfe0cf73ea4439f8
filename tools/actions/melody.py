"""Melody actions: settings for the next melody, a new melody, and the three rewrites of the current one."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from ...tokenization.contract import contract
from ...tokenization.view import tempo_text
from ...tokenization.music import KeySpec, Melody, Song
from .base import Context, Outcome, bar_span, files_text, keep_song, need_melody, summary
from .state import SongState, melody_controls, update_settings



def set_style(state: SongState, ctx: Context, **settings: Any) -> Outcome:
    """Change the settings for the next melody (no music is written)."""
    from ..errors import ToolError

    if not any(v is not None for v in settings.values()):
        raise ToolError("set_style needs at least one of style, mood, key, mode, meter, tempo")
    state = update_settings(state, adapters=ctx.models.adapters(), **settings)
    line = state.settings_line()
    return Outcome(state=state, summary=summary("set_style", settings=line), artifact={"settings": line})


def generate_melody(state: SongState, ctx: Context, *, bars: int = 8, range: str | None = None,
                    seed: int | None = None, temperature: float = 0.9, **settings: Any) -> Outcome:
    """A new melody from the settings; the given ones become the settings."""
    from ..melody.compose import new_melody
    from ..melody.request import build_request

    adapters = ctx.models.adapters()
    state = update_settings(state, adapters=adapters, **settings)
    request = build_request(**melody_controls(state), adapters=adapters, bars=bars, range_=range, seed=seed,
                            temperature=temperature)
    result = new_melody(request, runtime=ctx.models.runtime())
    what = f"melody-{request.style or 'free'}-{request.key.tonic}{request.key.mode[:3]}"
    return _melody_outcome(state, ctx, result, what=what, verb="Wrote a new melody:", tool="generate_melody",
                           new_song=True, swing_bars=None)


def continue_melody(state: SongState, ctx: Context, *, bars: int = 8, seed: int | None = None,
                    **overrides: Any) -> Outcome:
    """Add bars after the current melody."""
    from ..melody.compose import continue_melody as extend

    melody = need_melody(state).melody
    request = _rewrite_request(state, ctx, melody, bars=bars, seed=seed, **overrides)
    result = extend(melody, runtime=ctx.models.runtime(), request=request)
    return _melody_outcome(state, ctx, result, what="continued", verb=f"Added {bars} bars:", tool="continue_melody",
                           swing_bars=frozenset(range(melody.bars + 1, melody.bars + bars + 1)))


def regenerate_bars(state: SongState, ctx: Context, *, keep: str, seed: int | None = None,
                    **overrides: Any) -> Outcome:
    """Keep bars A-B of the current melody and rewrite the rest."""
    from ..melody.compose import regenerate_bars as rewrite

    melody = need_melody(state).melody
    span = bar_span(keep, melody.bars)
    request = _rewrite_request(state, ctx, melody, bars=melody.bars, seed=seed, **overrides)
    result = rewrite(melody, keep=span, runtime=ctx.models.runtime(), request=request)
    return _melody_outcome(state, ctx, result, what=f"keep{span[0]}-{span[1]}", tool="regenerate_bars",
                           verb=f"Kept bars {span[0]}-{span[1]} and rewrote the rest:",
                           swing_bars=frozenset(b for b in range(1, melody.bars + 1) if not span[0] <= b <= span[1]))


def vary_melody(state: SongState, ctx: Context, *, seed: int | None = None, **overrides: Any) -> Outcome:
    """A variation of the current melody: the same opening bar, new pitches after it."""
    from ..melody.compose import vary_melody as vary

    melody = need_melody(state).melody
    request = _rewrite_request(state, ctx, melody, bars=melody.bars, seed=seed, **overrides)
    result = vary(melody, runtime=ctx.models.runtime(), request=request)
    return _melody_outcome(state, ctx, result, what="variation", verb="Wrote a variation:", tool="vary_melody")


def _rewrite_request(state: SongState, ctx: Context, melody: Melody, *, bars: int, seed: int | None,
                     style: str | None = None, key: str | KeySpec | None = None, mode: str | None = None,
                     meter: str | None = None, tempo: int | None = None, range: str | None = None,
                     temperature: float = 0.9):
    """The request for rewriting `melody`: its own key, meter and tempo unless overridden (the CLI's
    flags), the style the person set, else the song's; a range wide enough for its own notes."""
    from ..melody.request import build_request
    from ..theory.key import estimate_key

    known = state.style or (state.song.style if state.song else None)
    own_key = melody.key or estimate_key(melody)[0]
    own = replace(state, key=own_key, mode=None, meter=melody.meter, tempo=melody.tempo,
                  style=known or _heard_style(melody, ctx, key=own_key))
    controls = melody_controls(own)
    given = {"style": style, "key": key, "mode": mode, "meter": meter, "tempo": tempo}
    controls.update({name: value for name, value in given.items() if value is not None})
    request = build_request(**controls, adapters=ctx.models.adapters(), bars=bars, range_=range, seed=seed,
                            temperature=temperature)
    if range is None and melody.notes:  # the kept notes are the person's: the range must hold them
        pitches = [n.pitch for n in melody.notes]
        request = replace(request, low=min(request.low, *pitches), high=max(request.high, *pitches))
    return request


HEARD_STYLE_MIN = 0.4  # how sure the style profiles must be (top of 16 styles) before a file is taken for a style


def _heard_style(melody: Melody, ctx: Context, *, key: KeySpec) -> str | None:
    """The style the shipped profiles hear in a melody that came without one (a MIDI file), when
    they are sure enough: `--continue song.mid` then goes on in the tune's own style."""
    path = ctx.models.profiles_path
    if path is None or not path.is_file() or not melody.notes:
        return None
    from ...finetune.corpus.profiles import load_profiles, melody_features

    ranked = load_profiles(path).rank(melody_features(melody, tonic_pc=key.pitch_class))
    return ranked[0][0] if ranked and ranked[0][1] >= HEARD_STYLE_MIN else None


def _made_title(song: Song) -> str:
    """The title compose.new_melody gives a melody: its style and key ("irish-reel in D major")."""
    return f"{song.style or 'Melody'} in {song.melody.key}"


def _swung(result, *, bars: frozenset[int] | None):
    """The result with its style's swing (styles.toml `swing`) written into the bars the tool wrote
    (`bars`; None: all), checked again as it is now written (what is shown is what was checked),
    and the sentence that says so ("" when nothing changed)."""
    from ..melody.swing import swing_melody
    from ..theory.check import check_melody

    if bars is not None and not bars:
        return result, ""
    swung = swing_melody(result.song.melody, style=result.song.style, bars=bars)
    if not swung.pairs:
        return result, ""
    note = SWING_NOTE.format(pairs=swung.pairs, swing=swung.swing, style=result.song.style)
    report = check_melody(swung.melody, key=swung.melody.key)  # pitches as before; the rhythm checks see the dots
    return replace(result, song=replace(result.song, melody=swung.melody), report=report), note


SWING_NOTE = "{pairs} even pairs written {swing} (long-short), as {style} tunes are played."


def _melody_outcome(state: SongState, ctx: Context, result, *, what: str, verb: str, tool: str,
                    new_song: bool = False, swing_bars: frozenset[int] | None = frozenset()) -> Outcome:
    """Keep and describe the result.  A new melody is a new song, titled from its own style and key;
    a rewrite keeps a title a person gave the song (a file's, a chat's), and a made-up title is made
    again from the rewrite's style and key, which may have changed.  The style's swing goes into
    the bars the tool wrote (`swing_bars`; a variation keeps its original's rhythm: none)."""
    result, swing_note = _swung(result, bars=swing_bars)
    before = state.song
    given = before is not None and before.title not in ("Untitled", _made_title(before))
    title = before.title if given and not new_song else _made_title(result.song)
    song = replace(result.song, title=title)
    state, artifact = keep_song(state, ctx, song, what=f"{what}-s{result.seed}")
    artifact.update(findings=result.report.as_dict()["findings"], seed=result.seed)
    if swing_note:
        artifact["swing"] = swing_note
    melody = song.melody
    dropped = (contract().message("chords_dropped") if before and before.chords else "") + (" " + swing_note if swing_note else "")
    check = "; ".join(re.sub(r"\s+", " ", line).strip() for line in result.report.summary(max_lines=3).splitlines())
    text = summary(tool, verb=verb, bars=melody.bars, key=melody.key, meter=melody.meter, tempo=tempo_text(melody),
                   style=song.style or "free", seed=result.seed, check=check, dropped=dropped,
                   files=files_text(artifact["files"]))
    return Outcome(state=state, summary=text, artifact=artifact, detail=result)
