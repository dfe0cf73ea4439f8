"""`tunesmith demo`: the README's main job — a scripted batch of melody requests through the shipped model."""

from __future__ import annotations

import json
import time
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from .config import load_config
from .errors import AgentError


def _demo_lines() -> list[dict]:
    text = resources.files("tunesmith.prompts").joinpath("demo.jsonl").read_text(encoding="utf-8")
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise AgentError(f"demo.jsonl line {number} is not JSON: {err}") from err
    return lines


def demo(
    out: Annotated[Path | None, typer.Option(help="Output folder (default ./tunesmith-out/demo).")] = None,
) -> None:
    """Write one melody per demo request with the shipped model, check it, and print a summary."""
    from rich.console import Console
    from rich.table import Table

    from ..finetune.runtime import load_runtime
    from ..tokenization.files import write_song
    from ..tokenization.view import render_terminal
    from ..tools.melody.compose import new_melody
    from ..tools.melody.request import build_request

    console = Console()
    config = load_config(overrides={"out_dir": out})
    out_dir = out or config.out_dir / "demo"
    started = time.perf_counter()
    runtime = load_runtime(config.default_checkpoint, user_styles=config.user_styles)
    console.print(f"model loaded from {runtime.directory} in {time.perf_counter() - started:.1f}s "
                  f"(adapters: {', '.join(runtime.adapters) or 'none'})", style="dim")
    table = Table(title="tunesmith demo")
    for column in ("id", "style", "asked key", "estimated key", "bars", "checks", "seconds", "seed"):
        table.add_column(column)
    for item in _demo_lines():
        request = build_request(style=item.get("style"), key=item.get("key"), meter=item.get("meter"),
                                bars=item.get("bars", 8), seed=item.get("seed"), adapters=runtime.adapters)
        result = new_melody(request, runtime=runtime)
        files = write_song(result.song, out_dir, stem=f"{item['id']}-s{result.seed}")
        console.rule(item["id"])
        console.print(render_terminal(result.song), highlight=False, markup=False)
        console.print(result.report.summary(), highlight=False, markup=False)
        console.print("files: " + ", ".join(str(p) for p in files.values()), style="dim")
        checks = "ok" if result.report.ok and not result.report.warnings else (
            f"{len(result.report.warnings)} warning(s)" if result.report.ok else "errors")
        table.add_row(item["id"], request.style or "-", str(request.key), str(result.estimated_key),
                      str(result.melody.bars), checks, f"{result.seconds:.2f}", str(result.seed))
    console.print(table)
