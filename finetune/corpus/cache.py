"""The one cache of derived data (corpus units, harmony chorales): a JSON entry per input.

An entry is named by a hash of its inputs' path, size and mtime plus whatever else changes
the result (a builder version, options, the music21 version), so a rebuild redoes only what
changed and a changed derivation never reads an old entry.  Entries are written atomically
(tokenization/files.atomic_write), so a killed build leaves no half-written entry.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...tokenization.files import atomic_write


def file_stamp(path: str | Path) -> list[Any]:
    """What identifies a file's content cheaply: its absolute path, size and mtime."""
    info = os.stat(path)
    return [os.path.abspath(path), info.st_size, info.st_mtime_ns]


def entry_path(folder: str | Path, parts: Sequence[Any], *, prefix: str = "") -> Path:
    """The entry file for a list of JSON-able inputs (file stamps, versions, options)."""
    return Path(folder) / f"{prefix}{hashlib.sha1(json.dumps(list(parts)).encode()).hexdigest()}.json"


def read_entry(path: str | Path) -> dict[str, Any] | None:
    """A cached entry, or None when it is missing or unreadable (then it is derived again)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_entry(path: str | Path, entry: dict[str, Any]) -> None:
    """Store an entry (its folder is made when missing)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(entry, ensure_ascii=False).encode("utf-8"))


def prune(folder: str | Path, *, keep_prefix: str) -> None:
    """Remove entries whose names lack `keep_prefix` (written by another builder version)."""
    for path in Path(folder).glob("*.json"):
        if not path.name.startswith(keep_prefix):
            path.unlink(missing_ok=True)
