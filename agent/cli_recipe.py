"""`tunesmith train run RECIPE…`: run training recipes (finetune/recipe.py) through the train commands.

A recipe's options become the step's command line, parsed by that very command, so a recipe can
hold nothing the command does not take and `--dry-run` shows exactly what would run.  Every
recipe of a call is checked before the first one starts (a typo in the last stage must not
surface after two hours of the first).  After a run the recipe is noted where the artefact's
record lives: the run folder's config.json (pretrain, adapter; `export` carries it into the
manifest) or the checkpoint's manifest.json (export, harmony, lyrics-lm, chat, router, profiles).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from ..finetune.errors import ModelError
from ..finetune.recipe import Recipe, load_recipe

# step -> the command that runs it, as (group, command name)
COMMANDS = {"pretrain": ("train", "pretrain"), "adapter": ("train", "adapter"), "harmony": ("train", "harmony"),
            "lyrics-lm": ("train", "lyrics-lm"), "chat-lm": ("train", "chat-lm"), "chat": ("train", "chat"), "router": ("train", "router"),
            "profiles": ("train", "profiles"), "export": ("train", "export")}


@dataclass(frozen=True)
class Plan:
    """A recipe made ready to run: its command, the arguments and the values they resolve to."""

    recipe: Recipe
    command: Any  # the click command of the step
    args: tuple[str, ...]
    params: dict[str, Any]  # every option of the command, defaults included, as the command sees them

    @property
    def command_line(self) -> str:
        return shlex.join(["tunesmith", *COMMANDS[self.recipe.step], *self.args])

    def record_target(self) -> tuple[Path, str]:
        """(the JSON file that records the run, the artefact's key in its "recipes" map)."""
        step, params = self.recipe.step, self.params
        if step == "pretrain":
            return Path(params["run"]) / "config.json", "base"
        if step == "adapter":
            from .cli_train import adapter_run

            return adapter_run(params["name"], params["run"]) / "config.json", params["name"]
        if step == "export":
            return Path(params["out"]) / "manifest.json", "checkpoint"
        if step == "lyrics-lm":  # out is checkpoints/default/lm/lyrics
            return Path(params["out"]).parents[1] / "manifest.json", "lyrics_lm"
        if step == "chat-lm":  # out is checkpoints/default/lm/chat
            return Path(params["out"]).parents[1] / "manifest.json", "chat_lm"
        if step == "profiles":
            return Path(params["out"]).parent / "manifest.json", "style_profiles"
        return Path(params["base"]) / "manifest.json", step


def _click_command(step: str) -> Any:
    from typer.main import get_command

    from .cli_train import train_app

    _, name = COMMANDS[step]  # every step is a `tunesmith train` command
    return get_command(train_app).commands[name]


def command_args(command: Any, options: dict[str, Any], *, recipe: str) -> list[str]:
    """The command-line arguments that give `command` these option values (positionals first)."""
    params = {p.name: p for p in command.params}
    unknown = sorted(set(options) - set(params))
    if unknown:
        raise ModelError(f"recipe {recipe}: {command.name} takes no option {', '.join(unknown)} "
                         f"(it takes {', '.join(params)})")
    positional: list[str] = []
    flags: list[str] = []
    for param in command.params:  # in the command's own order
        if param.name not in options:
            continue
        value = options[param.name]
        if isinstance(value, dict) or (isinstance(value, list) and not param.multiple):
            raise ModelError(f"recipe {recipe}: option {param.name} wants one value, not {value!r}")
        if param.param_type_name == "argument":
            positional.append(str(value))
        elif param.is_flag:
            if not isinstance(value, bool):
                raise ModelError(f"recipe {recipe}: option {param.name} is true or false, not {value!r}")
            if value or param.secondary_opts:
                flags.append(param.opts[0] if value else param.secondary_opts[0])
        else:
            for item in value if isinstance(value, list) else [value]:
                flags += [param.opts[0], str(item)]
    return positional + flags


def plan(source: str | Path) -> Plan:
    """Load a recipe and let its command parse the arguments it becomes (nothing runs)."""
    recipe = load_recipe(source)
    command = _click_command(recipe.step)
    args = command_args(command, recipe.options, recipe=recipe.name)
    try:
        context = command.make_context(command.name, list(args))
    except typer.TyperException as err:  # click's usage errors
        message = err.format_message() if hasattr(err, "format_message") else str(err)
        raise ModelError(f"recipe {recipe.name}: {message}") from err
    return Plan(recipe, command, tuple(args), dict(context.params))


def run_plan(item: Plan) -> None:
    """Run one planned recipe and note it beside what it built (a resumed run adds a stage)."""
    from ..finetune.release import record_recipe, recipe_records

    target, artefact = item.record_target()
    earlier = recipe_records(target, artefact) if item.params.get("resume") else []
    context = item.command.make_context(item.command.name, list(item.args))
    with context:
        item.command.invoke(context)
    if target.is_file():
        record_recipe(target, artefact, [*earlier, item.recipe.record(item.command_line)])
        typer.echo(f"recipe {item.recipe.name}: noted as {artefact!r} in {target}")
    else:
        typer.echo(f"recipe {item.recipe.name}: {target} does not exist, so the run is not noted", err=True)


def describe(item: Plan) -> str:
    """What `--dry-run` prints for one recipe."""
    target, artefact = item.record_target()
    where = item.recipe.path or item.recipe.name
    return (f"recipe {item.recipe.name} ({where}): {item.recipe.description}\n  {item.command_line}\n"
            f"  notes {artefact!r} in {target}")
