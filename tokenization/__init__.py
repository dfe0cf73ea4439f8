"""tunesmith.tokenization."""
