"""tools/export."""
