"""Argument models of the agent's tools, derived from the tool contract (prompts/tools.toml).

LangChain and the chat grammar read JSON schemas; pydantic models give them, and check a
call's values (types, bounds, enums, extra keys) before a tool runs.  Nothing here names a
tool or an argument: a new argument in the contract is a new field here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from ..tokenization.contract import Arg, Contract, Tool, contract


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _field(arg: Arg) -> tuple[Any, Any]:
    """(annotation, FieldInfo) of one argument, as the hand-written schemas had them."""
    kind: Any = int if arg.is_int else str
    if arg.enum:
        kind = Literal[arg.enum]  # type: ignore[valid-type]
    bounds = {k: v for k, v in (("ge", arg.low), ("le", arg.high)) if v is not None}
    if arg.required:
        return kind, Field(description=arg.description, **bounds)
    if arg.default is not None:
        return kind, Field(arg.default, description=arg.description, **bounds)
    return kind | None, Field(None, description=arg.description, **bounds)


def model_for(tool: Tool) -> type[BaseModel]:
    """The pydantic model of one tool's arguments, in the contract's order."""
    fields = {arg.name: _field(arg) for arg in tool.args}
    name = "".join(part.title() for part in tool.name.split("_")) + "Args"
    return create_model(name, __base__=_Args, __doc__=f"Arguments of {tool.name}.", **fields)


def models(of: Contract | None = None) -> dict[str, type[BaseModel]]:
    """Every tool's argument model (the shipped contract's are built once)."""
    if of is None:
        return dict(_shipped())
    return {name: model_for(tool) for name, tool in of.tools.items()}


@lru_cache(maxsize=1)
def _shipped() -> tuple[tuple[str, type[BaseModel]], ...]:
    return tuple((name, model_for(tool)) for name, tool in contract().tools.items())
