"""The compliance check of a tender: findings (code, severity, message, fix target)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session

from procure.clause_library import clausefile as clauselib
from procure.core.formatting import format_number
from procure.tenders import rules
from procure.tenders.models import Tender
from procure.tenders.services.clauses import ClauseRow, tender_clauses
from procure.tenders.services.library import (
    profile_of,
)


@dataclass
class Finding:
    code: str
    severity: str  # error, warning, info
    message: str
    fix: dict = field(
        default_factory=dict
    )  # {"target": "edit"|"clauses"|"clause"|"library", "link_id": ..}

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
        }


def check(
    *, session: Session, tender: Tender, rows: list[ClauseRow] | None = None
) -> list[Finding]:
    """Compliance findings, errors first."""
    rows = tender_clauses(session=session, tender=tender) if rows is None else rows
    found: list[Finding] = []
    criteria = tender.award_criteria or []
    if not criteria:
        found.append(
            Finding(
                "CRITERES-ABSENTS",
                "error",
                "Aucun critère d'attribution n'est défini.",
                {"target": "edit", "anchor": "criteres"},
            )
        )
    if not any(c.get("kind") == "environment" for c in criteria):
        found.append(
            Finding(
                "CRITERE-ENVIRONNEMENTAL-ABSENT",
                "error",
                "Aucun critère d'attribution ne porte sur les caractéristiques environnementales de l'offre : "
                "obligatoire depuis le 22 août 2026 (loi Climat et Résilience, art. 35).",
                {"target": "edit", "anchor": "criteres"},
            )
        )
    total = sum(float(c.get("weight") or 0) for c in criteria)
    if criteria and abs(total - 100) > 1e-9:
        found.append(
            Finding(
                "PONDERATIONS",
                "error",
                f"Les pondérations des critères totalisent {format_number(total)} au lieu de 100.",
                {"target": "edit", "anchor": "criteres"},
            )
        )
    if any(c.get("kind") == "environment" for c in criteria) and not (
        tender.requests_per_year and tender.tokens_per_request
    ):
        found.append(
            Finding(
                "UNITE-FONCTIONNELLE",
                "warning",
                "L'unité fonctionnelle (requêtes par an, jetons par requête) n'est pas fixée : "
                "les empreintes des offres ne seront pas comparables.",
                {"target": "edit", "anchor": "unite"},
            )
        )
    if not tender.cpv_codes:
        found.append(
            Finding(
                "CPV-ABSENT",
                "warning",
                "Aucun code CPV n'est indiqué.",
                {"target": "edit", "anchor": "cpv"},
            )
        )
    covered = {subject for r in rows for subject in r.version.covers}
    for subject, rule in rules.required_subjects(profile_of(tender)):
        if subject not in covered:
            found.append(
                Finding(
                    "CLAUSE-REQUISE",
                    "error",
                    f"Aucune clause ne couvre « {clauselib.COVERS.get(subject, subject)} », requise par la règle "
                    f"{rule.id} ({rule.condition_text()}).",
                    {"target": "library", "subject": subject},
                )
            )
    for r in rows:
        title = r.version.title
        if r.version.status == "deprecated":
            found.append(
                Finding(
                    "VERSION-RETIREE",
                    "error",
                    f"La clause « {title} » épingle la version {r.version.number}, retirée par les juristes.",
                    {"target": "clause", "link_id": r.link.id},
                )
            )
        elif r.stale:
            found.append(
                Finding(
                    "VERSION-PERIMEE",
                    "warning",
                    f"Une version plus récente ({r.latest.number}) de la clause « {title} » est approuvée "
                    f"(version épinglée : {r.version.number}).",
                    {"target": "clause", "link_id": r.link.id},
                )
            )
        _clean, errors = clauselib.validate_values(r.version.variables, r.link.values)
        for name, message in errors.items():
            code = "VARIABLE-VIDE" if "obligatoire" in message else "VARIABLE-INVALIDE"
            found.append(
                Finding(
                    code,
                    "error",
                    f"Clause « {title} » : {message}",
                    {"target": "clause", "link_id": r.link.id, "field": name},
                )
            )
    if not rows:
        found.append(
            Finding(
                "AUCUNE-CLAUSE",
                "warning",
                "Le marché ne comporte aucune clause.",
                {"target": "clauses"},
            )
        )
    order = {"error": 0, "warning": 1, "info": 2}
    found.sort(key=lambda f: order[f.severity])
    pieces = sorted({r.version.piece for r in rows})
    found.append(
        Finding(
            "RESUME",
            "info",
            f"{len(rows)} clause(s) réparties dans : {', '.join(pieces) or 'aucune pièce'}.",
            {"target": "clauses"},
        )
    )
    return found


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)
