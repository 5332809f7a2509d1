"""Who may do what on a tender's evaluation, the evaluators' assignments and the lock gate.

Managing (offers, declarations, evaluators) follows the tenders room's one access policy for a
tender (`tenders.can_access`: its owner, the buyers of its organisation, the system actor; an
admin without the buyer role has no access). Assigned evaluators score; the lead evaluator
reconciles, locks and unlocks. A locked evaluation refuses every change (409).

Blind scoring (`sees_results`): the other evaluators' notes and comments, the final notes, the
ranking, the score chart and the report are shown to an assigned evaluator only once they have
submitted their own notes, and to a buyer who does not evaluate only while the evaluation is
locked. A saved but unsubmitted note (a draft) is shown to its author only.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from procure.core import audit
from procure.core.audit import Actor
from procure.core.errors import Conflict, Forbidden, NotFound, ValidationError
from procure.core.models import User
from procure.evaluation import scoring
from procure.evaluation.models import EvaluationLock, EvaluatorAssignment, EvaluatorScore
from procure.tenders import services as tenders
from procure.tenders.models import Tender


def get_tender(*, session: Session, tender_id: int) -> Tender:
    """The tender, without an access check (callers check `access` or `require_manage`)."""
    tender = session.get(Tender, tender_id)
    if not tender:
        raise NotFound("Marché introuvable.")
    return tender


def tender_id_of(tender: Tender) -> int:
    """A stored tender's id (typed: a tender read from the database always has one)."""
    assert tender.id is not None
    return tender.id


def can_manage(session: Session, actor: Actor, tender: Tender) -> bool:
    """The tenders room's policy: the owner, buyers of its organisation, the system actor."""
    return tenders.can_access(session, actor, tender)


def assignment_of(
    session: Session, tender_id: int, user_id: int | None
) -> EvaluatorAssignment | None:
    if not user_id:
        return None
    return session.exec(
        select(EvaluatorAssignment).where(
            EvaluatorAssignment.tender_id == tender_id, EvaluatorAssignment.user_id == user_id
        )
    ).first()


def access(*, session: Session, actor: Actor, tender: Tender) -> dict[str, Any]:
    """What the actor may do on this tender's evaluation; 403 when nothing."""
    manage = can_manage(session, actor, tender)
    assignment = assignment_of(session, tender_id_of(tender), actor.user_id)
    if not manage and not assignment:
        raise Forbidden("Vous n'êtes ni acheteur de ce marché ni évaluateur désigné pour celui-ci.")
    return {
        "manage": manage,
        "evaluator": assignment is not None,
        "lead": bool(assignment and assignment.lead),
        "submitted": bool(assignment and assignment.submitted_at),
    }


def sees_results(rights: dict[str, Any], locked: bool) -> bool:
    """Whether the actor may see the others' notes, the final notes, the ranking and the report.

    An assigned evaluator (lead included) once they submitted; anyone else with access (buyers,
    the system actor) only while the evaluation is locked, so a reopened evaluation is blind again.
    """
    if rights["evaluator"]:
        return bool(rights["submitted"])
    return bool(rights["manage"]) and locked


def require_results(*, session: Session, actor: Actor, tender: Tender) -> dict[str, Any]:
    """The actor's rights, if they may see the results (`sees_results`); 403 otherwise."""
    rights = access(session=session, actor=actor, tender=tender)
    locked = lock_state(session=session, tender_id=tender_id_of(tender)).status == "locked"
    if not sees_results(rights, locked):
        raise Forbidden(
            "Notation à l'aveugle : les notes des autres, les notes finales, le classement et le "
            "rapport ne sont visibles qu'après la soumission de vos propres notes (ou, pour les "
            "acheteurs, une fois l'évaluation verrouillée)."
        )
    return rights


def require_manage(session: Session, actor: Actor, tender: Tender) -> None:
    if not can_manage(session, actor, tender):
        raise Forbidden(
            "Seuls le propriétaire du marché et les acheteurs de son organisation peuvent faire cela."
        )


def require_lead(session: Session, actor: Actor, tender: Tender) -> EvaluatorAssignment:
    a = assignment_of(session, tender_id_of(tender), actor.user_id)
    if not a or not a.lead:
        raise Forbidden(
            "Seul l'évaluateur principal peut arrêter les notes finales et verrouiller."
        )
    return a


def require_evaluator(session: Session, actor: Actor, tender: Tender) -> EvaluatorAssignment:
    a = assignment_of(session, tender_id_of(tender), actor.user_id)
    if not a:
        raise Forbidden("Vous n'êtes pas évaluateur désigné pour ce marché.")
    return a


def lock_state(*, session: Session, tender_id: int) -> EvaluationLock:
    state = session.exec(
        select(EvaluationLock).where(EvaluationLock.tender_id == tender_id)
    ).first()
    return state or EvaluationLock(tender_id=tender_id, status="open")


