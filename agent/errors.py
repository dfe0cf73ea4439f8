"""The exception family of tunesmith.agent (only the common base imported)."""

from ..prompts.errors import TunesmithError


class AgentError(TunesmithError):
    """A command, session or chat model cannot do what was asked; one line for a person."""
