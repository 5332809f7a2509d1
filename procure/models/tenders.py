"""Tables of the tenders room (filled in by its issue)."""
