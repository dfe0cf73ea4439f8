"""The agent's tools: thin LangChain wrappers over tools/ that read and update the session's song.

Each tool returns (summary, artifact): the chat model sees only the short summary; the
artifact (files, findings, the song as text) goes to the terminal and the batch results.
Errors never escape a tool: ToolError and friends become an error ToolMessage whose one
line the model can act on.  The tool functions take the session first and are also
called directly by slash commands (`call_tool`).  Argument schemas live in tool_args.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import prompts
from ..tokenization.errors import TokenizationError
from ..tokenization.files import write_song
from ..tokenization.music import Melody, Song, parse_meter
from ..tokenization.styles import STYLE_NAMES
from ..tokenization.view import render_terminal
from ..tools.errors import ToolError
from ..finetune.chat.mentions import has_han
from ..finetune.chat.router import TOOL_TASKS  # which task each tool serves (routing)
from . import tool_args
from .errors import AgentError
from .state import SongState, add_files, melody_controls, update_settings, with_song

log = logging.getLogger(__name__)

Result = tuple[str, dict[str, Any]]


def _known_errors() -> tuple[type[BaseException], ...]:
    from ..finetune.errors import FinetuneError

    return ToolError, TokenizationError, FinetuneError, AgentError


def _adapters(session) -> tuple[str, ...]:
    return session.resources.adapters()


def _need_melody(state: SongState) -> Song:
    if not state.has_melody:
        raise ToolError("there is no melody yet: call generate_melody first, or the person can /load a music file")
    return state.song


def _keep_song(session, state: SongState, song: Song, *, what: str) -> dict[str, Any]:
    """Write the song's files, make it the session's song and return the artifact."""
    files = write_song(song, session.out_dir, stem=session.file_stem(what))
    session.state = with_song(state, song, files)
    return {"files": {k: str(p) for k, p in files.items()}, "view": render_terminal(song)}


def _melody_result(session, state: SongState, result, *, what: str, verb: str) -> Result:
    before = state.song
    song = replace(result.song, title=before.title if before and before.title != "Untitled" else result.song.title)
    artifact = _keep_song(session, state, song, what=f"{what}-s{result.seed}")
    artifact.update(findings=result.report.as_dict()["findings"], seed=result.seed)
    melody = song.melody
    dropped = " The old chords were dropped; call recommend_chords again." if before and before.chords else ""
    head = "; ".join(re.sub(r"\s+", " ", line).strip() for line in result.report.summary(max_lines=3).splitlines())
    text = (f"{verb} {melody.bars} bars in {melody.key}, {melody.meter}, {melody.tempo} bpm "
            f"(style {song.style or 'free'}, seed {result.seed}). {head}.{dropped} "
            f"Files: {', '.join(artifact['files'].values())}")
    return text, artifact


def set_style(session, **settings: Any) -> Result:
    """Change settings for the next melody."""
    if not any(v is not None for v in settings.values()):
        raise ToolError("set_style needs at least one of style, mood, key, mode, meter, tempo")
    state = update_settings(session.state, adapters=_adapters(session), **settings)
    session.state = state
    return f"Settings now: {state.settings_line()} (used by the next melody).", {"settings": state.settings_line()}


def _request(state: SongState, adapters, **extra: Any):
    from ..tools.melody.request import build_request

    return build_request(**melody_controls(state), adapters=adapters, **extra)


def generate_melody(session, *, bars: int = 8, range: str | None = None, seed: int | None = None,
                    **settings: Any) -> Result:
    """A new melody from the settings (the given ones become settings too)."""
    from ..tools.melody.compose import new_melody

    adapters = _adapters(session)
    state = update_settings(session.state, adapters=adapters, **settings)
    request = _request(state, adapters, bars=bars, range_=range, seed=seed)
    with session.resources.lock:
        result = new_melody(request, runtime=session.resources.runtime())
    what = f"melody-{request.style or 'free'}-{request.key.tonic}{request.key.mode[:3]}"
    return _melody_result(session, state, result, what=what, verb="Wrote a new melody:")


def _melody_request(session, melody: Melody, **extra: Any):
    from ..tools.theory.key import estimate_key

    state = session.state
    key = melody.key or estimate_key(melody)[0]
    settings = replace(state, key=key, mode=None, meter=melody.meter, tempo=melody.tempo,
                       style=state.style or state.song.style)
    return _request(settings, _adapters(session), **extra)


def continue_melody(session, *, bars: int = 8, seed: int | None = None) -> Result:
    """Add bars after the current melody."""
    from ..tools.melody.compose import continue_melody as extend

    melody = _need_melody(session.state).melody
    request = _melody_request(session, melody, bars=bars, seed=seed)
    with session.resources.lock:
        result = extend(melody, runtime=session.resources.runtime(), request=request)
    return _melody_result(session, session.state, result, what="continued", verb=f"Added {bars} bars:")


def _bar_span(text: str, bars: int) -> tuple[int, int]:
    """Bars 'A-B' (or one bar 'A') as numbers.

    >>> _bar_span("1-4", 8), _bar_span(" bars 5 to 6 ", 8)
    ((1, 4), (5, 6))
    """
    numbers = [int(n) for n in re.findall(r"\d+", text or "")]
    if len(numbers) not in (1, 2):
        raise ToolError(f"keep takes bar numbers like '1-4', not {text!r}")
    first, last = numbers[0], numbers[-1]
    if not 1 <= first <= last <= bars:
        raise ToolError(f"cannot keep bars {first}-{last}: the melody has {bars} bars")
    return first, last


def regenerate_bars(session, *, keep: str, seed: int | None = None) -> Result:
    """Keep bars A-B of the current melody and rewrite the rest."""
    from ..tools.melody.compose import regenerate_bars as rewrite

    melody = _need_melody(session.state).melody
    span = _bar_span(keep, melody.bars)
    request = _melody_request(session, melody, bars=melody.bars, seed=seed)
    with session.resources.lock:
        result = rewrite(melody, keep=span, runtime=session.resources.runtime(), request=request)
    return _melody_result(session, session.state, result, what=f"keep{span[0]}-{span[1]}",
                          verb=f"Kept bars {span[0]}-{span[1]} and rewrote the rest:")


def vary_melody(session, *, seed: int | None = None) -> Result:
    """A variation of the current melody."""
    from ..tools.melody.compose import vary_melody as vary

    melody = _need_melody(session.state).melody
    request = _melody_request(session, melody, bars=melody.bars, seed=seed)
    with session.resources.lock:
        result = vary(melody, runtime=session.resources.runtime(), request=request)
    return _melody_result(session, session.state, result, what="variation", verb="Wrote a variation:")


def recommend_chords(session, *, per: str | None = None, k: int = 3, style: str | None = None,
                     key: str | None = None, mode: str | None = None, mood: str | None = None,
                     bars: int | None = None, seed: int = 0) -> Result:
    """Harmonize the melody, or suggest progressions when there is none."""
    try:
        from ..tools.chords import recommend as chords
    except ImportError as err:  # the chord tools are optional in a partial build
        raise ToolError(f"chord recommendation is not available in this build ({err})") from err
    state = session.state
    if mood or key or mode:
        state = update_settings(state, mood=mood, key=key, mode=mode, adapters=_adapters(session))
    style = style or (state.style if state.style in STYLE_NAMES else None)  # not a person's own adapter
    if not state.has_melody:
        return _progressions(session, state, chords, style=style, bars=bars, k=k)
    song = state.song
    runtime = session.resources.runtime_with(chords.HARMONY_ADAPTER)
    with session.resources.lock:
        result = chords.recommend_chords(song, per=per, style=style, k=k, runtime=runtime,
                                         key=state.key if key or mode else None, seed=seed)
    artifact = _keep_song(session, state, result.song, what=f"chords-{result.per}" + (f"-s{seed}" if seed else ""))
    artifact.update(findings=result.report.as_dict()["findings"], chords=result.as_dict()["chords"],
                    view=artifact["view"] + "\n" + result.text(max_slots=8))
    others = "; ".join(" ".join(p.symbols) for p in result.progressions[1:])
    text = (f"Chords in {result.key}, one per {result.per}: {' '.join(c.symbol for c in result.chords)}."
            + (f" Other progressions: {others}." if others else "")
            + f" {result.report.summary(max_lines=0).splitlines()[0]}. Files: {', '.join(artifact['files'].values())}")
    return text, artifact


def _progressions(session, state: SongState, chords, *, style: str | None, bars: int | None, k: int) -> Result:
    if state.key is None:
        raise ToolError("there is no melody, so a progression needs a key, e.g. key='A minor'")
    meter = state.meter or parse_meter("4/4")
    found = chords.progressions(state.key, style=style, mood=state.mood, bars=bars or 8, k=k,
                                meter=str(meter))
    best = found[0]
    melody = Melody(notes=(), meter=meter, key=state.key, tempo=state.tempo or 100, bars=bars or 8)
    session.state = with_song(state, Song(melody=melody, chords=best.chords, title="Chords"))
    lines = [f"{i}. {' '.join(p.symbols)} ({p.romans})" for i, p in enumerate(found, 1)]
    text = f"Progressions in {state.key}, {bars or 8} bars (the first is now the song's chords): " + "; ".join(lines)
    return text, {"view": "\n".join(f"{i}. {p.chart()}  {p.romans}" for i, p in enumerate(found, 1)),
                  "progressions": [p.as_dict() for p in found]}


def write_lyrics(session, *, theme: str, lang: str | None = None, rhyme: str | None = None) -> Result:
    """Words that fit the current melody; the drafter is the configured bigger LLM, else the
    checkpoint's lyrics adapter, else the non-neural drafters (the fitter checks every line)."""
    from ..tokenization.files import atomic_write
    from ..tools.lyrics.write import write_lyrics as fit_lyrics
    from ..tools.lyrics.sheet import add_extenders

    state = session.state
    song = _need_melody(state)
    lang = lang or ("zh" if has_han(theme) else "en")
    drafter = None
    from .models import external_spec

    if external_spec(str(session.model)) is not None:
        from .lyrics_llm import LLMDrafter

        drafter = LLMDrafter(session.chat_model())
    result = fit_lyrics(song, theme=theme, lang=lang, rhyme=rhyme or "AABB", drafter=drafter,
                        runtime=None if drafter else session.resources.runtime_with("lyrics"))
    artifact = _keep_song(session, state, result.song, what=f"lyrics-{result.lang}-s{result.seed}")
    xml = Path(artifact["files"]["musicxml"])
    atomic_write(xml, add_extenders(xml.read_bytes(), result.song))
    artifact.update(lyrics=result.as_dict(), seed=result.seed)
    lines = " / ".join(line.text for line in result.lines)
    text = (f"Wrote {len(result.lines)} lines of {result.lang} lyrics on {theme!r} (rhyme {result.rhyme}, "
            f"seed {result.seed}, drafter {result.drafter}): {lines}. Files: {', '.join(artifact['files'].values())}")
    return text, artifact


