"""What the pinned clauses of a tender rely on: declared dependencies and CCAG-TIC departures.

Kept apart from the compliance check, which calls `dependency_findings` and turns each item
into a finding. Pure apart from reading the pinned rows.
"""

from __future__ import annotations

from procure.clause_library import services as library
from procure.tenders.services.clauses import ClauseRow


def dependency_findings(rows: list[ClauseRow]) -> list[dict]:
    """One error per pinned clause and dependency that no pinned clause covers.

    Each item: code, severity, message, fix (a link to add a clause covering the subject) and
    basis (the legal or contractual ground of the finding).
    """
    covered = {subject for r in rows for subject in r.version.covers}
    found = []
    for r in rows:
        for dep in r.version.depends or []:
            subject = dep.get("subject", "")
            if subject in covered:
                continue
            label = library.COVERS.get(subject, subject)
            found.append(
                {
                    "code": "DEPENDANCE-ABSENTE",
                    "severity": "error",
                    "message": (
                        f"La clause « {r.version.title} » renvoie à « {label} », qu'aucune clause "
                        "du marché ne définit : sans elle, la stipulation qui y renvoie ne peut "
                        "pas s'appliquer (une pénalité ne s'applique que si le marché la prévoit)."
                    ),
                    "fix": {"target": "library", "subject": subject},
                    "basis": {
                        "text": f"Clause « {r.version.title} » ({r.clause.key})",
                        "article": f"dépendance déclarée : {subject}",
                    },
                }
            )
    return found


def departures(rows: list[ClauseRow]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The CCAG-TIC articles the pinned clauses depart from, in article order, each with the
    (clause title, reason) pairs that depart from it; a departure limited to some variants
    counts only when the pinned variant is one of them."""
    by_article: dict[str, list[tuple[str, str]]] = {}
    for r in rows:
        for dep in r.version.departures or []:
            only = dep.get("variants") or []
            if only and r.variant not in only:
                continue
            by_article.setdefault(dep["article"], []).append((r.version.title, dep["text"]))
    return sorted(by_article.items(), key=lambda item: library.ccag_sort_key(item[0]))
