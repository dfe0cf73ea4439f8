"""The exception family of tunesmith.finetune (no imports)."""


class FinetuneError(Exception):
    """Base of errors raised while building data, training or generating."""


class CorpusError(FinetuneError):
    """The corpus cannot be built or read."""


class ModelError(FinetuneError):
    """A model or adapter cannot be loaded, trained or sampled."""
