"""Optimistic locking of a tender: check the version a form was opened at, bump it on change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
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
    """Bump the version with a compare-and-set in the database, then record the event.

    `check_lock` compares the form's version with the row read earlier; two saves of the same
    version can both pass it when they run at once (found by the load test: the second one
    overwrote the first). The UPDATE ... WHERE lock_version = <version read> lets only one of
    them through; the other is rolled back and refused like any stale save.
    """
    expected = tender.lock_version
    now = utcnow()
    bumped = session.execute(
        update(Tender)
        .where(col(Tender.id) == tender.id, col(Tender.lock_version) == expected)
        .values(lock_version=expected + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        session.refresh(tender)
        check_lock(session, tender, expected)  # raises the Conflict with what changed
        raise Conflict(
            f"Le marché {tender.reference} a été modifié par ailleurs : rechargez la page."
        )
    tender.lock_version = expected + 1
    tender.updated_at = now
    session.add(tender)
    audit.record(
        session,
        actor,
        action,
        record_type="tender",
        record_id=tender.id,
        details={**details, "reference": tender.reference, "lock_version": tender.lock_version},
    )
