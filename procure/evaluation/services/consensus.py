"""Consensus: the lead's final notes, lock and unlock, notes proposed by formula, ranking."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session, col, select

from procure.core import audit
from procure.core.audit import Actor
from procure.core.errors import Conflict, Forbidden, ValidationError
from procure.core.models import User, utcnow
from procure.evaluation import scoring
from procure.evaluation.models import EvaluationLock, EvaluationUnlock, FinalScore, Offer
from procure.evaluation.services.access import (
    assignment_of,
    assignments,
    can_manage,
    criteria,
    get_tender,
    lock_state,
    require_lead,
    require_open,
    tender_id_of,
)
from procure.evaluation.services.offers import footprints_of, list_offers, tender_offer
from procure.evaluation.services.scores import form_entries, missing_notes, parse_entries
from procure.tenders.models import Tender

MIN_REASON = 10


def users_by_id(session: Session, user_ids: list[int]) -> dict[int, User]:
    """Users by id, in one query."""
    rows = session.exec(select(User).where(col(User.id).in_(set(user_ids)))).all()
    return {u.id: u for u in rows if u.id is not None}


def require_all_submitted(session: Session, tender_id: int) -> None:
    """409 while an assigned evaluator has not submitted (final notes and the lock wait)."""
    pending = [a for a in assignments(session=session, tender_id=tender_id) if not a.submitted_at]
    if pending:
        people = users_by_id(session, [a.user_id for a in pending])
        names = ", ".join(people[a.user_id].email for a in pending if a.user_id in people)
        raise Conflict(
            f"Tous les évaluateurs doivent avoir soumis leurs notes (en attente : {names})."
        )


def final_scores(*, session: Session, tender_id: int) -> list[FinalScore]:
    return list(session.exec(select(FinalScore).where(FinalScore.tender_id == tender_id)).all())


def save_final_scores(
    *,
    session: Session,
    actor: Actor,
    tender_id: int,
    offer_id: int,
    entries: dict[str, dict] | None = None,
    form: Mapping[str, str] | None = None,
) -> list[FinalScore]:
    """The lead's reconciled notes for one offer: `entries` {criterion: {"score",
    "justification"}}, or the page's `form` (fields `score-<i>`, `justification-<i>`)."""
    tender = get_tender(session=session, tender_id=tender_id)
    if entries is None:
        entries = form_entries(tender, form or {}, "justification")
    require_lead(session, actor, tender)
    require_open(session, tender_id)
    require_all_submitted(session, tender_id)
    tender_offer(session, tender, offer_id)  # 404 unless the offer is this tender's
    clean, errors = parse_entries(tender, entries, "justification", "Justification")
    if errors:
        raise ValidationError(
            "Notes finales non enregistrées : corrigez les critères signalés.", fields=errors
        )
    if not clean:
        raise ValidationError("Aucune note finale saisie.")
    existing = {
        f.criterion: f
        for f in session.exec(select(FinalScore).where(FinalScore.offer_id == offer_id)).all()
    }
    saved = []
    for name, (score, text) in clean.items():
        row = existing.get(name) or FinalScore(
            tender_id=tender_id, offer_id=offer_id, criterion=name, score=score, justification=text
        )
        row.score, row.justification, row.decided_by, row.decided_at = (
            score,
            text,
            actor.user_id,
            utcnow(),
        )
        session.add(row)
        saved.append(row)
    audit.record(
        session,
        actor,
        "evaluation.final_score",
        record_type="offer",
        record_id=offer_id,
        details={
            "tender": tender.reference,
            "scores": {k: {"score": v[0], "justification": v[1]} for k, v in clean.items()},
        },
    )
    session.commit()
    return saved


def lock(*, session: Session, actor: Actor, tender_id: int) -> EvaluationLock:
    """Lock the evaluation: every evaluator submitted, every offer has a final note on every
    criterion."""
    tender = get_tender(session=session, tender_id=tender_id)
    require_lead(session, actor, tender)
    require_open(session, tender_id)
    require_all_submitted(session, tender_id)
    finals = {(f.offer_id, f.criterion) for f in final_scores(session=session, tender_id=tender_id)}
    offers = list_offers(session=session, tender_id=tender_id)
    missing = missing_notes(tender, offers, finals)
    if not offers or missing:
        raise ValidationError(
            "Verrouillage impossible : notes finales manquantes ("
            + " ; ".join(missing[:10] or ["aucune offre"])
            + ")."
        )
    state = lock_state(session=session, tender_id=tender_id)
    state.status, state.locked_by, state.locked_at = "locked", actor.user_id, utcnow()
    session.add(state)
    totals = {
        str(k): v
        for k, v in _totals(
            tender, offers, final_scores(session=session, tender_id=tender_id)
        ).items()
    }
    audit.record(
        session,
        actor,
        "evaluation.lock",
        record_type="tender",
        record_id=tender_id,
        details={"tender": tender.reference, "totals": totals},
    )
    session.commit()
    return state


