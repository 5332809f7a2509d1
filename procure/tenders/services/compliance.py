"""The compliance check of a tender: findings (code, severity, message, fix target)."""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlmodel import Session, col, func, select

from procure.clause_library import services as library
from procure.clause_library.models import ClauseVersion
from procure.core.audit import Actor
from procure.tenders import rules
from procure.tenders.models import Tender
from procure.tenders.services.access import get_tender
from procure.tenders.services.clause_dependencies import dependency_findings
from procure.tenders.services.clauses import ClauseRow, tender_clauses
from procure.tenders.services.findings import Finding
from procure.tenders.services.legal_checks import (
    clause_findings,
    consistency_findings,
    criteria_findings,
    procedure_findings,
    profile_findings,
)
from procure.tenders.services.library import (
    profile_of,
)


def check(
    *, session: Session, tender: Tender, rows: list[ClauseRow] | None = None
) -> list[Finding]:
    """Compliance findings, errors first."""
    rows = tender_clauses(session=session, tender=tender) if rows is None else rows
    profile = profile_of(tender)
    found: list[Finding] = [
        *profile_findings(tender),
        *criteria_findings(tender, profile),
        *procedure_findings(tender),
        *consistency_findings(tender, rows),
        *clause_findings(tender, rows),
    ]
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
    for subject, rule in rules.required_subjects(profile):
        if subject not in covered:
            found.append(
                Finding(
                    "CLAUSE-REQUISE",
                    "error",
                    f"Aucune clause ne couvre « {library.COVERS.get(subject, subject)} », requise par la règle "
                    f"{rule.id} ({rule.condition_text()}).",
                    {"target": "library", "subject": subject},
                    rule.basis,
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
        elif (newer := r.newer) is not None:
            found.append(
                Finding(
                    "VERSION-PERIMEE",
                    "warning",
                    f"Une version plus récente ({newer.number}) de la clause « {title} » est approuvée "
                    f"(version épinglée : {r.version.number}).",
                    {"target": "clause", "link_id": r.link.id},
                )
            )
        # Only the variables the pinned variant prints are asked for.
        used = library.variant_variables(r.version.body, r.version.variables, r.variant)
        _clean, errors = library.validate_values(used, r.link.values)
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
    for item in dependency_findings(rows):
        # The legal basis travels in the fix until findings carry a `basis` of their own.
        found.append(
            Finding(
                item["code"],
                item["severity"],
                item["message"],
                {**item["fix"], "basis": item["basis"]},
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


def check_tender(*, session: Session, actor: Actor, tender_id: int) -> tuple[Tender, list[Finding]]:
    """The tender (access checked) and its compliance findings: the check page."""
    tender = get_tender(session=session, actor=actor, tender_id=tender_id)
    return tender, check(session=session, tender=tender)


# --- error counts for the home page ------------------------------------------------------------
# The home page lists up to ten draft tenders with their number of errors. A full check per
# tender on every load is wasteful: the result only changes when the tender changes (every
# change bumps `lock_version` and `updated_at`) or when the library does (a version approved or
# deprecated). A small in-process cache keyed by both is enough; `check` itself is never cached.

_CACHE_SIZE = 512
_error_counts: OrderedDict[tuple, int] = OrderedDict()
_cache_lock = threading.Lock()


def library_stamp(session: Session) -> tuple[int, int]:
    """Changes whenever a clause version is approved or deprecated.

    (versions ever approved, versions deprecated): approved versions only become deprecated and
    neither is ever deleted, so each approval grows the first count and each deprecation the
    second; one grouped query on an indexed column.
    """
    counts: dict[str, int] = {
        status: count
        for status, count in session.exec(
            select(ClauseVersion.status, func.count())
            .where(col(ClauseVersion.status).in_(("approved", "deprecated")))
            .group_by(ClauseVersion.status)
        ).all()
    }
    deprecated = counts.get("deprecated", 0)
    return counts.get("approved", 0) + deprecated, deprecated


def error_count(*, session: Session, tender: Tender, stamp: tuple[int, int] | None = None) -> int:
    """The number of compliance errors of a tender, cached per tender version and library state."""
    stamp = library_stamp(session) if stamp is None else stamp
    key = (tender.id, tender.lock_version, tender.updated_at.isoformat(), stamp)
    with _cache_lock:
        if key in _error_counts:
            _error_counts.move_to_end(key)
            return _error_counts[key]
    count = sum(1 for f in check(session=session, tender=tender) if f.severity == "error")
    with _cache_lock:
        _error_counts[key] = count
        while len(_error_counts) > _CACHE_SIZE:
            _error_counts.popitem(last=False)
    return count
