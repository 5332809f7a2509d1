"""The one access policy for a tender, used by the tenders and the evaluation rooms.

The owner, buyers of the tender's organisation and the system actor (CLI without --as) have
access; an admin without the buyer role does not see tender contents.
"""

from __future__ import annotations

from sqlmodel import Session, select

from procure.core.audit import Actor
from procure.core.errors import Forbidden, NotFound
from procure.core.models import User
from procure.tenders.models import Tender


def organisation_of(session: Session, actor: Actor) -> str | None:
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


def get_tender(*, session: Session, actor: Actor, tender_id: int) -> Tender:
    tender = session.get(Tender, tender_id)
    if tender is None:
        raise NotFound(f"Marché n° {tender_id} introuvable.")
    if not can_access(session, actor, tender):
        raise Forbidden(
            "Seuls le propriétaire du marché et les acheteurs de son organisation y ont accès."
        )
    return tender


def list_tenders(*, session: Session, actor: Actor) -> list[Tender]:
    query = select(Tender).order_by(Tender.id.desc())
    if actor.user_id is not None:
        org = organisation_of(session, actor)
        cond = Tender.owner_id == actor.user_id
        if actor.has_role("buyer") and org:
            cond = cond | (Tender.organisation == org)
        query = query.where(cond)
    return list(session.exec(query).all())