def lock_states(*, session: Session, tender_ids: list[int]) -> dict[int, str]:
    """Lock status ("open" or "locked") of several tenders, in one query."""
    rows = session.exec(
        select(EvaluationLock).where(col(EvaluationLock.tender_id).in_(tender_ids))
    ).all()
    found = {r.tender_id: r.status for r in rows}
    return {tid: found.get(tid, "open") for tid in tender_ids}


def require_open(session: Session, tender_id: int) -> None:
    if lock_state(session=session, tender_id=tender_id).status == "locked":
        raise Conflict(
            "L'évaluation est verrouillée : déverrouillez-la (avec un motif) pour la modifier."
        )


def assigned_tender_ids(session: Session, user_id: int | None) -> set[int]:
    if not user_id:
        return set()
    return set(
        session.exec(
            select(EvaluatorAssignment.tender_id).where(EvaluatorAssignment.user_id == user_id)
        ).all()
    )


def visible_tenders(*, session: Session, actor: Actor) -> list[Tender]:
    """Tenders the actor manages or evaluates, by reference (two queries in all)."""
    assigned = assigned_tender_ids(session, actor.user_id)
    rows = session.exec(select(Tender).order_by(col(Tender.reference))).all()
    return [t for t in rows if t.id in assigned or can_manage(session, actor, t)]


def criteria(tender: Tender) -> list[dict]:
    return [c for c in (tender.award_criteria or []) if c.get("name")]


# The scoring engine's method names, as the tenders room words them.
_TENDERS_METHOD = {
    "hyperbolic": "proportionnelle",
    "log": "logarithmique",
    "thresholds": "seuils",
    "manual": "bareme",
}


def criterion_text(criterion: dict) -> str:
    """How the RC published this criterion's scoring: the tenders room's one wording (a method
    stored as a code, such as "hyperbolic", or left blank, gets the wording of its method)."""
    text = tenders.criterion_text(criterion)
    raw = str(criterion.get("method") or "")
    if not criterion.get("sub_criteria") and (not text or text == raw):
        text = tenders.method_text(criterion, _TENDERS_METHOD[scoring.method_of(criterion)])
    return text


def criterion(tender: Tender, name: str) -> dict:
    for c in criteria(tender):
        if c["name"] == name:
            return c
    raise ValidationError(
        f"Critère inconnu : « {name} ».", fields={"criterion": "Critère absent du RC."}
    )


# --- evaluators ----------------------------------------------------------------------------------


def assignments(*, session: Session, tender_id: int) -> list[EvaluatorAssignment]:
    return list(
        session.exec(
            select(EvaluatorAssignment)
            .where(EvaluatorAssignment.tender_id == tender_id)
            .order_by(col(EvaluatorAssignment.id))
        ).all()
    )


def assign_evaluators(
    *, session: Session, actor: Actor, tender_id: int, user_ids: list[int], lead_id: int | None
) -> list[EvaluatorAssignment]:
    """Set the tender's evaluators and lead; an evaluator who already scored cannot be removed."""
    tender = get_tender(session=session, tender_id=tender_id)
    require_manage(session, actor, tender)
    require_open(session, tender_id)
    user_ids = sorted({int(u) for u in user_ids})
    errors: dict[str, str] = {}
    users = {uid: session.get(User, uid) for uid in user_ids}
    bad = [
        str(uid) for uid, u in users.items() if not u or not u.active or not u.has_role("evaluator")
    ]
    if bad:
        errors["evaluators"] = "Chaque personne désignée doit être un évaluateur actif."
    if not user_ids:
        errors["evaluators"] = "Désignez au moins un évaluateur."
    if lead_id is None or int(lead_id) not in user_ids:
        errors["lead"] = "Choisissez l'évaluateur principal parmi les évaluateurs désignés."
    current = {a.user_id: a for a in assignments(session=session, tender_id=tender_id)}
    for uid in set(current) - set(user_ids):
        scored = session.exec(
            select(EvaluatorScore).where(
                EvaluatorScore.tender_id == tender_id, EvaluatorScore.user_id == uid
            )
        ).first()
        if scored:
            who = session.get(User, uid)
            errors["evaluators"] = (
                f"{who.email if who else uid} a déjà noté : il ne peut plus être retiré."
            )
    if errors or lead_id is None:
        raise ValidationError("Les évaluateurs n'ont pas été modifiés.", fields=errors)
    lead = int(lead_id)
    for uid, a in current.items():
        if uid not in user_ids:
            session.delete(a)
    for uid in user_ids:
        a = current.get(uid) or EvaluatorAssignment(tender_id=tender_id, user_id=uid)
        a.lead = uid == lead
        session.add(a)
    emails = {uid: u.email for uid, u in users.items() if u}
    audit.record(
        session,
        actor,
        "evaluation.assign",
        record_type="tender",
        record_id=tender_id,
        details={
            "tender": tender.reference,
            "before": sorted(current),
            "evaluators": [emails[u] for u in user_ids],
            "lead": emails[lead],
        },
    )
    session.commit()
    return assignments(session=session, tender_id=tender_id)
