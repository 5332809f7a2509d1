"""The one access policy for a tender, used by the tenders and the evaluation rooms.

Who may open a tender (its clauses, documents, offers and evaluation): its owner, the buyers of
its organisation, and the system actor (the CLI without --as). Nobody else: an admin without the
buyer role manages accounts, not tender contents, and sees an empty list.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from procure.core.audit import Actor
from procure.core.errors import Forbidden, NotFound
from procure.core.models import User
from procure.tenders.models import Tender


def organisation_of(session: Session, actor: Actor) -> str | None:
    """The acting user's organisation ("" if unknown); None for the system actor."""
    if actor.user_id is None:
        return None
    user = session.get(User, actor.user_id)
    return user.organisation if user else ""


def can_access(session: Session, actor: Actor, tender: Tender) -> bool:
    """The owner, and buyers of the tender's organisation; the system actor (CLI without --as)."""
    if actor.user_id is None:
        return True
    if tender.owner_id == actor.user_id:
        return True
    org = organisation_of(session, actor)
    return actor.has_role("buyer") and bool(org) and org == tender.organisation


def find_by_reference(*, session: Session, reference: str) -> Tender | None:
    """The tender with this reference, or None (no access check: for uniqueness and lookups)."""
    return session.exec(select(Tender).where(Tender.reference == reference)).first()


def tender_by_reference(*, session: Session, reference: str) -> Tender:
    """The tender with this reference; NotFound in French (the CLI names tenders this way)."""
    tender = find_by_reference(session=session, reference=reference)
    if tender is None:
        raise NotFound(f"Marché introuvable : {reference}.")
    return tender


def get_tender(*, session: Session, actor: Actor, tender_id: int) -> Tender:
    """The tender, if it exists (NotFound) and the actor may open it (Forbidden)."""
    tender = session.get(Tender, tender_id)
    if tender is None:
        raise NotFound(f"Marché n° {tender_id} introuvable.")
    if not can_access(session, actor, tender):
        raise Forbidden(
            "Seuls le propriétaire du marché et les acheteurs de son organisation y ont accès."
        )
    return tender


def list_tenders(
    *, session: Session, actor: Actor, status: str | None = None, limit: int | None = None
) -> list[Tender]:
    """The tenders the actor may open (the same rule as `can_access`), newest first."""
    query = select(Tender).order_by(col(Tender.id).desc())
    if actor.user_id is not None:
        org = organisation_of(session, actor)
        cond = col(Tender.owner_id) == actor.user_id
        if actor.has_role("buyer") and org:
            cond = cond | (col(Tender.organisation) == org)
        query = query.where(cond)
    if status is not None:
        query = query.where(Tender.status == status)
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())