def check_theory(session, *, voice: str | None = None) -> Result:
    """The music21 checks on the current song."""
    from ..tools.theory.check import check_song

    song = _need_melody(session.state)
    report = check_song(song, key=song.melody.key, voice=voice)
    return report.summary(), {"findings": report.as_dict()["findings"], "view": report.summary(max_lines=20)}


def analyze_melody(session) -> Result:
    """Key, meter, tempo, range, nearest style and findings of the current melody."""
    from ..tools.theory.analyze import analyze_song

    analysis = analyze_song(_need_melody(session.state), profiles_path=session.resources.profiles_path)
    data = analysis.as_dict()
    return analysis.text(), {"analysis": data, "findings": data["findings"]["findings"]}


def export_song(session, *, format: str = "all") -> Result:
    """Files for the current song; renderings that cannot be made are reported, not fatal for 'all'."""
    from ..tools.export.render import RenderFailed, RenderUnavailable, render_png, render_svg, render_wav

    state = session.state
    if state.song is None:
        raise ToolError("there is nothing to export yet: write a melody or chords first")
    files = {k: str(v) for k, v in write_song(state.song, session.out_dir, stem=session.file_stem("song")).items()}
    wanted = ("wav", "svg", "png") if format == "all" else ((format,) if format in ("wav", "svg", "png") else ())
    notes, stem = [], Path(files["midi"])
    for kind in wanted:
        try:
            if kind == "wav":
                files["wav"] = str(render_wav(files["midi"], stem.with_suffix(".wav")))
            elif "svg" not in files:
                files["svg"] = str(render_svg(files["musicxml"], stem.with_suffix(".svg"))[0])
            if kind == "png":
                files["png"] = str(render_png(files["svg"], stem.with_suffix(".png")))
        except (RenderUnavailable, RenderFailed) as err:
            notes.append(str(err))
    session.state = add_files(state, files)
    if format != "all" and format not in files:
        raise ToolError(f"{notes[0] if notes else 'nothing written'}; the MIDI file is {files['midi']}")
    shown = {k: v for k, v in files.items() if format == "all" or k == format}
    text = "Wrote " + ", ".join(f"{k}: {v}" for k, v in shown.items()) + "." + "".join(f" {n}." for n in notes)
    return text, {"files": files, "notes": notes}


