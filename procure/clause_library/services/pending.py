"""The home page panels of the room: clauses to review, my drafts, my versions in review."""

from __future__ import annotations

from sqlmodel import Session, col, select

from procure.clause_library.models import Clause, ClauseVersion
from procure.clause_library.services.access import editors_by_version
from procure.core.models import User


def _item(clause: Clause, version: ClauseVersion) -> dict:
    """A panel item linking to the version's page; its badge is the version's status."""
    return {
        "label": f"{version.title} (v{version.number})",
        "endpoint": "clauses.show",
        "params": {"key": clause.key, "version": version.number},
        "badge": version.status,
    }


def pending_work(*, session: Session, user: User) -> list[dict]:
    if not user.has_role("legal"):
        return []
    rows = session.exec(
        select(Clause, ClauseVersion)
        .join(ClauseVersion)
        .where(col(ClauseVersion.status).in_(("draft", "in_review")))
        .order_by(col(Clause.key), col(ClauseVersion.number))
    ).all()
    editors = editors_by_version(session, [v for _, v in rows if v.status == "in_review"])
    in_review = [(c, v) for c, v in rows if v.status == "in_review"]
    review = [_item(c, v) for c, v in in_review if user.id not in editors.get(v.id or 0, set())]
    # Versions this user wrote or edited, now waiting for another jurist (four eyes).
    mine = [_item(c, v) for c, v in in_review if user.id in editors.get(v.id or 0, set())]
    drafts = [_item(c, v) for c, v in rows if v.status == "draft" and v.author_id == user.id]
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
        {
            "title": "Mes versions en relecture",
            "items": mine[:20],
            "empty": "Aucune de vos versions n'attend de relecture.",
        },
    ]
