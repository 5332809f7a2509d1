"""Who may write: the legal role, and the four-eyes rule of the review."""

from __future__ import annotations

from sqlmodel import Session, col, select

from procure.clause_library.models import ClauseVersion
from procure.core.audit import Actor
from procure.core.errors import Forbidden
from procure.core.models import AuditEvent

# Audit actions that write a version's content: whoever did one of these edited the version.
EDIT_ACTIONS = ("clause.create", "clause.sync", "clause.update")


def require_legal(actor: Actor, what: str) -> None:
    if not actor.has_role("legal"):
        raise Forbidden(f"Seul un juriste peut {what}.")


def editors_by_version(session: Session, versions: list[ClauseVersion]) -> dict[int, set[int]]:
    """Everyone who wrote each version's content at any time: its author, every saver of the
    draft (read from the append-only audit log, not only the last saver). One query for all."""
    out = {
        v.id: {i for i in (v.author_id, v.updated_by_id) if i is not None}
        for v in versions
        if v.id is not None
    }
    if not out:
        return out
    for record_id, actor_id in session.exec(
        select(AuditEvent.record_id, AuditEvent.actor_id).where(
            AuditEvent.record_type == "clause_version",
            col(AuditEvent.record_id).in_([str(i) for i in out]),
            col(AuditEvent.action).in_(EDIT_ACTIONS),
        )
    ).all():
        if actor_id is not None and record_id is not None:
            out[int(record_id)].add(actor_id)
    return out


def editors_of(session: Session, version: ClauseVersion) -> set[int]:
    """Everyone who wrote this version's content at any time (see `editors_by_version`)."""
    return editors_by_version(session, [version]).get(version.id or 0, set())


def review_refusal(session: Session, actor: Actor, version: ClauseVersion) -> str | None:
    """Why the four-eyes rule bars `actor` from approving or rejecting `version`, or None.

    The one statement of the rule: `four_eyes` enforces it, the clause page uses it to offer
    only the actions the person may take and to say why the others are absent."""
    if actor.user_id is None:
        return (
            "Règle des quatre yeux : la relecture doit être faite par un juriste nommé, "
            "qui n'a ni écrit ni modifié cette version."
        )
    if actor.user_id in editors_of(session, version):
        return (
            "Règle des quatre yeux : vous avez écrit ou modifié cette version, "
            "un autre juriste doit l'approuver ou la rejeter."
        )
    return None


def four_eyes(session: Session, actor: Actor, version: ClauseVersion) -> None:
    """Refuse a review by anybody who edited the version (at any time) or by no named person."""
    reason = review_refusal(session, actor, version)
    if reason:
        raise Forbidden(reason)