TOOLS = {"set_style": (set_style, tool_args.SetStyle), "generate_melody": (generate_melody, tool_args.Melody),
         "continue_melody": (continue_melody, tool_args.Continue), "regenerate_bars": (regenerate_bars, tool_args.Keep),
         "vary_melody": (vary_melody, tool_args.Seed), "recommend_chords": (recommend_chords, tool_args.Chords),
         "write_lyrics": (write_lyrics, tool_args.Lyrics), "check_theory": (check_theory, tool_args.Check),
         "analyze_melody": (analyze_melody, tool_args.NoArgs), "export_song": (export_song, tool_args.Export)}


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one tool call gave: ok, the model's summary and the artifact."""

    ok: bool
    content: str
    artifact: dict[str, Any]


def call_tool(session, name: str, args: dict[str, Any] | None = None) -> Outcome:
    """Run a tool by name for a slash command; errors become a failed Outcome, like in the agent."""
    from pydantic import ValidationError

    function, schema = TOOLS[name]
    try:
        values = schema(**(args or {})).model_dump(exclude_none=True)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "arguments"
        return Outcome(False, f"{name}: {where}: {first['msg']}", {})
    try:
        content, artifact = _guarded(session, name, function, values)
    except _ToolFailed as err:
        return Outcome(False, str(err), {})
    return Outcome(True, content, artifact)


