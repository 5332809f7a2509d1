"""What the sourcing page shows around a search: counts, recent searches and jobs."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from procure.core import jobs
from sourcing.models import SourcingSearch

from .search import get_search, recent_searches
from .suppliers import stats


def overview(*, session: Session, search_id: int | None = None) -> dict[str, Any]:
    """The page's context: the room's counts, recent searches and jobs, and the search in view
    (with its form filled in) when `search_id` names one."""
    record: SourcingSearch | None = (
        get_search(session=session, search_id=search_id) if search_id else None
    )
    return {
        "stats": stats(session=session),
        "searches": recent_searches(session=session),
        "jobs": jobs.recent_jobs(session=session, kind_prefix="sourcing.", limit=5),
        "record": record,
        "form": {"need": record.need, **record.filters} if record else {},
    }
