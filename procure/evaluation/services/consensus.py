"""Consensus: the lead's final notes, lock and unlock, notes proposed by formula, ranking."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session, col, select

from procure.core import audit
from procure.core.audit import Actor
from procure.core.errors import Conflict, Forbidden, ValidationError
from procure.core.formatting import format_number
from procure.core.models import User, utcnow
from procure.evaluation import scoring
from procure.evaluation.models import (
    EvaluationLock,
    EvaluationUnlock,
    EvaluatorScore,
    FinalScore,
    Offer,
)
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
from procure.evaluation.services.scores import (
    MAX_TEXT,
    form_entries,
    missing_notes,
    offers_form_entries,
    parse_entries,
    parse_offers_entries,
)
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


def _store_finals(
    session: Session,
    actor: Actor,
    tender: Tender,
    notes: dict[int, dict[str, tuple[float, str]]],
) -> list[FinalScore]:
    """Write the lead's final notes by offer and one audit event per offer; the caller commits."""
    existing = {
        (f.offer_id, f.criterion): f
        for f in final_scores(session=session, tender_id=tender_id_of(tender))
    }
    saved = []
    for offer_id, clean in notes.items():
        for name, (score, text) in clean.items():
            row = existing.get((offer_id, name)) or FinalScore(
                tender_id=tender_id_of(tender),
                offer_id=offer_id,
                criterion=name,
                score=score,
                justification=text,
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
    return saved


def _require_reconciling(session: Session, actor: Actor, tender: Tender) -> None:
    require_lead(session, actor, tender)
    require_open(session, tender_id_of(tender))
    require_all_submitted(session, tender_id_of(tender))


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
    "justification"}}, or a one-offer `form` (fields `score-<i>`, `justification-<i>`)."""
    tender = get_tender(session=session, tender_id=tender_id)
    if entries is None:
        entries = form_entries(tender, form or {}, "justification")
    _require_reconciling(session, actor, tender)
    tender_offer(session, tender, offer_id)  # 404 unless the offer is this tender's
    clean, errors = parse_entries(tender, entries, "justification", "Justification")
    if errors:
        raise ValidationError(
            "Notes finales non enregistrées : corrigez les critères signalés.", fields=errors
        )
    if not clean:
        raise ValidationError("Aucune note finale saisie.")
    saved = _store_finals(session, actor, tender, {offer_id: clean})
    session.commit()
    return saved


def save_all_final_scores(
    *, session: Session, actor: Actor, tender_id: int, form: Mapping[str, str]
) -> list[FinalScore]:
    """The lead's final notes for every offer from the page's one form, all or nothing."""
    tender = get_tender(session=session, tender_id=tender_id)
    _require_reconciling(session, actor, tender)
    offers = list_offers(session=session, tender_id=tender_id)
    clean, errors = parse_offers_entries(
        tender,
        offers_form_entries(tender, offers, form, "justification"),
        "justification",
        "Justification",
    )
    if errors:
        raise ValidationError(
            f"Notes finales non enregistrées : {len(errors)} note(s) à corriger (signalées "
            "ci-dessous). Rien n'est perdu : vos saisies sont conservées.",
            fields=errors,
        )
    if not clean:
        raise ValidationError("Aucune note finale saisie.")
    saved = _store_finals(session, actor, tender, clean)
    session.commit()
    return saved


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


SPREAD_WARNING = 0.2  # a spread above this share of the maximum note is highlighted


def final_prefill(
    *,
    tender: Tender,
    offers: list[Offer],
    scores: list[EvaluatorScore],
    finals: dict[tuple[int, str], FinalScore],
    names: Mapping[int, str],
) -> dict[tuple[int, str], dict]:
    """What the lead's final form starts with, per (offer, criterion), from the notes the lead
    may see (`scores` is already filtered by blind scoring): a saved final note as it is;
    otherwise the evaluators' agreement, or their mean with its spread. Each entry:
    {score, justification, origin ("final", "agreement", "mean"), low, high, spread, count,
    wide (the spread deserves a discussion)}."""
    by_note: dict[tuple[int, str], list[EvaluatorScore]] = {}
    for s in scores:
        by_note.setdefault((s.offer_id, s.criterion), []).append(s)
    result: dict[tuple[int, str], dict] = {}
    for o in offers:
        if o.id is None:
            continue
        for c in criteria(tender):
            key: tuple[int, str] = (o.id, str(c["name"]))
            given = sorted(by_note.get(key, []), key=lambda s: names.get(s.user_id, ""))
            notes = [s.score for s in given]
            entry: dict = {"count": len(notes), "low": None, "high": None, "spread": 0.0}
            if notes:
                low, high = min(notes), max(notes)
                entry.update(low=low, high=high, spread=high - low)
            entry["wide"] = entry["spread"] > SPREAD_WARNING * scoring.max_score(c)
            final = finals.get(key)
            if final:
                entry.update(origin="final", score=final.score, justification=final.justification)
            elif notes:
                agreed = entry["spread"] == 0
                mean = round(sum(notes) / len(notes), 2)
                comments = "".join(
                    f"\n— {names.get(s.user_id, '?')} ({format_number(s.score)}) : {s.comment}"
                    for s in given
                )
                head = (
                    "Note du seul évaluateur."
                    if len(notes) == 1
                    else f"Accord des {len(notes)} évaluateurs."
                    if agreed
                    else f"Moyenne des {len(notes)} évaluateurs (de {format_number(low)} "
                    f"à {format_number(high)})."
                )
                entry.update(
                    origin="agreement" if agreed else "mean",
                    score=notes[0] if agreed else mean,
                    justification=_clip(head + comments, MAX_TEXT),
                )
            else:
                entry.update(origin="", score="", justification="")
            result[key] = entry
    return result


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
