"""The tenders room's panel on the home page: the buyer's draft tenders and their errors."""

from __future__ import annotations

from sqlmodel import Session

from procure.core.audit import Actor
from procure.core.models import User
from procure.tenders.services.access import list_tenders
from procure.tenders.services.compliance import error_count, library_stamp

PANEL_SIZE = 10


def pending_work(*, session: Session, user: User) -> list[dict]:
    """The ten latest draft tenders the buyer can open, each with its number of errors.

    Cheap enough for every home page load: one query for the tenders, one for the library's
    state, and a compliance check only for a tender (or library) that changed since the last
    load (see `compliance.error_count`).
    """
    if not user.has_role("buyer"):
        return []
    tenders = list_tenders(session=session, actor=Actor.of(user), status="draft", limit=PANEL_SIZE)
    stamp = library_stamp(session) if tenders else (0, 0)
    items = []
    for tender in tenders:
        errors = error_count(session=session, tender=tender, stamp=stamp)
        label = f"{tender.reference} – {tender.title}" + (
            f" ({errors} erreur(s) de conformité)" if errors else ""
        )
        items.append(
            {
                "label": label,
                "endpoint": "tenders.show",
                "params": {"tender_id": tender.id},
                "badge": "error" if errors else "draft",
            }
        )
    return [
        {
            "title": "Mes marchés en préparation",
            "items": items,
            "empty": "Aucun marché en préparation. Créez-en un depuis la page Marchés.",
        }
    ]
