"""The one exception base of tunesmith (no imports, so every layer may subclass it).

Each package has its own family under it (prompts.PromptError, tokenization.errors.TokenizationError,
finetune.errors.FinetuneError, tools.errors.ToolError, agent.errors.AgentError); a caller that shows
errors to a person catches TunesmithError once instead of listing the families.
"""


class TunesmithError(Exception):
    """Base of every error tunesmith raises on purpose; the message is one line for a person."""
