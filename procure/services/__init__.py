"""Domain services: keyword-only functions that take the session; no Flask import."""
