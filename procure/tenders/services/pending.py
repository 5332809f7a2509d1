"""The tenders room's panel on the home page: the buyer's draft tenders."""

from __future__ import annotations

from sqlmodel import Session

from procure.core.audit import Actor
from procure.core.models import User
from procure.tenders.services.access import list_tenders
from procure.tenders.services.compliance import check


def pending_work(*, session: Session, user: User) -> list[dict]:
    if not user.has_role("buyer"):
        return []
    actor = Actor.of(user)
    items = []
    for tender in list_tenders(session=session, actor=actor)[:30]:
        if tender.status != "draft":
            continue
        findings = check(session=session, tender=tender)
        errors = sum(1 for f in findings if f.severity == "error")
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
            "items": items[:10],
            "empty": "Aucun marché en préparation. Créez-en un depuis la page Marchés.",
        }
    ]
