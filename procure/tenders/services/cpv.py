"""CPV codes for the tender forms: search and labels (the list lives in `sourcing.cpv`)."""

from __future__ import annotations

from procure.core.errors import ValidationError

MAX_QUERY_CHARS = 200  # a CPV search is a few words or a code


def search_cpv(query: str, limit: int = 15) -> list[tuple[str, str, float]]:
    """CPV codes for a few words or a code; a query over MAX_QUERY_CHARS is refused in French."""
    from sourcing.cpv import search_cpv as _search

    if len(query or "") > MAX_QUERY_CHARS:
        raise ValidationError(
            f"Recherche CPV trop longue ({len(query)} caractères, {MAX_QUERY_CHARS} au plus) : "
            "quelques mots ou un code suffisent.",
            fields={"cpv_q": f"{MAX_QUERY_CHARS} caractères au plus."},
        )
    return _search(query or "", limit=limit)


def cpv_labels(codes: list[str]) -> list[tuple[str, str]]:
    from sourcing.cpv import load_cpv

    table = load_cpv()
    return [(c, table.get(c, "")) for c in codes]


def is_known_cpv(code: str) -> bool:
    from sourcing.cpv import normalise_cpv

    return normalise_cpv(code) == code
