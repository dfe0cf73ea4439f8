"""tools/chords."""
