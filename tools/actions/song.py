"""Actions on the whole song that write no new music: the theory check, the analysis and the export."""

from __future__ import annotations

from pathlib import Path

from ...tokenization.contract import contract
from ...tokenization.files import write_song
from ..errors import ToolError
from .base import Context, Outcome, need_melody, summary
from .state import SongState, add_files, song_summary

RENDERED = ("wav", "svg", "png")


def check_theory(state: SongState, ctx: Context, *, voice: str | None = None) -> Outcome:
    """The music21 checks on the current song."""
    from ..theory.check import check_song

    song = need_melody(state)
    report = check_song(song, key=song.melody.key, voice=voice)
    return Outcome(state=state, summary=summary("check_theory", report=report.summary()), detail=report,
                   artifact={"findings": report.as_dict()["findings"], "view": report.summary(max_lines=20)})


def analyze_melody(state: SongState, ctx: Context, *, voice: str | None = None) -> Outcome:
    """Key, meter, tempo, range, nearest style and findings of the current melody."""
    from ..theory.analyze import analyze_song

    analysis = analyze_song(need_melody(state), profiles_path=ctx.models.profiles_path, voice=voice)
    data = analysis.as_dict()
    return Outcome(state=state, summary=summary("analyze_melody", analysis=analysis.text()), detail=analysis,
                   artifact={"analysis": data, "findings": data["findings"]["findings"]})


def export_song(state: SongState, ctx: Context, *, format: str = "all") -> Outcome:
    """Files for the current song; renderings that cannot be made are reported, not fatal for 'all'."""
    from ..export.render import RenderFailed, RenderUnavailable, render_png, render_svg, render_wav

    if state.song is None:
        raise ToolError(contract().message("nothing_to_export"))
    files = {k: str(v) for k, v in write_song(state.song, ctx.out_dir, stem=ctx.stem("song")).items()}
    wanted = RENDERED if format == "all" else ((format,) if format in RENDERED else ())
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
    state = add_files(state, files)
    if format != "all" and format not in files:
        raise ToolError(f"{notes[0] if notes else 'nothing written'}; the MIDI file is {files['midi']}")
    shown = {k: v for k, v in files.items() if format == "all" or k == format}
    text = summary("export_song", files=", ".join(f"{k}: {v}" for k, v in shown.items()),
                   notes="".join(f" {n}." for n in notes))
    return Outcome(state=state, summary=text, artifact={"files": files, "notes": notes}, notes=tuple(notes))


def undo(state: SongState, ctx: Context) -> Outcome:
    """The song as it was before its last change (a chat session keeps the earlier states)."""
    if ctx.earlier is None:
        raise ToolError("there is nothing to undo here: undo works in a chat session")
    found = ctx.earlier()
    if found is None:
        raise ToolError("there is nothing to undo: the song has not changed yet")
    earlier, what = found
    text = summary("undo", what=what, song=song_summary(earlier))
    return Outcome(state=earlier, summary=text, artifact={"undone": what})
