"""CPV codes for the tender forms: search and labels (the list lives in `sourcing.cpv`)."""

from __future__ import annotations


def search_cpv(query: str, limit: int = 15) -> list[tuple[str, str, float]]:
    from sourcing.cpv import search_cpv as _search

    return _search(query or "", limit=limit)


def cpv_labels(codes: list[str]) -> list[tuple[str, str]]:
    from sourcing.cpv import load_cpv

    table = load_cpv()
    return [(c, table.get(c, "")) for c in codes]


def is_known_cpv(code: str) -> bool:
    from sourcing.cpv import normalise_cpv

    return normalise_cpv(code) == code
