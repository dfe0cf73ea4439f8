"""The exception family of tunesmith.tokenization (only the common base imported, so anyone may raise it)."""

from ..prompts.errors import TunesmithError


class TokenizationError(TunesmithError):
    """Base of every error this package raises; the message is meant for a person."""


class MusicValueError(TokenizationError, ValueError):
    """A musical value is malformed: an unknown key ("H major"), a bad meter, an absurd length."""


class MusicFileError(TokenizationError):
    """A music file cannot be read or written: corrupt, empty, not music, too large."""


class CodecError(TokenizationError):
    """Tokens cannot be encoded or decoded with the joint vocabulary."""
