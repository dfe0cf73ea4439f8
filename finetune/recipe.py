"""Training recipes: one TOML file per run, holding every value that run was started with.

    step = "chat"                       which `tunesmith train` step runs it
    description = "..."                 what the run is for, in a line or two
    [options]                           the step's command-line options, by their Python names
    minutes = 85
    resume = true

The shipped recipes (finetune/recipes/*.toml, in the spirit of peft's method_comparison
experiments) are the runs that built checkpoints/default; the Makefile's RECIPES gives their order.
`tunesmith train run RECIPE` turns a recipe into the step's command line and runs it, and notes
the recipe in the run's config.json or the checkpoint's manifest.json (finetune/release.py).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ModelError

RECIPES_DIR = Path(__file__).parent / "recipes"
STEPS = ("pretrain", "adapter", "harmony", "lyrics-lm", "chat-lm", "chat", "router", "profiles", "export")


@dataclass(frozen=True)
class Recipe:
    """One run: the step, its options (command-line names with underscores) and where it came from."""

    name: str
    step: str
    options: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    path: Path | None = None

    def record(self, command: str) -> dict[str, Any]:
        """What a manifest keeps of the run: the recipe's name, step, options and command line."""
        return {"recipe": self.name, "step": self.step, "options": dict(self.options), "command": command}


def shipped_recipes() -> list[str]:
    """Names of the recipes that ship with tunesmith."""
    return sorted(p.stem for p in RECIPES_DIR.glob("*.toml"))


def load_recipe(source: str | Path) -> Recipe:
    """A recipe from a file path, or by the name of a shipped one (with or without .toml)."""
    path = Path(source)
    if not path.is_file():
        path = RECIPES_DIR / f"{Path(str(source)).name.removesuffix('.toml')}.toml"
    if not path.is_file():
        raise ModelError(f"no recipe {str(source)!r}: not a file, and the shipped ones are "
                         f"{', '.join(shipped_recipes())}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ModelError(f"cannot read recipe {path}: {err}") from err
    unknown = set(data) - {"step", "description", "options"}
    if unknown:
        raise ModelError(f"recipe {path} has unknown keys {', '.join(sorted(unknown))} (step, description, options)")
    step = data.get("step")
    if step not in STEPS:
        raise ModelError(f"recipe {path} names step {step!r}; known steps: {', '.join(STEPS)}")
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise ModelError(f"recipe {path}: [options] must be a table")
    return Recipe(name=path.stem, step=step, options=options, description=str(data.get("description", "")),
                  path=path)
