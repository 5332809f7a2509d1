"""The home page panels of the room: clauses to review, my drafts."""

from __future__ import annotations

from sqlmodel import Session, col, select

from procure.clause_library.models import Clause, ClauseVersion
from procure.core.models import User


def pending_work(*, session: Session, user: User) -> list[dict]:
    if not user.has_role("legal"):
        return []
    rows = session.exec(
        select(Clause, ClauseVersion)
        .join(ClauseVersion)
        .where(col(ClauseVersion.status).in_(("draft", "in_review")))
        .order_by(col(Clause.key), col(ClauseVersion.number))
    ).all()
    review = [
        {
            "label": f"{v.title} (v{v.number})",
            "endpoint": "clauses.show",
            "params": {"key": c.key, "version": v.number},
            "badge": "in_review",
        }
        for c, v in rows
        if v.status == "in_review" and user.id not in (v.author_id, v.updated_by_id)
    ]
    drafts = [
        {
            "label": f"{v.title} (v{v.number})",
            "endpoint": "clauses.show",
            "params": {"key": c.key, "version": v.number},
            "badge": "draft",
        }
        for c, v in rows
        if v.status == "draft" and v.author_id == user.id
    ]
    return [
        {
            "title": "Clauses à relire",
            "items": review[:20],
            "empty": "Aucune clause n'attend votre relecture.",
        },
        {
            "title": "Mes brouillons de clauses",
            "items": drafts[:20],
            "empty": "Aucun brouillon en cours.",
        },
    ]
