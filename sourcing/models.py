"""Supplier tables (SQLModel, no Flask)."""
