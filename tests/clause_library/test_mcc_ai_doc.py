"""docs/mcc-ai.md: every clause key its tables name exists; every row names a clause or a reason."""

from __future__ import annotations

import re

from tests.factories import ROOT

DOC = ROOT / "docs" / "mcc-ai.md"
KEY = re.compile(r"`([a-z0-9-]+\.[a-z0-9-]+)`")


def _rows() -> list[list[str]]:
    rows = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if cells[0].startswith(("Article des MCC-AI", "Obligation du déployeur")):
                continue
            rows.append(cells)
    return rows


def test_every_clause_key_in_the_tables_exists():
    existing = {f"{p.parent.name}.{p.stem}" for p in (ROOT / "clauses").rglob("*.md")}
    named = {key for row in _rows() for key in KEY.findall(row[1])}
    assert len(named) >= 40
    assert sorted(named - existing) == []


def test_every_row_names_a_clause_or_gives_a_reason():
    rows = _rows()
    assert len(rows) >= 45  # high-risk, light and deployer tables
    for article, clauses, note in rows:
        assert KEY.search(clauses) or (clauses == "aucune" and note.startswith("Raison")), article
