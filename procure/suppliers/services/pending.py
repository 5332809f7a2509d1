"""The sourcing panel of the home page: running sourcing jobs and merges waiting for review."""

from __future__ import annotations

from sqlmodel import Session

from procure.core import jobs
from procure.core.models import User

from .suppliers import stats


def pending_work(*, session: Session, user: User) -> list[dict]:
    if not user.has_role("sourcing", "admin"):
        return []
    running = [
        j
        for j in jobs.recent_jobs(session=session, kind_prefix="sourcing.", limit=10)
        if j.status in ("queued", "running")
    ]
    items = [
        {
            "label": f"{j.label} ({j.percent} %)",
            "endpoint": "sourcing.job",
            "params": {"job_id": j.id},
            "badge": j.status,
        }
        for j in running
    ]
    n = stats(session=session)["proposals"]
    if n:
        items.append(
            {
                "label": f"{n} proposition(s) de fusion à examiner",
                "endpoint": "sourcing.merges",
                "params": {},
                "badge": "in_review",
            }
        )
    return [{"title": "Sourcing", "items": items, "empty": "Aucune tâche de sourcing en cours."}]
