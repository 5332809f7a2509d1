"""Tables of the clauses room (filled in by its issue)."""