class _ToolFailed(Exception):
    pass


def _guarded(session, name: str, function, values: dict[str, Any]) -> Result:
    with session.lock:
        try:
            return function(session, **values)
        except _known_errors() as err:
            raise _ToolFailed(f"{name} failed: {err}") from err
        except Exception as err:  # noqa: BLE001 - a bug in a tool must not end the chat
            log.exception("tool %s crashed", name)
            raise _ToolFailed(f"{name} failed unexpectedly ({type(err).__name__}: {err})") from err


def build_tools(session) -> list:
    """The LangChain tools bound to one session (descriptions from prompts/tool_<name>.txt)."""
    from langchain_core.tools import StructuredTool, ToolException

    styles = ", ".join(STYLE_NAMES + tuple(a for a in session.resources.adapters() if a not in STYLE_NAMES))

    def make(name: str):
        function, schema = TOOLS[name]

        def run(**values: Any) -> Result:
            try:
                return _guarded(session, name, function, {k: v for k, v in values.items() if v is not None})
            except _ToolFailed as err:
                raise ToolException(str(err)) from err

        needs = "$styles" in prompts.load(f"tool_{name}")
        description = prompts.render(f"tool_{name}", **({"styles": styles} if needs else {}))
        return StructuredTool.from_function(run, name=name, description=description.strip(), args_schema=schema,
                                            response_format="content_and_artifact", handle_tool_error=True)

    return [make(name) for name in TOOLS]
