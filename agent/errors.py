"""The exception family of tunesmith.agent (no imports)."""


class AgentError(Exception):
    """A command, session or chat model cannot do what was asked; one line for a person."""
