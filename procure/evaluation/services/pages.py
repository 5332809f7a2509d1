"""What each evaluation page shows, gathered by one call per page (no queries in views)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from procure.accounts import services as accounts
from procure.core.audit import Actor
from procure.core.pagination import PER_PAGE, Page, clamp
from procure.evaluation.models import Offer
from procure.evaluation.services.access import (
    access,
    get_tender,
    lock_state,
    lock_states,
    visible_tenders,
)
from procure.evaluation.services.offers import current_footprint, declaration_of, get_offer
from procure.evaluation.services.overview import overview
from procure.evaluation.services.report import report_documents


def offer_counts(*, session: Session, tender_ids: list[int]) -> dict[int, int]:
    """Number of offers of each tender, in one query."""
    rows = session.exec(
        select(Offer.tender_id, func.count(col(Offer.id)))
        .where(col(Offer.tender_id).in_(tender_ids))
        .group_by(col(Offer.tender_id))
    ).all()
    found = dict(rows)
    return {tid: found.get(tid, 0) for tid in tender_ids}


def evaluation_list(*, session: Session, actor: Actor, page: int = 1) -> Page:
    """One page of the evaluations the actor may open: rows {tender, offers, lock}."""
    tenders = visible_tenders(session=session, actor=actor)
    page = clamp(page)
    shown = tenders[(page - 1) * PER_PAGE : page * PER_PAGE]
    ids = [t.id for t in shown if t.id is not None]
    counts = offer_counts(session=session, tender_ids=ids)
    locks = lock_states(session=session, tender_ids=ids)
    rows = [
        {"tender": t, "offers": counts[t.id], "lock": locks[t.id]}
        for t in shown
        if t.id is not None
    ]
    return Page(rows, page, len(tenders))


def tender_page(*, session: Session, actor: Actor, tender_id: int) -> dict[str, Any]:
    """The evaluation page: the overview, the exported reports and, for buyers, the evaluators."""
    view = overview(session=session, actor=actor, tender_id=tender_id)
    view["reports"] = (
        report_documents(session=session, tender_id=tender_id) if view["results"] else []
    )
    view["evaluators"] = (
        accounts.users_with_role(session=session, role="evaluator")
        if view["rights"]["manage"]
        else []
    )
    return view


def offer_page(*, session: Session, actor: Actor, offer_id: int) -> dict[str, Any]:
    """An offer's page: the offer, its tender, the actor's rights, declaration and footprint."""
    offer = get_offer(session=session, offer_id=offer_id)
    tender = get_tender(session=session, tender_id=offer.tender_id)
    rights = access(session=session, actor=actor, tender=tender)
    decl = declaration_of(session=session, offer_id=offer_id)
    return {
        "offer": offer,
        "tender": tender,
        "rights": rights,
        "declaration": decl,
        "footprint": current_footprint(decl, tender),
        "lock": lock_state(session=session, tender_id=offer.tender_id),
    }
