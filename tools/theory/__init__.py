"""tools/theory."""
