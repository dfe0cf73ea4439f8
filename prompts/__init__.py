"""tunesmith.prompts."""
