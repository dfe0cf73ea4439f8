"""The exception family of tunesmith.tools (no imports)."""


class ToolError(Exception):
    """A tool could not do what was asked; the message is read by a person or by the chat model."""
