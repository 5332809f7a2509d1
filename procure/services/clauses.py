"""The clauses room's domain services (filled in by its issue)."""
