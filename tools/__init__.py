"""tunesmith.tools."""
