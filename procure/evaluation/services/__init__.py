"""Evaluation of offers: declarations and footprints, evaluators' scores, consensus, lock, report.

Access: the tender's buyers (owner or same organisation) and admins manage offers, declarations
and evaluators; assigned evaluators score; the lead evaluator reconciles, locks and unlocks.
An evaluator sees the others' scores only after submitting their own. A locked evaluation
refuses every change (409) until unlocked with a reason.
"""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from procure.core import audit
from procure.core.audit import Actor
from procure.core.errors import Conflict, Forbidden, NotFound, ValidationError
from procure.core.models import User, utcnow
from procure.evaluation import footprint as fp
from procure.evaluation import scoring
from procure.evaluation.models import (
    Declaration,
    EvaluationLock,
    EvaluationUnlock,
    EvaluatorAssignment,
    EvaluatorScore,
    FinalScore,
    Offer,
)
from procure.tenders.models import Tender, TenderDocument

SIREN_RE = re.compile(r"^\d{9}$")
MIN_REASON = 10


# --- access -------------------------------------------------------------------------------------


def get_tender(*, session: Session, tender_id: int) -> Tender:
    tender = session.get(Tender, tender_id)
    if not tender:
        raise NotFound("Marché introuvable.")
    return tender


def _user(session: Session, actor: Actor) -> User | None:
    return session.get(User, actor.user_id) if actor.user_id else None


def can_manage(session: Session, actor: Actor, tender: Tender) -> bool:
    """Admins, and buyers who own the tender or belong to its organisation."""
    if actor.has_role("admin"):
        return True
    if not actor.has_role("buyer"):
        return False
    if tender.owner_id and tender.owner_id == actor.user_id:
        return True
    user = _user(session, actor)
    return bool(user and tender.organisation and user.organisation == tender.organisation)


