"""Supplier sourcing: a plain library with no Flask import."""
