"""Optimistic locking of a tender: check the version a form was opened at, bump it on change."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from procure.core import audit
from procure.core.audit import Actor
from procure.core.errors import Conflict, ValidationError
from procure.core.models import AuditEvent, utcnow
from procure.tenders.models import Tender


def check_lock(session: Session, tender: Tender, lock_version: Any) -> None:
    if lock_version in (None, ""):
        return  # scripts that do not care about concurrent edits
    try:
        expected = int(lock_version)
    except (TypeError, ValueError):
        raise ValidationError(
            "Version du marché illisible.", fields={"lock_version": "Nombre entier attendu."}
        ) from None
    if expected != tender.lock_version:
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.record_type == "tender", AuditEvent.record_id == str(tender.id))
            .order_by(col(AuditEvent.id))
        ).all()
        changes = [
            {
                "action": e.action,
                "par": e.actor_email,
                "le": e.at.isoformat(timespec="seconds"),
                "champs": e.details.get("changed", []) or e.details.get("key", ""),
            }
            for e in events
            if int(e.details.get("lock_version", 0) or 0) > expected
        ]
        raise Conflict(
            f"Le marché {tender.reference} a été modifié par ailleurs depuis que vous l'avez ouvert "
            f"(version {expected}, version actuelle {tender.lock_version}). Rechargez la page : vos "
            "modifications n'ont pas été enregistrées.",
            changes={"events": changes},
        )


def touch(session: Session, actor: Actor, tender: Tender, action: str, details: dict) -> None:
    tender.lock_version += 1
    tender.updated_at = utcnow()
    session.add(tender)
    audit.record(
        session,
        actor,
        action,
        record_type="tender",
        record_id=tender.id,
        details={**details, "reference": tender.reference, "lock_version": tender.lock_version},
    )
