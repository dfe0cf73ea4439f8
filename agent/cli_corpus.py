"""`tunesmith corpus …`: build the training corpus from the music that ships with music21."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

corpus_app = typer.Typer(help="Build and inspect the training corpus.", no_args_is_help=True)

_OUT = typer.Option(Path("data/corpus"), "--out", help="Folder for train/valid/test.jsonl, stats.json and cache/.")


@corpus_app.command("build")
def build(
    out: Path = _OUT,
    jobs: int = typer.Option(2, "--jobs", min=1, help="Worker processes."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="Keep only the first N pieces of each source."),
    sources: str | None = typer.Option(
        None, "--sources", help="Comma-separated sources: essen, oneill, ryan, aird, fife, bach (default: all)."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar and no table."),
) -> None:
    """Parse the music21 folk, fiddle and chorale collections into corpus records."""
    from ..finetune.corpus.build import build_corpus

    names = [s.strip() for s in sources.split(",") if s.strip()] if sources else None
    result = build_corpus(out, jobs=jobs, limit=limit, sources=names, progress=not quiet)
    if not quiet:
        print_stats(result.stats, out=result.out)


@corpus_app.command("stats")
def stats(out: Path = _OUT) -> None:
    """Show what a built corpus holds: pieces per style and split, skips by reason."""
    from ..finetune.corpus.build import load_stats

    print_stats(load_stats(out), out=out)


def print_stats(data: dict[str, Any], *, out: Path) -> None:
    """Two rich tables (styles x splits, skips) and a summary line."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"corpus at {out}")
    for column in ("style", "train", "valid", "test", "total"):
        table.add_column(column, justify="left" if column == "style" else "right")
    for style, counts in data["styles"].items():
        table.add_row(style, *(str(counts.get(c, 0)) for c in ("train", "valid", "test", "total")))
    splits = data["splits"]
    table.add_row("[bold]records[/bold]", *(str(splits.get(c, 0)) for c in ("train", "valid", "test")),
                  f"[bold]{data['records']}[/bold]")
    console.print(table)
    skips = Table(title="skipped pieces")
    skips.add_column("reason")
    skips.add_column("count", justify="right")
    skips.add_column("examples")
    for reason, entry in data["skips"].items():
        skips.add_row(reason, str(entry["count"]), ", ".join(entry["examples"][:3]))
    console.print(skips)
    console.print(
        f"{data['pieces_seen']} pieces read, {data['records']} kept; {data['notes']} notes, {data['bars']} bars, "
        f"{data.get('with_lyrics', 0)} with lyrics; built in {data['build_seconds']} s with {data['jobs']} jobs "
        f"(cache {data['cache']['hits']} hits / {data['cache']['misses']} misses), music21 {data['music21_version']}"
    )
