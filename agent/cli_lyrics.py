"""`tunesmith lyrics FILE --theme …`: words that fit a melody, printed under its notes and written to files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .cli_music import FILE_HELP, action_context, echo_files, song_state
from .config import load_config
from .edge import check_int, check_text, say


def _parse_melisma(text: str | None):
    """'auto', 'none' or note numbers counted from 1 ('4,9,10') → what write_lyrics takes."""
    from ..tools.errors import ToolError

    if text is None or text.strip().lower() in ("", "none", "no", "off"):
        return False
    if text.strip().lower() == "auto":
        return "auto"
    parts = [p for p in text.replace(" ", "").split(",") if p]
    if not parts or not all(p.isdigit() for p in parts):
        raise ToolError(f"--melisma takes 'auto', 'none' or note numbers like 4,9,10, not {text!r}")
    return {int(p) - 1 for p in parts}


def _llm_drafter(spec: str):
    """A drafter over the configured chat model when it is a bigger LLM (not the embedded one), else None."""
    from .models import external_spec, make_chat_model

    parsed = external_spec(spec)
    if parsed is None:
        return None
    from .lyrics_llm import LLMDrafter

    return LLMDrafter(make_chat_model(parsed))


def lyrics(
    file: Annotated[Path, typer.Argument(help=FILE_HELP)],
    theme: Annotated[str, typer.Option(help="What the song is about, e.g. 'leaving home' (for zh: '离家' or English).")] = "home",
    lang: Annotated[str | None, typer.Option(help="Language of the words: en (English) or zh (Mandarin). Default: zh for a theme in Chinese characters, else en.")] = None,
    rhyme: Annotated[str, typer.Option(help="Rhyme scheme repeated over the lines, e.g. AABB, ABAB, ABCB; X = unrhymed.")] = "AABB",
    melisma: Annotated[str | None, typer.Option(help="Let one syllable hold over several notes: 'auto' (short passing notes) or note numbers like 4,9.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed; the same seed gives the same lyrics.")] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default ./tunesmith-out).")] = None,
    drafter: Annotated[str, typer.Option(help="Who drafts the lines: auto (a configured bigger LLM, else the pretrained language model), llm, model (the pretrained language model, Gemma 3 270M), or rules (the non-neural drafters).")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print the lines and their scores as JSON.")] = False,
) -> None:
    """Write lyrics that fit a melody: one syllable per note, stress on strong beats (English) or tones
    that follow the melody (Mandarin), rhymes at the phrase ends; writes MIDI, MusicXML and ABC."""
    from ..tools.actions.lyrics import DRAFTERS, write_lyrics
    from ..tools.errors import ToolError
    from ..tools.lyrics.sheet import lyric_sheet

    for option, value in (("theme", theme), ("lang", lang), ("rhyme", rhyme), ("melisma", melisma),
                          ("drafter", drafter)):
        check_text(option, value, empty_ok=option == "melisma")
    check_int("lyrics.seed", seed, tool="write_lyrics")
    choice = drafter.strip().lower()
    if choice not in DRAFTERS:
        raise ToolError(f"--drafter takes auto, model, rules or llm, not {drafter!r}")
    config = load_config()
    llm = _llm_drafter(config.model) if choice in ("auto", "llm") else None
    if choice == "llm" and llm is None:
        raise ToolError(f"--drafter llm needs a bigger chat model (--model on chat, TUNESMITH_MODEL or config.toml: "
                        f"ollama:NAME, openai:NAME@URL or hf:/path); the configured one is {config.model!r}")
    state = song_state(file)
    outcome = write_lyrics(state, action_context(out=out, label=file.stem, drafter=llm), theme=theme, lang=lang,
                           rhyme=rhyme, seed=seed, melisma=_parse_melisma(melisma), drafter=choice)
    result = outcome.detail
    if as_json:
        say(json.dumps(result.as_dict() | {"files": outcome.files}, ensure_ascii=False, indent=1))
        return
    say(f"{result.song.title}: {len(result.lines)} lines, {result.lang}, rhyme {result.rhyme}, "
               f"theme {result.theme!r}\n")
    say(lyric_sheet(result.song, result.phrases))
    say("\nLyrics:\n" + result.text() + "\n")
    measure = "stress on strong beats" if result.lang == "en" else "tones follow the melody"
    mean = sum(line.score for line in result.lines) / len(result.lines)
    say(f"drafter: {result.drafter}   drafts: {result.drafts}   {measure}: {mean:.0%}   "
               f"seed: {result.seed}   time: {result.seconds:.2f}s")
    for note in outcome.notes:
        say(f"note: {note}")
    echo_files(outcome.files)
