"""One page of a list: every list page (audit, merges, shortlists, evaluations) shows at most
`PER_PAGE` rows, whatever the number of records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, func, select

PER_PAGE = 50


@dataclass(frozen=True)
class Page:
    items: list[Any]
    page: int
    total: int
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total


def clamp(page: int | None) -> int:
    """A page number from the request: 1 at least (a bad value is page 1)."""
    return page if isinstance(page, int) and page > 0 else 1


def paginate(session: Session, query: Any, page: int, per_page: int = PER_PAGE) -> Page:
    """One page of a select, and the total count (two queries)."""
    page = clamp(page)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(query.offset((page - 1) * per_page).limit(per_page)).all()
    return Page(list(rows), page, int(total), per_page)
