"""`tunesmith harmony …`: build the chord-recommendation training data from the Bach chorales.

A full build also rewrites the chorale chord counts the rule-based prior ships with
(tools/chords/chorale_counts.json); a `--limit` try leaves them alone unless `--tables` names a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

harmony_app = typer.Typer(no_args_is_help=True)


@harmony_app.callback()
def harmony() -> None:
    """Build the harmony (melody -> chords) training data."""


@harmony_app.command("build")
def build(
    out: Path = typer.Option(Path("data/harmony"), "--out", help="Folder for {train,valid,test}.jsonl and stats.json."),
    jobs: int = typer.Option(2, "--jobs", "-j", min=1, help="Worker processes."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N chorales (a quick try)."),
    validate: bool = typer.Option(False, "--validate", help="Also compare with the 20 RomanText analyses."),
    cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Per-file cache folder [default: OUT/cache]."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Derive every chorale again."),
    key_method: str = typer.Option("analyze", "--key-method", help="analyze (Krumhansl-Schmuckler) or signature."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
    tables: Optional[Path] = typer.Option(
        None, "--tables", help="Write the chorale chord counts here [default: the shipped "
        "tools/chords/chorale_counts.json, except with --limit]."),
) -> None:
    """Derive soprano melody + key + one chord per beat for each chorale and write the splits."""
    from ..finetune.harmony.build import build_harmony_data

    stats = build_harmony_data(out, jobs=jobs, cache_dir=cache_dir, use_cache=not no_cache, limit=limit,
                               validate=validate, key_method=key_method, progress=not quiet)
    splits = ", ".join(f"{name} {count}" for name, count in stats["splits"].items())
    typer.echo(f"{stats['used']} chorales used, {stats['skipped']} skipped; {stats['beats']} beats ({splits})")
    typer.echo(f"{stats['symbol_vocabulary']} chord symbols, {stats['roman_vocabulary']} Roman figures; "
               f"built in {stats['build_seconds']} s ({stats['cached']} from cache)")
    if "validation" in stats:
        for label, total in (("all", stats["validation"]["overall"]),
                             ("aligned", stats["validation"]["overall_aligned"])):
            typer.echo(f"validation ({label}, {total['beats']} beats): root {total['root_agreement']}, "
                       f"roman exact {total['roman_exact']} (in key {total['roman_exact_in_key']}, "
                       f"local key {total['roman_exact_local_key']}), degree {total['degree_agreement']}")
    typer.echo(f"wrote {out}/train.jsonl, valid.jsonl, test.jsonl, stats.json")
    if tables is not None or limit is None:
        from ..tools.chords.tables import TABLES_FILE, write_tables

        typer.echo(f"wrote {write_tables(out / 'train.jsonl', tables or TABLES_FILE)}")
