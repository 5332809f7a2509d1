"""The four-eyes review: submit a draft, approve or reject it, deprecate an approved version."""

from __future__ import annotations

from sqlmodel import Session

from procure.clause_library.models import Clause, ClauseVersion
from procure.clause_library.services.access import four_eyes, require_legal
from procure.clause_library.services.catalogue import clause_of, get_version
from procure.clause_library.services.history import record_version_event
from procure.core import jobs
from procure.core.audit import Actor
from procure.core.errors import Conflict, ValidationError
from procure.core.labels import STATUS_LABELS
from procure.core.models import utcnow


def _transition(
    session: Session, version_id: int, expected: tuple[str, ...], what: str
) -> tuple[Clause, ClauseVersion]:
    version = get_version(session=session, version_id=version_id)
    if version.status not in expected:
        raise Conflict(
            f"Impossible de {what} la version {version.number} : elle est "
            f"{STATUS_LABELS.get(version.status, version.status)}."
        )
    return clause_of(session=session, version=version), version


def submit(*, session: Session, actor: Actor, version_id: int) -> ClauseVersion:
    """Draft -> in review."""
    require_legal(actor, "soumettre une clause à relecture")
    clause, version = _transition(session, version_id, ("draft",), "soumettre")
    version.status, version.submitted_at = "in_review", utcnow()
    session.add(version)
    record_version_event(session, actor, "clause.submit", clause, version)
    session.commit()
    return version


def approve(*, session: Session, actor: Actor, version_id: int, comment: str = "") -> ClauseVersion:
    """In review -> approved, by a legal user who never edited the version."""
    require_legal(actor, "approuver une clause")
    clause, version = _transition(session, version_id, ("in_review",), "approuver")
    four_eyes(session, actor, version)
    version.status, version.reviewer_id, version.reviewed_at = "approved", actor.user_id, utcnow()
    version.review_comment = (comment or "").strip()[:2000]
    session.add(version)
    record_version_event(
        session,
        actor,
        "clause.approve",
        clause,
        version,
        content_hash=version.content_hash,
        comment=version.review_comment,
    )
    jobs.fault_point("clause.approve.before_commit")  # a test hook (issue 15), else a no-op
    session.commit()
    return version


def reject(*, session: Session, actor: Actor, version_id: int, comment: str) -> ClauseVersion:
    """In review -> rejected, with a mandatory comment."""
    require_legal(actor, "rejeter une clause")
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError(
            "Le rejet doit être motivé.",
            fields={"comment": "Commentaire obligatoire pour un rejet."},
        )
    clause, version = _transition(session, version_id, ("in_review",), "rejeter")
    four_eyes(session, actor, version)
    version.status, version.reviewer_id, version.reviewed_at = "rejected", actor.user_id, utcnow()
    version.review_comment = comment[:2000]
    session.add(version)
    record_version_event(session, actor, "clause.reject", clause, version, comment=comment)
    session.commit()
    return version


def deprecate(
    *,
    session: Session,
    actor: Actor,
    version_id: int,
    replaced_by_id: int | None,
    comment: str = "",
) -> ClauseVersion:
    """Approved -> deprecated, naming the approved version that replaces it (or, for a clause
    withdrawn altogether, a comment saying why)."""
    require_legal(actor, "retirer une clause")
    clause, version = _transition(session, version_id, ("approved",), "retirer")
    comment = (comment or "").strip()
    if replaced_by_id:
        replacement = get_version(session=session, version_id=int(replaced_by_id))
        if (
            replacement.clause_id != version.clause_id
            or replacement.status != "approved"
            or replacement.id == version.id
        ):
            raise ValidationError(
                "La version de remplacement doit être une autre version approuvée de la même clause.",
                fields={"replaced_by": "version de remplacement invalide"},
            )
        version.replaced_by_id = replacement.id
    elif not comment:
        raise ValidationError(
            "Dites quelle version remplace celle-ci, ou motivez le retrait sans remplacement.",
            fields={
                "replaced_by": "Choisissez la version qui remplace celle-ci.",
                "comment": "Ou motivez un retrait sans remplacement.",
            },
        )
    version.status = "deprecated"
    if comment:
        version.review_comment = comment[:2000]
    session.add(version)
    record_version_event(
        session,
        actor,
        "clause.deprecate",
        clause,
        version,
        replaced_by_id=version.replaced_by_id,
        comment=comment,
    )
    session.commit()
    return version