def unlock(*, session: Session, actor: Actor, tender_id: int, reason: str) -> EvaluationLock:
    """Reopen a locked evaluation (lead evaluator or the tender's buyers) with a written reason."""
    tender = get_tender(session=session, tender_id=tender_id)
    a = assignment_of(session, tender_id, actor.user_id)
    if not (a and a.lead) and not can_manage(session, actor, tender):
        raise Forbidden(
            "Seuls l'évaluateur principal et les acheteurs du marché peuvent déverrouiller."
        )
    state = lock_state(session=session, tender_id=tender_id)
    if state.status != "locked":
        raise Conflict("L'évaluation n'est pas verrouillée.")
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationError(
            "Le motif du déverrouillage est obligatoire.",
            fields={"reason": f"Motif d'au moins {MIN_REASON} caractères."},
        )
    state.status = "open"
    session.add(state)
    session.add(EvaluationUnlock(tender_id=tender_id, user_id=actor.user_id, reason=reason))
    audit.record(
        session,
        actor,
        "evaluation.unlock",
        record_type="tender",
        record_id=tender_id,
        details={"tender": tender.reference, "reason": reason},
    )
    session.commit()
    return state


def unlocks(*, session: Session, tender_id: int) -> list[EvaluationUnlock]:
    return list(
        session.exec(
            select(EvaluationUnlock)
            .where(EvaluationUnlock.tender_id == tender_id)
            .order_by(col(EvaluationUnlock.id))
        ).all()
    )


def proposals(*, session: Session, tender: Tender) -> dict[int, dict[str, dict]]:
    """Notes proposed by formula, per offer and criterion (compared within each lot)."""
    offers = list_offers(session=session, tender_id=tender_id_of(tender))
    footprints = footprints_of(session=session, tender=tender, offers=offers)
    result: dict[int, dict[str, dict]] = {oid: {} for oid in footprints}
    by_lot: dict[str, list[Offer]] = {}
    for o in offers:
        by_lot.setdefault(o.lot, []).append(o)
    for lot_offers in by_lot.values():
        data = {
            oid: {"price": o.price, "footprint": footprints[oid]}
            for o in lot_offers
            if (oid := o.id) is not None
        }
        for crit in criteria(tender):
            for offer_id, proposal in scoring.propose(crit, data).items():
                result[offer_id][crit["name"]] = proposal
    return result


def _totals(tender: Tender, offers: list[Offer], finals: list[FinalScore]) -> dict[int, float]:
    notes: dict[int, dict[str, float]] = {o.id: {} for o in offers if o.id is not None}
    for f in finals:
        if f.offer_id in notes:
            notes[f.offer_id][f.criterion] = f.score
    names = {c["name"] for c in criteria(tender)}
    return {
        oid: scoring.weighted_total(n, criteria(tender))
        for oid, n in notes.items()
        if names <= set(n)
    }


def ranking(*, session: Session, tender: Tender) -> list[dict]:
    """Per lot: [{lot, rows: [{rank, tied, offer, total}]}] from the final notes (complete offers only)."""
    offers = list_offers(session=session, tender_id=tender_id_of(tender))
    totals = _totals(tender, offers, final_scores(session=session, tender_id=tender_id_of(tender)))
    by_id = {o.id: o for o in offers}
    lots: dict[str, dict[int, float]] = {}
    for oid, total in totals.items():
        lots.setdefault(by_id[oid].lot, {})[oid] = total
    result = []
    for lot in sorted(lots):
        rows = []
        for position, keys, total in scoring.rank(lots[lot]):
            for oid in sorted(keys, key=lambda k: by_id[k].supplier_name):
                rows.append(
                    {"rank": position, "tied": len(keys) > 1, "offer": by_id[oid], "total": total}
                )
        result.append({"lot": lot, "rows": rows})
    return result
