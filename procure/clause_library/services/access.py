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


def editors_of(session: Session, version: ClauseVersion) -> set[int]:
    """Everyone who wrote this version's content at any time: its author, every saver of the
    draft (read from the append-only audit log, not only the last saver)."""
    ids = {i for i in (version.author_id, version.updated_by_id) if i is not None}
    ids |= {
        i
        for i in session.exec(
            select(AuditEvent.actor_id).where(
                AuditEvent.record_type == "clause_version",
                AuditEvent.record_id == str(version.id),
                col(AuditEvent.action).in_(EDIT_ACTIONS),
            )
        ).all()
        if i is not None
    }
    return ids


def four_eyes(session: Session, actor: Actor, version: ClauseVersion) -> None:
    """Refuse a review by anybody who edited the version (at any time) or by no named person."""
    if actor.user_id is None or actor.user_id in editors_of(session, version):
        raise Forbidden(
            "Règle des quatre yeux : la relecture doit être faite par un juriste qui n'a ni écrit "
            "ni modifié cette version."
        )
