"""minigrad."""
