"""tunesmith.eval."""
