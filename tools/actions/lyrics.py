"""The lyrics actions: words that fit the current melody, and one line of them rewritten, drafted by
a bigger LLM, the pretrained language model or the non-neural drafters, and checked line by line by
the fitter."""

from __future__ import annotations

from collections.abc import Collection

from ..errors import ToolError
from .base import Context, Outcome, files_text, keep_song, named, need_melody, summary
from .state import SongState

DRAFTERS = ("auto", "model", "rules", "llm")


def write_lyrics(state: SongState, ctx: Context, *, theme: str, lang: str | None = None, rhyme: str | None = None,
                 seed: int | None = None, melisma: bool | str | Collection[int] = False,
                 drafter: str = "auto") -> Outcome:
    """Lyrics on `theme` for the current melody.  The language is the one asked for, else Chinese
    for a theme in Chinese characters, else English.  `drafter`: auto (the configured bigger LLM,
    else the pretrained language model, else the rules), llm, model (the pretrained LM) or rules."""
    from ...finetune.chat.mentions import has_han
    from ..lyrics.write import write_lyrics as fit_lyrics

    song = need_melody(state)
    choice = drafter.strip().lower()
    if choice not in DRAFTERS:
        raise ToolError(f"drafter takes auto, model, rules or llm, not {drafter!r}")
    llm = ctx.drafter if choice in ("auto", "llm") else None
    if choice == "llm" and llm is None:
        raise ToolError("the llm drafter needs a bigger chat model (--model on chat, TUNESMITH_MODEL or config.toml: "
                        "ollama:NAME, openai:NAME@URL or hf:/path)")
    why = None
    if llm is None and choice in ("auto", "model"):
        why = ctx.models.lm_missing()
        if why is None:
            from ..lyrics.pretrained import PretrainedDrafter

            llm = PretrainedDrafter(ctx.models.lyrics_lm())
        elif choice == "model":
            raise ToolError(f"the model drafter needs the pretrained language model: {why}")
    lang = (lang or ("zh" if has_han(theme) else "en")).strip().lower()
    result = fit_lyrics(song, theme=theme, lang=lang, rhyme=rhyme or "AABB", seed=seed, melisma=melisma,
                        drafter=llm)
    state, artifact = keep_song(state, ctx, result.song, what=named("lyrics", ctx.label, result.lang, f"s{result.seed}"))
    artifact.update(lyrics=result.as_dict(), seed=result.seed)
    text = summary("write_lyrics", count=len(result.lines), lang=result.lang, theme=repr(theme), rhyme=result.rhyme,
                   seed=result.seed, drafter=result.drafter, lines=" / ".join(line.text for line in result.lines),
                   files=files_text(artifact["files"]))
    notes = (*result.warnings, *([f"{why}: lines drafted by the non-neural drafter"] if why else []))
    return Outcome(state=state, summary=text, artifact=artifact, detail=result, notes=tuple(notes))


def rewrite_lyric_line(state: SongState, ctx: Context, *, line: int, rhyme_with: int | None = None,
                       theme: str | None = None, seed: int | None = None) -> Outcome:
    """Line `line` of the current lyrics rewritten on the same notes, rhyming with line `rhyme_with`
    and about `theme` when given; every other line stays.  The drafter is write_lyrics' auto choice."""
    from ..lyrics.rewrite import checked_lines, rewrite_line as refit_line

    song = need_melody(state)
    checked_lines(song, line=line, rhyme_with=rhyme_with)
    llm, why = ctx.drafter, None
    if llm is None:
        why = ctx.models.lm_missing()
        if why is None:
            from ..lyrics.pretrained import PretrainedDrafter

            llm = PretrainedDrafter(ctx.models.lyrics_lm())
    result = refit_line(song, line=line, rhyme_with=rhyme_with, theme=theme, seed=seed, drafter=llm)
    state, artifact = keep_song(state, ctx, result.song,
                                what=named("lyrics", ctx.label, f"line{line}", f"s{result.seed}"))
    artifact.update(lyrics=result.as_dict(), seed=result.seed)
    partner = result.rhyme_with
    rhymes = f' rhyming with line {partner} ("{result.lines[partner - 1]}")' if partner else ""
    text = summary("rewrite_lyric_line", line=line, text=result.line.text, old=result.old, rhymes=rhymes,
                   lines=" / ".join(result.lines), files=files_text(artifact["files"]))
    notes = (*result.warnings, *([f"{why}: the line was drafted by the non-neural drafter"] if why else []))
    return Outcome(state=state, summary=text, artifact=artifact, detail=result, notes=tuple(notes))
