"""The exception family of tunesmith.finetune (only the common base imported)."""

from ..prompts.errors import TunesmithError


class FinetuneError(TunesmithError):
    """Base of errors raised while building data, training or generating."""


class CorpusError(FinetuneError):
    """The corpus cannot be built or read."""


class ModelError(FinetuneError):
    """A model or adapter cannot be loaded, trained or sampled."""
