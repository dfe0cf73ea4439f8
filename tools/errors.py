"""The exception family of tunesmith.tools (only the common base imported)."""

from ..prompts.errors import TunesmithError


class ToolError(TunesmithError):
    """A tool could not do what was asked; the message is read by a person or by the chat model."""
