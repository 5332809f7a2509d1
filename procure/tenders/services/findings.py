"""A compliance finding: code, severity, French message, fix target and legal basis."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Finding:
    code: str
    severity: str  # error, warning, info
    message: str
    # {"target": "edit"|"clauses"|"clause"|"library", "link_id": .., "anchor": ..}
    fix: dict = field(default_factory=dict)
    # The legal basis, "text, article" in French (e.g. "Code de la commande publique, art.
    # L2152-7"); "" for a house rule with no legal source (a summary, a data-quality hint).
    basis: str = ""

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
            "basis": self.basis,
        }
