"""The agent's tools: LangChain tools derived from the tool contract, each a thin call of its action.

Nothing here names a tool.  The contract (prompts/tools.toml) gives the names, the argument
models (tool_args) and the order; tools/actions gives one function per tool; the description
is prompts/tool_<name>.txt.  Each tool returns (summary, artifact): the chat model sees only
the short summary; the artifact (files, findings, the song as text) goes to the terminal and
the batch results.  Errors never escape a tool: a TunesmithError becomes an error ToolMessage
whose one line the model can act on.  Slash commands call the same tools (`call_tool`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from .. import prompts
from ..prompts.errors import TunesmithError
from ..tokenization.contract import Contract, contract
from ..tokenization.styles import STYLE_NAMES
from ..tools.actions import Context, actions
from . import tool_args

log = logging.getLogger(__name__)

Result = tuple[str, dict[str, Any]]
Action = Callable[..., Any]


def context(session) -> Context:
    """Where a session's actions write (its folder, turn-numbered stems) and what they run on."""
    from .models import external_spec

    drafter = None
    if external_spec(str(session.model)) is not None:  # a bigger LLM drafts lyrics too
        from .lyrics_llm import LLMDrafter

        drafter = LLMDrafter(session.chat_model())
    earlier = getattr(session, "earlier", None)
    return Context(models=session.resources, out_dir=session.out_dir, stem=session.file_stem, drafter=drafter,
                   earlier=earlier)


def run_action(session, action: Action, **values: Any) -> Result:
    """Call an action on the session's state and keep what it made."""
    outcome = action(session.state, context(session), **values)
    session.state = outcome.state
    artifact = dict(outcome.artifact)
    if outcome.notes:
        artifact.setdefault("notes", list(outcome.notes))
    return outcome.summary, artifact


def action_table(of: Contract | None = None,
                 registry: Mapping[str, Action] | None = None) -> dict[str, tuple[Action, Any]]:
    """name -> (action, argument model) for every tool of the contract, in its order.

    A test passes a contract with a throwaway tool and a registry with its action."""
    of = of or contract()
    registry = registry if registry is not None else actions()
    schemas = tool_args.models(None if of is contract() else of)
    missing = [name for name in of.names if name not in registry]
    if missing:
        raise TunesmithError(f"the tool contract names tools with no action: {', '.join(missing)}")
    return {name: (registry[name], schemas[name]) for name in of.names}


def tool_table(actions_: Mapping[str, tuple[Action, Any]] | None = None) -> dict[str, tuple[Callable[..., Result], Any]]:
    """name -> (function(session, **args) -> Result, argument model): the actions bound to a session's state."""
    table = actions_ if actions_ is not None else action_table()
    return {name: (partial(run_action, action=action), schema) for name, (action, schema) in table.items()}


TOOLS = tool_table()
TOOL_TASKS = contract().tasks()  # which task each tool serves (routing)


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """What one tool call gave: ok, the model's summary and the artifact."""

    ok: bool
    content: str
    artifact: dict[str, Any]


def checked_args(name: str, schema: Any, args: Mapping[str, Any] | None) -> dict[str, Any]:
    """A call's arguments checked by the tool's argument model (None-valued ones dropped);
    a ToolError that names the first bad argument."""
    from pydantic import ValidationError

    from ..tools.errors import ToolError

    try:
        values = schema(**(args or {})).model_dump(exclude_none=True)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "arguments"
        raise ToolError(f"{name}: {where}: {first['msg']}") from None
    return key_checked(name, values)


def key_checked(name: str, values: dict[str, Any]) -> dict[str, Any]:
    """`values` when their key is strict ('DM' is refused) and agrees with their mode; else a ToolError."""
    from ..tools.errors import ToolError
    from .edge import check_key

    if isinstance(values.get("key"), str) and values["key"].strip():
        try:
            check_key(values["key"], mode=values.get("mode"), label="key", mode_label="mode")
        except TunesmithError as err:
            raise ToolError(f"{name} failed: {err}") from None
    return values


def stated_only(session, name: str, values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The chat model's call kept to what the person said (agent/call_space.checked_call), whichever
    model made it; slash commands and one-shot commands state their arguments themselves."""
    from .call_space import checked_call

    heard = getattr(session, "heard", None)
    if heard is None:
        return values, []
    text, earlier = heard
    return checked_call(name, values, text=text, earlier=earlier, state=session.state)


def call_tool(session, name: str, args: dict[str, Any] | None = None, *, table: Mapping | None = None) -> CallOutcome:
    """Run a tool by name for a slash command; errors become a failed outcome, like in the agent."""
    function, schema = (table or TOOLS)[name]
    try:
        values = checked_args(name, schema, args)
    except TunesmithError as err:
        return CallOutcome(False, str(err), {})
    try:
        content, artifact = _guarded(session, name, function, values)
    except _ToolFailed as err:
        return CallOutcome(False, str(err), {})
    return CallOutcome(True, content, artifact)


class _ToolFailed(Exception):
    pass


def _guarded(session, name: str, function, values: dict[str, Any]) -> Result:
    with session.lock:
        try:
            return function(session, **values)
        except TunesmithError as err:
            raise _ToolFailed(f"{name} failed: {err}") from err
        except Exception as err:  # noqa: BLE001 - a bug in a tool must not end the chat
            log.exception("tool %s crashed", name)
            raise _ToolFailed(f"{name} failed unexpectedly ({type(err).__name__}: {err})") from err


def describe_tool(name: str, *, styles: str, of: Contract | None = None) -> str:
    """The contract's description of the tool, else prompts/tool_<name>.txt, with the known styles
    where it asks for them."""
    tools = (of or contract()).tools
    if name in tools and tools[name].description:
        return tools[name].description.strip()
    needs = "$styles" in prompts.load(f"tool_{name}")
    return prompts.render(f"tool_{name}", **({"styles": styles} if needs else {})).strip()


def build_tools(session, *, table: Mapping | None = None, of: Contract | None = None) -> list:
    """The LangChain tools bound to one session (`table` and `of`: other tools than the contract's)."""
    from langchain_core.tools import StructuredTool, ToolException

    table = table or TOOLS
    styles = ", ".join(STYLE_NAMES + tuple(a for a in session.resources.adapters() if a not in STYLE_NAMES))

    def make(name: str):
        function, schema = table[name]

        def run(**values: Any) -> Result:
            try:
                given = key_checked(name, {k: v for k, v in values.items() if v is not None})
                given, notes = stated_only(session, name, given)
                content, artifact = _guarded(session, name, table[name][0], given)
            except (_ToolFailed, TunesmithError) as err:
                raise ToolException(str(err)) from err
            if notes:
                content += " (" + "; ".join(notes) + ")"
            return content, artifact

        return StructuredTool.from_function(run, name=name, description=describe_tool(name, styles=styles, of=of),
                                            args_schema=schema, response_format="content_and_artifact",
                                            handle_tool_error=True)

    return [make(name) for name in table]