def _assignment(
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
    assignment = _assignment(session, tender.id, actor.user_id)
    if not manage and not assignment:
        raise Forbidden("Vous n'êtes ni acheteur de ce marché ni évaluateur désigné pour celui-ci.")
    return {
        "manage": manage,
        "evaluator": assignment is not None,
        "lead": bool(assignment and assignment.lead),
        "submitted": bool(assignment and assignment.submitted_at),
    }


def _require_manage(session: Session, actor: Actor, tender: Tender) -> None:
    if not can_manage(session, actor, tender):
        raise Forbidden("Seuls les acheteurs du marché (ou un administrateur) peuvent faire cela.")


def lock_state(*, session: Session, tender_id: int) -> EvaluationLock:
    state = session.exec(
        select(EvaluationLock).where(EvaluationLock.tender_id == tender_id)
    ).first()
    return state or EvaluationLock(tender_id=tender_id, status="open")


def _require_open(session: Session, tender_id: int) -> None:
    if lock_state(session=session, tender_id=tender_id).status == "locked":
        raise Conflict(
            "L'évaluation est verrouillée : déverrouillez-la (avec un motif) pour la modifier."
        )


def visible_tenders(*, session: Session, actor: Actor) -> list[Tender]:
    tenders = session.exec(select(Tender).order_by(Tender.reference)).all()
    assigned = (
        {
            a.tender_id
            for a in session.exec(
                select(EvaluatorAssignment).where(EvaluatorAssignment.user_id == actor.user_id)
            ).all()
        }
        if actor.user_id
        else set()
    )
    return [t for t in tenders if t.id in assigned or can_manage(session, actor, t)]


def criteria(tender: Tender) -> list[dict]:
    return [c for c in (tender.award_criteria or []) if c.get("name")]


def _criterion(tender: Tender, name: str) -> dict:
    for c in criteria(tender):
        if c["name"] == name:
            return c
    raise ValidationError(
        f"Critère inconnu : « {name} ».", fields={"criterion": "Critère absent du RC."}
    )


# --- offers and declarations ---------------------------------------------------------------------


def _siren_ok(siren: str) -> bool:
    digits = [int(c) for c in siren]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return total % 10 == 0


def _parse_price(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        value = (
            value.strip().replace("\u202f", "").replace(" ", "").replace("€", "").replace(",", ".")
        )
    return float(value)


def add_offer(
    *,
    session: Session,
    actor: Actor,
    tender_id: int,
    supplier_name: str,
    siren: str = "",
    lot: str = "",
    price: Any = None,
    documents: list[str] | str = (),
) -> Offer:
    """Record an offer received; refuses a missing name, a bad SIREN, a bad price or lot."""
    tender = get_tender(session=session, tender_id=tender_id)
    _require_manage(session, actor, tender)
    _require_open(session, tender.id)
    errors: dict[str, str] = {}
    supplier_name = (supplier_name or "").strip()
    siren = re.sub(r"\s", "", siren or "")
    lot = str(lot or "").strip()
    if not supplier_name:
        errors["supplier_name"] = "Nom du soumissionnaire obligatoire."
    if siren and not (SIREN_RE.match(siren) and _siren_ok(siren)):
        errors["siren"] = "SIREN invalide : 9 chiffres avec clé de contrôle (Luhn)."
    try:
        price_value = _parse_price(price)
        if price_value is not None and price_value < 0:
            errors["price"] = "Le prix ne peut pas être négatif."
    except (TypeError, ValueError):
        price_value, errors["price"] = None, "Montant en euros HT attendu (ex. 125000,50)."
    lots = [str(x.get("number")) for x in (tender.lots or []) if isinstance(x, dict)]
    if lots and lot not in lots:
        errors["lot"] = f"Lot inconnu : choisissez parmi {', '.join(lots)}."
    if isinstance(documents, str):
        documents = [d.strip() for d in documents.splitlines() if d.strip()]
    if errors:
        raise ValidationError(
            "L'offre n'a pas été enregistrée : corrigez les champs signalés.", fields=errors
        )
    offer = Offer(
        tender_id=tender.id,
        supplier_name=supplier_name,
        siren=siren,
        lot=lot,
        price=price_value,
        documents=list(documents),
        created_by=actor.user_id,
    )
    session.add(offer)
    session.flush()
    audit.record(
        session,
        actor,
        "evaluation.offer_add",
        record_type="offer",
        record_id=offer.id,
        details={
            "tender": tender.reference,
            "supplier": supplier_name,
            "siren": siren,
            "lot": lot,
            "price": price_value,
            "documents": list(documents),
        },
    )
    session.commit()
    return offer


def get_offer(*, session: Session, offer_id: int) -> Offer:
    offer = session.get(Offer, offer_id)
    if not offer:
        raise NotFound("Offre introuvable.")
    return offer


def _tender_offer(session: Session, tender: Tender, offer_id: int) -> Offer:
    """The offer, which must belong to `tender` (404 otherwise)."""
    offer = get_offer(session=session, offer_id=offer_id)
    if offer.tender_id != tender.id:
        raise NotFound("Offre introuvable pour ce marché.")
    return offer


def list_offers(*, session: Session, tender_id: int) -> list[Offer]:
    return list(
        session.exec(
            select(Offer).where(Offer.tender_id == tender_id).order_by(Offer.lot, Offer.id)
        ).all()
    )


def functional_unit(tender: Tender) -> tuple[int, int]:
    if not tender.requests_per_year or not tender.tokens_per_request:
        raise ValidationError(
            "Le marché ne fixe pas encore l'unité fonctionnelle (requêtes par an et jetons par requête) : "
            "renseignez-la dans le marché avant de calculer les empreintes.",
            fields={"requests_per_year": "À fixer dans le marché."},
        )
    return tender.requests_per_year, tender.tokens_per_request


def save_declaration(
    *, session: Session, actor: Actor, offer_id: int, data: dict, source: str = "form"
) -> Declaration:
    """Validate the declaration, compute its footprint for the tender's unit, save both."""
    offer = get_offer(session=session, offer_id=offer_id)
    tender = get_tender(session=session, tender_id=offer.tender_id)
    _require_manage(session, actor, tender)
    _require_open(session, tender.id)
    clean = fp.validate_declaration(data)
    requests, tokens = functional_unit(tender)
    result = fp.compute(clean, requests_per_year=requests, tokens_per_request=tokens)
    decl = session.exec(select(Declaration).where(Declaration.offer_id == offer.id)).first()
    before = dict(decl.data) if decl else None
    if decl is None:
        decl = Declaration(offer_id=offer.id)
    decl.data, decl.footprint, decl.source = clean, result, (source or "form")[:200]
    decl.method, decl.updated_by, decl.updated_at = result["method"][:100], actor.user_id, utcnow()
    session.add(decl)
    session.flush()
    audit.record(
        session,
        actor,
        "evaluation.declaration_save",
        record_type="offer",
        record_id=offer.id,
        details={
            "tender": tender.reference,
            "source": decl.source,
            "before": before,
            "after": clean,
            "defaults_applied": result["defaults_applied"],
            "kgco2e_per_year": result["kgco2e_per_year"],
            "method": result["method"],
        },
    )
    session.commit()
    return decl


def import_declaration(
    *, session: Session, actor: Actor, offer_id: int, text: str, filename: str
) -> Declaration:
    """Import a declaration from a JSON or CSV file's text."""
    data = fp.parse_declaration(text, filename)
    return save_declaration(
        session=session, actor=actor, offer_id=offer_id, data=data, source=filename
    )


def declaration_of(*, session: Session, offer_id: int) -> Declaration | None:
    return session.exec(select(Declaration).where(Declaration.offer_id == offer_id)).first()


def current_footprint(decl: Declaration | None, tender: Tender) -> dict | None:
    """The stored footprint, recomputed if the tender's functional unit changed since."""
    if decl is None:
        return None
    unit = decl.footprint.get("functional_unit", {})
    if (unit.get("requests_per_year"), unit.get("tokens_per_request")) == (
        tender.requests_per_year,
        tender.tokens_per_request,
    ):
        return decl.footprint
    if not tender.requests_per_year or not tender.tokens_per_request:
        return decl.footprint
    return fp.compute(
        decl.data,
        requests_per_year=tender.requests_per_year,
        tokens_per_request=tender.tokens_per_request,
    )


# --- evaluators ------------------------------------------------------------------------------


def assignments(*, session: Session, tender_id: int) -> list[EvaluatorAssignment]:
    return list(
        session.exec(
            select(EvaluatorAssignment)
            .where(EvaluatorAssignment.tender_id == tender_id)
            .order_by(EvaluatorAssignment.id)
        ).all()
    )


def assign_evaluators(
    *, session: Session, actor: Actor, tender_id: int, user_ids: list[int], lead_id: int | None
) -> list[EvaluatorAssignment]:
    """Set the tender's evaluators and lead; an evaluator who already scored cannot be removed."""
    tender = get_tender(session=session, tender_id=tender_id)
    _require_manage(session, actor, tender)
    _require_open(session, tender.id)
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
    current = {a.user_id: a for a in assignments(session=session, tender_id=tender.id)}
    for uid in set(current) - set(user_ids):
        scored = session.exec(
            select(EvaluatorScore).where(
                EvaluatorScore.tender_id == tender.id, EvaluatorScore.user_id == uid
            )
        ).first()
        if scored:
            errors["evaluators"] = (
                f"{session.get(User, uid).email} a déjà noté : il ne peut plus être retiré."
            )
    if errors:
        raise ValidationError("Les évaluateurs n'ont pas été modifiés.", fields=errors)
    for uid, a in current.items():
        if uid not in user_ids:
            session.delete(a)
    for uid in user_ids:
        a = current.get(uid) or EvaluatorAssignment(tender_id=tender.id, user_id=uid)
        a.lead = uid == int(lead_id)
        session.add(a)
    audit.record(
        session,
        actor,
        "evaluation.assign",
        record_type="tender",
        record_id=tender.id,
        details={
            "tender": tender.reference,
            "before": sorted(current),
            "evaluators": [users[u].email for u in user_ids],
            "lead": users[int(lead_id)].email,
        },
    )
    session.commit()
    return assignments(session=session, tender_id=tender.id)


# --- scores ----------------------------------------------------------------------------------


def _parse_score(value: Any, note_max: float) -> float:
    if isinstance(value, str):
        value = value.strip().replace(",", ".")
    score = float(value)
    if not 0 <= score <= note_max:
        raise ValueError
    return score


def _entries(
    tender: Tender, entries: dict[str, dict], note_key: str, text_key: str, text_label: str
) -> tuple[dict, dict]:
    """Validate {criterion: {score, comment}}; blank rows are skipped; returns (clean, errors)."""
    clean, errors = {}, {}
    for name, entry in entries.items():
        crit = _criterion(tender, name)
        raw_score, text = entry.get(note_key), (entry.get(text_key) or "").strip()
        if (raw_score is None or str(raw_score).strip() == "") and not text:
            continue
        note_max = scoring.max_score(crit)
        try:
            score = _parse_score(raw_score, note_max)
        except (TypeError, ValueError):
            errors[f"{name}"] = f"Note entre 0 et {note_max:g} attendue."
            continue
        if not text:
            errors[f"{name}"] = f"{text_label} obligatoire."
            continue
        clean[name] = (score, text)
    return clean, errors


def save_scores(
    *, session: Session, actor: Actor, tender_id: int, offer_id: int, entries: dict[str, dict]
) -> list[EvaluatorScore]:
    """An assigned evaluator's notes for one offer: {criterion: {"score", "comment"}}."""
    tender = get_tender(session=session, tender_id=tender_id)
    assignment = _assignment(session, tender.id, actor.user_id)
    if not assignment:
        raise Forbidden("Vous n'êtes pas évaluateur désigné pour ce marché.")
    _require_open(session, tender.id)
    if assignment.submitted_at:
        raise Conflict("Vos notes sont déjà soumises : elles ne peuvent plus être modifiées.")
    offer = _tender_offer(session, tender, offer_id)
    clean, errors = _entries(tender, entries, "score", "comment", "Commentaire")
    if errors:
        raise ValidationError(
            "Notes non enregistrées : corrigez les critères signalés.", fields=errors
        )
    if not clean:
        raise ValidationError("Aucune note saisie.")
    saved = []
    existing = {
        s.criterion: s
        for s in session.exec(
            select(EvaluatorScore).where(
                EvaluatorScore.offer_id == offer.id, EvaluatorScore.user_id == actor.user_id
            )
        ).all()
    }
    for name, (score, comment) in clean.items():
        row = existing.get(name) or EvaluatorScore(
            tender_id=tender.id,
            offer_id=offer.id,
            user_id=actor.user_id,
            criterion=name,
            score=score,
            comment=comment,
        )
        row.score, row.comment, row.updated_at = score, comment, utcnow()
        session.add(row)
        saved.append(row)
    audit.record(
        session,
        actor,
        "evaluation.score",
        record_type="offer",
        record_id=offer.id,
        details={
            "tender": tender.reference,
            "scores": {k: {"score": v[0], "comment": v[1]} for k, v in clean.items()},
        },
    )
    session.commit()
    return saved


def submit_scores(*, session: Session, actor: Actor, tender_id: int) -> EvaluatorAssignment:
    """Submit one's notes: every offer must be scored on every criterion."""
    tender = get_tender(session=session, tender_id=tender_id)
    assignment = _assignment(session, tender.id, actor.user_id)
    if not assignment:
        raise Forbidden("Vous n'êtes pas évaluateur désigné pour ce marché.")
    _require_open(session, tender.id)
    if assignment.submitted_at:
        raise Conflict("Vos notes sont déjà soumises.")
    offers = list_offers(session=session, tender_id=tender.id)
    if not offers:
        raise ValidationError("Aucune offre à noter.")
    mine = {
        (s.offer_id, s.criterion)
        for s in session.exec(
            select(EvaluatorScore).where(
                EvaluatorScore.tender_id == tender.id, EvaluatorScore.user_id == actor.user_id
            )
        ).all()
    }
    missing = [
        f"{o.supplier_name} / {c['name']}"
        for o in offers
        for c in criteria(tender)
        if (o.id, c["name"]) not in mine
    ]
    if missing:
        raise ValidationError(
            "Notes incomplètes : "
            + " ; ".join(missing[:10])
            + ("…" if len(missing) > 10 else "")
            + ".",
            fields={"scores": f"{len(missing)} note(s) manquante(s)."},
        )
    assignment.submitted_at = utcnow()
    session.add(assignment)
    audit.record(
        session,
        actor,
        "evaluation.submit",
        record_type="tender",
        record_id=tender.id,
        details={"tender": tender.reference, "scores": len(mine)},
    )
    session.commit()
    return assignment


def visible_scores(*, session: Session, actor: Actor, tender: Tender) -> list[EvaluatorScore]:
    """Own notes always; others' once one has submitted, or for buyers once locked."""
    rights = access(session=session, actor=actor, tender=tender)
    rows = session.exec(
        select(EvaluatorScore)
        .where(EvaluatorScore.tender_id == tender.id)
        .order_by(EvaluatorScore.offer_id, EvaluatorScore.criterion, EvaluatorScore.user_id)
    ).all()
    locked = lock_state(session=session, tender_id=tender.id).status == "locked"
    if rights["submitted"] or (rights["manage"] and locked):
        return list(rows)
    return [r for r in rows if r.user_id == actor.user_id]


def final_scores(*, session: Session, tender_id: int) -> list[FinalScore]:
    return list(session.exec(select(FinalScore).where(FinalScore.tender_id == tender_id)).all())


def _require_lead(session: Session, actor: Actor, tender: Tender) -> EvaluatorAssignment:
    a = _assignment(session, tender.id, actor.user_id)
    if not a or not a.lead:
        raise Forbidden(
            "Seul l'évaluateur principal peut arrêter les notes finales et verrouiller."
        )
    return a


def save_final_scores(
    *, session: Session, actor: Actor, tender_id: int, offer_id: int, entries: dict[str, dict]
) -> list[FinalScore]:
    """The lead's reconciled notes for one offer: {criterion: {"score", "justification"}}."""
    tender = get_tender(session=session, tender_id=tender_id)
    _require_lead(session, actor, tender)
    _require_open(session, tender.id)
    pending = [a for a in assignments(session=session, tender_id=tender.id) if not a.submitted_at]
    if pending:
        names = ", ".join(session.get(User, a.user_id).email for a in pending)
        raise Conflict(
            f"Tous les évaluateurs doivent avoir soumis leurs notes (en attente : {names})."
        )
    offer = _tender_offer(session, tender, offer_id)
    clean, errors = _entries(tender, entries, "score", "justification", "Justification")
    if errors:
        raise ValidationError(
            "Notes finales non enregistrées : corrigez les critères signalés.", fields=errors
        )
    if not clean:
        raise ValidationError("Aucune note finale saisie.")
    existing = {
        f.criterion: f
        for f in session.exec(select(FinalScore).where(FinalScore.offer_id == offer.id)).all()
    }
    saved = []
    for name, (score, text) in clean.items():
        row = existing.get(name) or FinalScore(
            tender_id=tender.id, offer_id=offer.id, criterion=name, score=score, justification=text
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
        record_id=offer.id,
        details={
            "tender": tender.reference,
            "scores": {k: {"score": v[0], "justification": v[1]} for k, v in clean.items()},
        },
    )
    session.commit()
    return saved


def lock(*, session: Session, actor: Actor, tender_id: int) -> EvaluationLock:
    """Lock the evaluation: every offer has a final note on every criterion."""
    tender = get_tender(session=session, tender_id=tender_id)
    _require_lead(session, actor, tender)
    _require_open(session, tender.id)
    finals = {(f.offer_id, f.criterion) for f in final_scores(session=session, tender_id=tender.id)}
    offers = list_offers(session=session, tender_id=tender.id)
    missing = [
        f"{o.supplier_name} / {c['name']}"
        for o in offers
        for c in criteria(tender)
        if (o.id, c["name"]) not in finals
    ]
    if not offers or missing:
        raise ValidationError(
            "Verrouillage impossible : notes finales manquantes ("
            + " ; ".join(missing[:10] or ["aucune offre"])
            + ")."
        )
    state = lock_state(session=session, tender_id=tender.id)
    state.status, state.locked_by, state.locked_at = "locked", actor.user_id, utcnow()
    session.add(state)
    totals = {
        str(k): v
        for k, v in _totals(
            tender, offers, final_scores(session=session, tender_id=tender.id)
        ).items()
    }
    audit.record(
        session,
        actor,
        "evaluation.lock",
        record_type="tender",
        record_id=tender.id,
        details={"tender": tender.reference, "totals": totals},
    )
    session.commit()
    return state


def unlock(*, session: Session, actor: Actor, tender_id: int, reason: str) -> EvaluationLock:
    """Reopen a locked evaluation (lead evaluator or the tender's buyers) with a written reason."""
    tender = get_tender(session=session, tender_id=tender_id)
    a = _assignment(session, tender.id, actor.user_id)
    if not (a and a.lead) and not can_manage(session, actor, tender):
        raise Forbidden(
            "Seuls l'évaluateur principal et les acheteurs du marché peuvent déverrouiller."
        )
    state = lock_state(session=session, tender_id=tender.id)
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
    session.add(EvaluationUnlock(tender_id=tender.id, user_id=actor.user_id, reason=reason))
    audit.record(
        session,
        actor,
        "evaluation.unlock",
        record_type="tender",
        record_id=tender.id,
        details={"tender": tender.reference, "reason": reason},
    )
    session.commit()
    return state


def unlocks(*, session: Session, tender_id: int) -> list[EvaluationUnlock]:
    return list(
        session.exec(
            select(EvaluationUnlock)
            .where(EvaluationUnlock.tender_id == tender_id)
            .order_by(EvaluationUnlock.id)
        ).all()
    )


# --- proposals, totals, ranking ----------------------------------------------------------------


def proposals(*, session: Session, tender: Tender) -> dict[int, dict[str, dict]]:
    """Notes proposed by formula, per offer and criterion (compared within each lot)."""
    offers = list_offers(session=session, tender_id=tender.id)
    result: dict[int, dict[str, dict]] = {o.id: {} for o in offers}
    by_lot: dict[str, list[Offer]] = {}
    for o in offers:
        by_lot.setdefault(o.lot, []).append(o)
    for lot_offers in by_lot.values():
        data = {
            o.id: {
                "price": o.price,
                "footprint": current_footprint(
                    declaration_of(session=session, offer_id=o.id), tender
                ),
            }
            for o in lot_offers
        }
        for crit in criteria(tender):
            for offer_id, proposal in scoring.propose(crit, data).items():
                result[offer_id][crit["name"]] = proposal
    return result


def _totals(tender: Tender, offers: list[Offer], finals: list[FinalScore]) -> dict[int, float]:
    notes: dict[int, dict[str, float]] = {o.id: {} for o in offers}
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
    offers = list_offers(session=session, tender_id=tender.id)
    totals = _totals(tender, offers, final_scores(session=session, tender_id=tender.id))
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


def overview(*, session: Session, actor: Actor, tender_id: int) -> dict[str, Any]:
    """Everything the evaluation page shows, filtered by what the actor may see."""
    tender = get_tender(session=session, tender_id=tender_id)
    rights = access(session=session, actor=actor, tender=tender)
    offers = list_offers(session=session, tender_id=tender.id)
    decls = {o.id: declaration_of(session=session, offer_id=o.id) for o in offers}
    footprints = {oid: current_footprint(d, tender) for oid, d in decls.items()}
    team = assignments(session=session, tender_id=tender.id)
    people = {a.user_id: session.get(User, a.user_id) for a in team}
    scores = visible_scores(session=session, actor=actor, tender=tender)
    for s in scores:
        people.setdefault(s.user_id, session.get(User, s.user_id))
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
        "finals": {
            (f.offer_id, f.criterion): f for f in final_scores(session=session, tender_id=tender.id)
        },
        "proposals": proposals(session=session, tender=tender),
        "lock": lock_state(session=session, tender_id=tender.id),
        "unlocks": unlocks(session=session, tender_id=tender.id),
        "ranking": ranking(session=session, tender=tender),
        "all_submitted": bool(team) and all(a.submitted_at for a in team),
        "reports": report_documents(session=session, tender_id=tender.id),
    }


# --- charts ---------------------------------------------------------------------------------


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    return plt


def footprint_chart(rows: list[tuple[str, float, float]]) -> bytes:
    """Stacked bars of kgCO2e per year (use, embodied) per offer: rows (label, use, embodied)."""
    plt = _figure()
    fig, ax = plt.subplots(figsize=(7, 0.6 * max(len(rows), 2) + 1.2), dpi=110)
    labels = [r[0] for r in rows]
    ax.barh(labels, [r[1] for r in rows], color="#1f4fa3", label="usage")
    ax.barh(
        labels,
        [r[2] for r in rows],
        left=[r[1] for r in rows],
        color="#8fa8d6",
        label="fabrication",
    )
    ax.set_xlabel("kgCO2e par an (unité fonctionnelle du marché)")
    ax.invert_yaxis()
    ax.legend(loc="lower right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def scores_chart(rows: list[tuple[str, float]]) -> bytes:
    """Bars of weighted totals per offer: rows (label, total)."""
    plt = _figure()
    fig, ax = plt.subplots(figsize=(7, 0.6 * max(len(rows), 2) + 1.2), dpi=110)
    ax.barh([r[0] for r in rows], [r[1] for r in rows], color="#1f4fa3")
    for i, r in enumerate(rows):
        ax.text(r[1], i, f" {r[1]:.2f}", va="center")
    ax.set_xlabel("Note pondérée (sur 100 si les pondérations totalisent 100)")
    ax.invert_yaxis()
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def _label(o: Offer) -> str:
    return f"{o.supplier_name}" + (f" (lot {o.lot})" if o.lot else "")


def chart_png(*, session: Session, actor: Actor, tender_id: int, kind: str) -> bytes:
    tender = get_tender(session=session, tender_id=tender_id)
    access(session=session, actor=actor, tender=tender)
    if kind == "footprint":
        rows = []
        for o in list_offers(session=session, tender_id=tender.id):
            f = current_footprint(declaration_of(session=session, offer_id=o.id), tender)
            if f:
                rows.append((_label(o), f["kgco2e_per_year_use"], f["kgco2e_per_year_embodied"]))
        return footprint_chart(rows)
    if kind == "scores":
        rows = [
            (_label(r["offer"]), r["total"])
            for lot in ranking(session=session, tender=tender)
            for r in lot["rows"]
        ]
        return scores_chart(rows)
    raise NotFound("Graphique inconnu.")


# --- report -------------------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    if value != 0 and abs(value) < 10**-digits:
        return f"{value:.2e}".replace(".", ",")
    return f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")


def report_spec(*, session: Session, actor: Actor, tender_id: int):
    """The RAO as a documents.DocumentSpec: criteria, offers, footprints, charts, ranking, justifications."""
    import procure.documents as d

    view = overview(session=session, actor=actor, tender_id=tender_id)
    tender: Tender = view["tender"]
    if view["lock"].status != "locked":
        raise Conflict("Le rapport d'analyse s'exporte une fois l'évaluation verrouillée.")
    blocks: list = [d.Toc(), d.Heading("Objet et méthode")]
    requests, tokens = tender.requests_per_year, tender.tokens_per_request
    blocks.append(
        d.Paragraph(
            f"Le présent rapport analyse les {len(view['offers'])} offres reçues pour le marché {tender.reference} "
            f"« {tender.title} ». L'unité fonctionnelle fixée par le règlement de la consultation est de "
            f"{requests or '—'} requêtes par an de {tokens or '—'} jetons produits chacune."
        )
    )
    blocks.append(d.Heading("Critères et méthodes de notation", 2))
    blocks.append(
        d.Table(
            ["Critère", "Nature", "Pondération (%)", "Note maximale", "Méthode"],
            [
                [
                    c["name"],
                    c.get("kind", ""),
                    _fmt(float(c.get("weight") or 0), 0),
                    _fmt(scoring.max_score(c), 0),
                    {
                        "hyperbolic": "meilleure offre / offre × note maximale",
                        "log": "échelle logarithmique écrêtée",
                        "thresholds": "seuils",
                        "manual": "appréciation",
                    }[scoring.method_of(c)],
                ]
                for c in view["criteria"]
            ],
            caption="Critères du règlement de la consultation",
        )
    )
    blocks.append(d.Heading("Offres reçues"))
    blocks.append(
        d.Table(
            ["Soumissionnaire", "SIREN", "Lot", "Prix (€ HT)", "Pièces"],
            [
                [
                    o.supplier_name,
                    o.siren or "—",
                    o.lot or "—",
                    _fmt(o.price),
                    ", ".join(o.documents) or "—",
                ]
                for o in view["offers"]
            ],
            caption="Offres",
        )
    )
    blocks.append(d.Heading("Empreinte environnementale"))
    blocks.append(d.Paragraph("Méthode : " + fp.FORMULA))
    rows, chart_rows = [], []
    for o in view["offers"]:
        f = view["footprints"].get(o.id)
        if not f:
            rows.append([o.supplier_name, "—", "—", "—", "—", "—", "aucune déclaration"])
            continue
        chart_rows.append((_label(o), f["kgco2e_per_year_use"], f["kgco2e_per_year_embodied"]))
        rows.append(
            [
                o.supplier_name,
                _fmt(f["wh_per_request"], 3),
                _fmt(f["kgco2e_per_1000_requests"], 3),
                _fmt(f["kgco2e_per_year_use"]),
                _fmt(f["kgco2e_per_year_embodied"]),
                _fmt(f["water_l_per_year"], 0),
                f"énergie {f['energy_source']} ; mix {f['electricity_mix']['zone']}",
            ]
        )
    blocks.append(
        d.Table(
            [
                "Offre",
                "Wh/requête",
                "kgCO2e/1000 req.",
                "kgCO2e/an usage",
                "kgCO2e/an fabrication",
                "Eau L/an",
                "Remarques",
            ],
            rows,
            caption="Empreinte par offre pour l'unité fonctionnelle",
        )
    )
    decl_rows = []
    for o in view["offers"]:
        f = view["footprints"].get(o.id)
        if f:
            decl_rows.append(
                [
                    o.supplier_name,
                    ", ".join(f["declared"]) or "—",
                    ", ".join(
                        f"{k} = {f['values_used'].get(k, '—')}" for k in f["defaults_applied"]
                    )
                    or "—",
                ]
            )
    blocks.append(
        d.Table(
            ["Offre", "Valeurs déclarées", "Valeurs par défaut appliquées"],
            decl_rows,
            caption="Valeurs déclarées et valeurs par défaut (prudentes)",
        )
    )
    if chart_rows:
        blocks.append(
            d.Image(
                footprint_chart(chart_rows),
                15,
                "Émissions annuelles par offre (usage et fabrication)",
            )
        )
    blocks.append(d.Heading("Notes"))
    for o in view["offers"]:
        blocks.append(d.Heading(_label(o), 2))
        blocks.append(
            d.Table(
                ["Critère", "Note finale", "Justification"],
                [
                    [
                        c["name"],
                        _fmt(view["finals"][(o.id, c["name"])].score)
                        + f" / {_fmt(scoring.max_score(c), 0)}",
                        view["finals"][(o.id, c["name"])].justification,
                    ]
                    for c in view["criteria"]
                ],
                caption=f"Notes finales : {o.supplier_name}",
            )
        )
        indiv = [
            [view["people"][s.user_id].display_name, s.criterion, _fmt(s.score), s.comment]
            for s in view["scores"]
            if s.offer_id == o.id
        ]
        if indiv:
            blocks.append(
                d.Table(
                    ["Évaluateur", "Critère", "Note", "Commentaire"],
                    indiv,
                    caption="Notes des évaluateurs",
                )
            )
    blocks.append(d.Heading("Classement"))
    score_rows = []
    for lot in view["ranking"]:
        blocks.append(
            d.Table(
                ["Rang", "Soumissionnaire", "Note pondérée"],
                [
                    [
                        f"{r['rank']}" + (" (ex æquo)" if r["tied"] else ""),
                        r["offer"].supplier_name,
                        _fmt(r["total"]),
                    ]
                    for r in lot["rows"]
                ],
                caption=f"Classement{' du lot ' + lot['lot'] if lot['lot'] else ''}",
            )
        )
        score_rows += [(_label(r["offer"]), r["total"]) for r in lot["rows"]]
    if score_rows:
        blocks.append(d.Image(scores_chart(score_rows), 15, "Notes pondérées finales"))
    lock = view["lock"]
    lead = session.get(User, lock.locked_by) if lock.locked_by else None
    blocks.append(
        d.Paragraph(
            f"Évaluation verrouillée le {lock.locked_at:%d/%m/%Y} par {lead.display_name if lead else '—'}."
        )
    )
    for u in view["unlocks"]:
        blocks.append(d.Bullet(f"Déverrouillage du {u.at:%d/%m/%Y} : {u.reason}"))
    return d.DocumentSpec(
        title="Rapport d'analyse des offres",
        subtitle=tender.title,
        buyer=tender.buyer,
        reference=tender.reference,
        piece="Rapport d'analyse des offres (RAO)",
        date=date.today().strftime("%d/%m/%Y"),
        blocks=blocks,
    )


def export_report(
    *, session: Session, actor: Actor, tender_id: int, fmt: str, out_dir: str | Path
) -> tuple[TenderDocument, Path]:
    """Write the RAO (docx or odt) into out_dir, record it as a tender document, audited."""
    import procure.documents as d

    if fmt not in ("docx", "odt"):
        raise ValidationError("Format inconnu : docx ou odt.", fields={"format": "docx ou odt"})
    spec = report_spec(session=session, actor=actor, tender_id=tender_id)
    tender = get_tender(session=session, tender_id=tender_id)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%d-%H%M%S")
    path = out_dir / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', tender.reference)}-RAO-{stamp}.{fmt}"
    sha = (d.write_docx if fmt == "docx" else d.write_odt)(spec, path)
    doc = TenderDocument(
        tender_id=tender.id,
        piece="RAO",
        format=fmt,
        filename=path.name,
        sha256=sha,
        manifest=[],
        created_by=actor.user_id,
        body_text=d.read_text(path)[:100_000],
    )
    session.add(doc)
    session.flush()
    audit.record(
        session,
        actor,
        "evaluation.report_export",
        record_type="tender_document",
        record_id=doc.id,
        details={"tender": tender.reference, "format": fmt, "sha256": sha, "filename": path.name},
    )
    session.commit()
    return doc, path


def report_documents(*, session: Session, tender_id: int) -> list[TenderDocument]:
    return list(
        session.exec(
            select(TenderDocument)
            .where(TenderDocument.tender_id == tender_id, TenderDocument.piece == "RAO")
            .order_by(TenderDocument.id.desc())
        ).all()
    )


# --- landing page and demo ------------------------------------------------------------------------


def pending_work(*, session: Session, user: User) -> list[dict]:
    if not user.has_role("evaluator", "buyer", "admin"):
        return []
    actor = Actor.of(user)
    items = []
    for a in session.exec(
        select(EvaluatorAssignment).where(EvaluatorAssignment.user_id == user.id)
    ).all():
        tender = session.get(Tender, a.tender_id)
        state = lock_state(session=session, tender_id=a.tender_id).status
        if state == "locked":
            continue
        if not a.submitted_at:
            items.append(
                {
                    "label": f"{tender.reference} : noter les offres",
                    "endpoint": "evaluation.tender",
                    "params": {"tender_id": tender.id},
                    "badge": "open",
                }
            )
        elif a.lead:
            items.append(
                {
                    "label": f"{tender.reference} : arrêter les notes finales",
                    "endpoint": "evaluation.tender",
                    "params": {"tender_id": tender.id},
                    "badge": "submitted",
                }
            )
    if user.has_role("buyer", "admin"):
        for t in visible_tenders(session=session, actor=actor):
            if not assignments(session=session, tender_id=t.id) and list_offers(
                session=session, tender_id=t.id
            ):
                items.append(
                    {
                        "label": f"{t.reference} : désigner les évaluateurs",
                        "endpoint": "evaluation.tender",
                        "params": {"tender_id": t.id},
                        "badge": "draft",
                    }
                )
    return [{"title": "Évaluations", "items": items, "empty": "Aucune évaluation en attente."}]
