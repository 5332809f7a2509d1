"""The whole state of one tender's evaluation, filtered by what the actor may see."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from procure.core.audit import Actor
from procure.evaluation.services.access import (
    access,
    assignments,
    criteria,
    get_tender,
    lock_state,
    sees_results,
)
from procure.evaluation.services.consensus import (
    final_prefill,
    final_scores,
    proposals,
    ranking,
    unlocks,
    users_by_id,
)
from procure.evaluation.services.offers import current_footprint, declarations_of, list_offers
from procure.evaluation.services.scores import visible_scores


def overview(*, session: Session, actor: Actor, tender_id: int) -> dict[str, Any]:
    """Everything the evaluation page and the report show (a fixed number of queries); the
    notes, final notes and ranking only as far as blind scoring allows (`sees_results`)."""
    tender = get_tender(session=session, tender_id=tender_id)
    rights = access(session=session, actor=actor, tender=tender)
    offers = list_offers(session=session, tender_id=tender_id)
    decls = declarations_of(session=session, offers=offers)
    footprints = {oid: current_footprint(d, tender) for oid, d in decls.items()}
    team = assignments(session=session, tender_id=tender_id)
    scores = visible_scores(session=session, actor=actor, tender=tender)
    lock = lock_state(session=session, tender_id=tender_id)
    results = sees_results(rights, lock.status == "locked")
    people = users_by_id(session, [a.user_id for a in team] + [s.user_id for s in scores])
    finals = (
        {(f.offer_id, f.criterion): f for f in final_scores(session=session, tender_id=tender_id)}
        if results
        else {}
    )
    all_submitted = bool(team) and all(a.submitted_at for a in team)
    reconciling = rights["lead"] and results and all_submitted and lock.status != "locked"
    return {
        "tender": tender,
        "rights": rights,
        "criteria": criteria(tender),
        "offers": offers,
        "declarations": decls,
        "footprints": footprints,
        "assignments": team,
        "people": people,
        "scores": scores,
        "results": results,
        "finals": finals,
        # The lead's final form starts from the notes they may see (blind scoring holds).
        "prefill": final_prefill(
            tender=tender,
            offers=offers,
            scores=scores,
            finals=finals,
            names={uid: u.display_name for uid, u in people.items()},
        )
        if reconciling
        else {},
        "proposals": proposals(session=session, tender=tender),
        "lock": lock,
        "unlocks": unlocks(session=session, tender_id=tender_id),
        "ranking": ranking(session=session, tender=tender) if results else [],
        "all_submitted": all_submitted,
    }
