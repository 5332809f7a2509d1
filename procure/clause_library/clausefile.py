"""Temporary shim: the clause format moved into procure.clause_library.services (its facade)."""

from procure.clause_library.services import (
    COVERS,
    parse_clause_text,
    render_blocks,
    validate_values,
    word_diff,
)

__all__ = ["COVERS", "parse_clause_text", "render_blocks", "validate_values", "word_diff"]
