"""tools/lyrics."""
