"""The evaluation room's domain services (filled in by its issue)."""
