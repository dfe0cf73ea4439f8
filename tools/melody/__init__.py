"""tools/melody."""
