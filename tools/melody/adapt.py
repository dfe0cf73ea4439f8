"""Train a style adapter on a person's own melodies (`tunesmith adapt DIR --name NAME`).

Files that cannot be read are skipped and reported, never fatal; the adapter is a LoRA on the
shipped base, saved in the person's own styles folder so `--style NAME` works everywhere after.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from ...finetune.errors import FinetuneError
from ...tokenization.errors import TokenizationError
from ...tokenization.files import read_song
from ...tokenization.records import song_to_record
from ...tokenization.styles import STYLE_NAMES
from ..errors import ToolError

MUSIC_SUFFIXES = (".mid", ".midi", ".kar", ".musicxml", ".xml", ".mxl", ".abc")
MIN_FILES = 5
MAX_FILES = 200
RESERVED = {"melody", "harmony", "chat", "lyrics", "default"}


@dataclass(frozen=True, slots=True)
class AdaptResult:
    """What `adapt_style` did: the adapter folder, files used and skipped (with reasons), timing."""

    name: str
    folder: Path
    used: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]
    seconds: float
    train_loss: float | None
    valid_loss: float | None


def check_name(name: str) -> str:
    """A style name people can type: lowercase letters, digits and dashes, not a built-in one.

    >>> check_name("my-ballads")
    'my-ballads'
    """
    if not re.fullmatch(r"[a-z][a-z0-9-]{1,39}", name or ""):
        raise ToolError(f"style name {name!r}: use 2-40 lowercase letters, digits and dashes")
    if name in RESERVED or name in STYLE_NAMES:
        raise ToolError(f"{name!r} is a built-in name; choose another")
    return name


def collect_records(folder: Path, *, name: str) -> tuple[list[dict], list[tuple[str, str]]]:
    """Corpus records for every readable music file in a folder, and (file, reason) for the rest."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ToolError(f"{folder} is not a folder of music files")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in MUSIC_SUFFIXES)[:MAX_FILES]
    records, skipped = [], []
    for path in files:
        try:
            song = read_song(path)
            records.append(song_to_record(song, record_id=f"{name}/{path.stem}", source=str(path), styles=[name]))
        except TokenizationError as err:
            skipped.append((path.name, str(err)))
    if len(records) < MIN_FILES:
        raise ToolError(f"only {len(records)} usable music files in {folder} (need at least {MIN_FILES}; "
                        f"{len(skipped)} skipped)")
    return records, skipped


def adapt_style(folder: Path, *, name: str, base_dir: Path, styles_home: Path, run_dir: Path,
                steps: int = 300, progress: bool = True) -> AdaptResult:
    """Train adapter `name` on the files in `folder` and save it under `styles_home`/adapters/."""
    from ...finetune.lora import adapter_dir, train_adapter
    from ...finetune.train import TrainConfig

    check_name(name)
    records, skipped = collect_records(folder, name=name)
    valid = records[:: max(len(records) // 5, 2)][:3]
    train = [r for r in records if r not in valid] or records
    config = TrainConfig(max_steps=steps, lr=1e-3, warmup_steps=20, eval_every=100, weight_decay=0.0,
                         batch_tokens=2048, threads=1)
    started = time.perf_counter()
    try:
        state = train_adapter(base_dir, train, name, run_dir=run_dir, valid_records=valid, config=config,
                              save_home=styles_home, show_progress=progress)
    except FinetuneError as err:
        raise ToolError(f"could not train the style {name!r}: {err}") from err
    return AdaptResult(name=name, folder=adapter_dir(styles_home, name), used=tuple(r["source"] for r in records),
                       skipped=tuple(skipped), seconds=time.perf_counter() - started,
                       train_loss=state.get("train_loss"), valid_loss=state.get("valid_loss"))
