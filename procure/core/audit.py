"""The append-only audit log: one event per change of state, in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, func, select

from procure.core.models import AuditEvent, User


@dataclass(frozen=True)
class Actor:
    """Who acts, and from where: a web user, a CLI user or the system."""

    user_id: int | None
    email: str
    client_addr: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, user: User, client_addr: str = "") -> Actor:
        return cls(user.id, user.email, client_addr, frozenset(user.roles))

    @classmethod
    def system(cls, client_addr: str = "cli") -> Actor:
        return cls(None, "systeme", client_addr, frozenset({"admin"}))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    record_type: str = "",
    record_id: Any = "",
    details: dict | None = None,
) -> AuditEvent:
    """Add an audit event to the session; the caller's commit writes it with the change."""
    event = AuditEvent(
        actor_id=actor.user_id if actor else None,
        actor_email=actor.email if actor else "",
        client_addr=actor.client_addr if actor else "",
        action=action,
        record_type=record_type,
        record_id=str(record_id) if record_id is not None else "",
        details=details or {},
    )
    session.add(event)
    return event


def list_events(
    *,
    session: Session,
    action: str | None = None,
    record_type: str | None = None,
    actor_email: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[AuditEvent], int]:
    """Return one page of events, newest first, and the total count."""
    query = select(AuditEvent)
    if action:
        query = query.where(col(AuditEvent.action).contains(action))
    if record_type:
        query = query.where(AuditEvent.record_type == record_type)
    if actor_email:
        query = query.where(col(AuditEvent.actor_email).contains(actor_email))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(AuditEvent.id).desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total


# Events whose details carry evaluators' notes, comments or totals: the audit page shows an
# administrator that they happened, not what they say (admins have no access to evaluations;
# the details stay in the log for the buyer's legal needs and a database-level inquiry).
CONFIDENTIAL_ACTIONS = frozenset(
    {"evaluation.score", "evaluation.final_score", "evaluation.lock", "evaluation.submit"}
)


def shown_details(event: AuditEvent) -> dict:
    """What the audit page shows of an event's details (confidential ones are withheld)."""
    if event.action in CONFIDENTIAL_ACTIONS:
        return {"détails": "confidentiels (évaluation des offres)"}
    return event.details or {}
