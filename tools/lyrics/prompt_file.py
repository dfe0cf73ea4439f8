"""What the lyrics adapter's prompts carry, as recorded beside it (prompt.json).

Run time (`tools.lyrics.model`) reads it to build the prompts the adapter was trained on;
training (`tools.lyrics.train`) writes it.  Kept apart from the training module so drafting
lyrics never imports training code.
"""

from __future__ import annotations

import json
from pathlib import Path

PROMPT_FILE = "prompt.json"  # beside the adapter: {"previous_line": true} when prompts carry the line before


def reads_previous_line(folder: str | Path) -> bool:
    """Whether the lyrics adapter in `folder` was trained with the line before in its prompts."""
    try:
        return bool(json.loads((Path(folder) / PROMPT_FILE).read_text()).get("previous_line"))
    except (OSError, ValueError, AttributeError):
        return False


def write_prompt_file(folder: str | Path, *, previous_line: bool) -> Path:
    """Record in `folder` whether the adapter's prompts carry the line before."""
    path = Path(folder) / PROMPT_FILE
    path.write_text(json.dumps({"previous_line": previous_line}) + "\n")
    return path
