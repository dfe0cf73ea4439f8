"""`tunesmith lyrics FILE --theme …`: words that fit a melody, printed under its notes and written to files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .config import load_config


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


def lyrics_runtime(checkpoint: Path):
    """The loaded model when the checkpoint has the lyrics adapter, else (None, why)."""
    from ..finetune.lora import list_adapters

    if not (checkpoint / "config.json").is_file():
        return None, f"no trained model in {checkpoint}: lines drafted by the non-neural drafter"
    if "lyrics" not in list_adapters(checkpoint):
        return None, f"the model in {checkpoint} has no lyrics adapter: lines drafted by the non-neural drafter"
    from ..finetune.runtime import load_runtime

    return load_runtime(checkpoint), None


def lyrics(
    file: Annotated[Path, typer.Argument(help="A melody as MIDI (.mid), MusicXML (.musicxml/.xml/.mxl) or ABC (.abc).")],
    theme: Annotated[str, typer.Option(help="What the song is about, e.g. 'leaving home' (for zh: '离家' or English).")] = "home",
    lang: Annotated[str, typer.Option(help="Language of the words: en (English) or zh (Mandarin).")] = "en",
    rhyme: Annotated[str, typer.Option(help="Rhyme scheme repeated over the lines, e.g. AABB, ABAB, ABCB; X = unrhymed.")] = "AABB",
    melisma: Annotated[str | None, typer.Option(help="Let one syllable hold over several notes: 'auto' (short passing notes) or note numbers like 4,9.")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed; the same seed gives the same lyrics.")] = None,
    out: Annotated[Path | None, typer.Option(help="Output folder (default ./tunesmith-out).")] = None,
    drafter: Annotated[str, typer.Option(help="Who drafts the lines: auto (a configured bigger LLM, else the model's lyrics adapter), llm, model, or rules (the non-neural drafters).")] = "auto",
    as_json: Annotated[bool, typer.Option("--json", help="Print the lines and their scores as JSON.")] = False,
) -> None:
    """Write lyrics that fit a melody: one syllable per note, stress on strong beats (English) or tones
    that follow the melody (Mandarin), rhymes at the phrase ends; writes MIDI, MusicXML and ABC."""
    from ..tokenization.files import atomic_write, read_song, write_song
    from ..tools.errors import ToolError
    from ..tools.lyrics.write import write_lyrics
    from ..tools.lyrics.sheet import add_extenders, lyric_sheet

    config = load_config(overrides={"out_dir": out})
    song = read_song(file)
    choice = drafter.strip().lower()
    if choice not in ("auto", "model", "rules", "llm"):
        raise ToolError(f"--drafter takes auto, model, rules or llm, not {drafter!r}")
    llm = _llm_drafter(config.model) if choice in ("auto", "llm") else None
    if choice == "llm" and llm is None:
        raise ToolError(f"--drafter llm needs a bigger chat model (--model on chat, TUNESMITH_MODEL or config.toml: "
                        f"ollama:NAME, openai:NAME@URL or hf:/path); the configured one is {config.model!r}")
    runtime, why = (None, None) if choice == "rules" or llm else lyrics_runtime(config.default_checkpoint)
    if choice == "model" and runtime is None:
        raise ToolError(why)
    result = write_lyrics(song, theme=theme, lang=lang.strip().lower(), rhyme=rhyme, seed=seed,
                          melisma=_parse_melisma(melisma), runtime=runtime, drafter=llm)
    stem = f"lyrics-{file.stem}-{result.lang}-s{result.seed}"
    files = write_song(result.song, config.out_dir, stem=stem)
    xml = files["musicxml"]
    atomic_write(xml, add_extenders(xml.read_bytes(), result.song))
    if as_json:
        payload = result.as_dict() | {"files": {kind: str(path) for kind, path in files.items()}}
        typer.echo(json.dumps(payload, ensure_ascii=False, indent=1))
        return
    typer.echo(f"{result.song.title}: {len(result.lines)} lines, {result.lang}, rhyme {result.rhyme}, "
               f"theme {result.theme!r}\n")
    typer.echo(lyric_sheet(result.song, result.phrases))
    typer.echo("\nLyrics:\n" + result.text() + "\n")
    measure = "stress on strong beats" if result.lang == "en" else "tones follow the melody"
    mean = sum(line.score for line in result.lines) / len(result.lines)
    typer.echo(f"drafter: {result.drafter}   drafts: {result.drafts}   {measure}: {mean:.0%}   "
               f"seed: {result.seed}   time: {result.seconds:.2f}s")
    for warning in (*result.warnings, *([why] if why else [])):
        typer.echo(f"note: {warning}")
    for kind, path in files.items():
        typer.echo(f"wrote {kind}: {path}")
