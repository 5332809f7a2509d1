"""Tables of the evaluation room (filled in by its issue)."""
