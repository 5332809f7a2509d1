"""The evaluators' own notes: entry, submission, and who sees whose notes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from procure.core import audit
from procure.core.audit import Actor
from procure.core.errors import Conflict, ValidationError
from procure.core.formatting import NumberError, parse_number
from procure.core.models import utcnow
from procure.evaluation import scoring
from procure.evaluation.models import EvaluatorAssignment, EvaluatorScore, Offer
from procure.evaluation.services.access import (
    access,
    criteria,
    criterion,
    get_tender,
    lock_state,
    require_evaluator,
    require_open,
    sees_results,
    tender_id_of,
)
from procure.evaluation.services.offers import list_offers, tender_offer
from procure.tenders.models import Tender

MAX_TEXT = 4000  # characters of a comment or a justification


def _parse_score(value: Any, note_max: float) -> float:
    """A note typed in French, between 0 and `note_max`; NumberError otherwise."""
    score = float(parse_number(value))
    if not 0 <= score <= note_max:
        raise NumberError(f"Note entre 0 et {note_max:g} attendue.")
    return score


def form_entries(tender: Tender, form: Mapping[str, str], text_key: str) -> dict[str, dict]:
    """{criterion: {"score", text_key}} from a form's `score-<i>` and `<text_key>-<i>` fields."""
    return {
        c["name"]: {
            "score": form.get(f"score-{i}", ""),
            text_key: form.get(f"{text_key}-{i}", ""),
        }
        for i, c in enumerate(criteria(tender))
    }


def missing_notes(tender: Tender, offers: list[Offer], given: set[tuple[int, str]]) -> list[str]:
    """ "Supplier / criterion" for each (offer, criterion) pair not in `given`."""
    return [
        f"{o.supplier_name} / {c['name']}"
        for o in offers
        for c in criteria(tender)
        if (o.id, c["name"]) not in given
    ]


def parse_entries(
    tender: Tender, entries: dict[str, dict], text_key: str, text_label: str
) -> tuple[dict[str, tuple[float, str]], dict[str, str]]:
    """Validate {criterion: {"score", text_key}}; blank rows are skipped; (clean, errors)."""
    clean: dict[str, tuple[float, str]] = {}
    errors: dict[str, str] = {}
    for name, entry in entries.items():
        crit = criterion(tender, name)
        raw_score, text = entry.get("score"), (entry.get(text_key) or "").strip()
        if (raw_score is None or str(raw_score).strip() == "") and not text:
            continue
        note_max = scoring.max_score(crit)
        try:
            score = _parse_score(raw_score, note_max)
        except NumberError:
            errors[name] = f"Note entre 0 et {note_max:g} attendue."
            continue
        if not text:
            errors[name] = f"{text_label} obligatoire."
            continue
        if len(text) > MAX_TEXT:
            errors[name] = f"{text_label} trop longue ({len(text)} caractères, {MAX_TEXT} au plus)."
            continue
        clean[name] = (score, text)
    return clean, errors


def note_key(offer_id: int | None, name: str) -> str:
    """The key of one (offer, criterion) note in the errors of the page's one form."""
    return f"{offer_id}/{name}"


def offers_form_entries(
    tender: Tender, offers: list[Offer], form: Mapping[str, str], text_key: str
) -> dict[int, dict[str, dict]]:
    """{offer_id: {criterion: {"score", text_key}}} from the page's one form for every offer
    (fields `score-<offer id>-<i>` and `<text_key>-<offer id>-<i>`)."""
    return {
        o.id: {
            c["name"]: {
                "score": form.get(f"score-{o.id}-{i}", ""),
                text_key: form.get(f"{text_key}-{o.id}-{i}", ""),
            }
            for i, c in enumerate(criteria(tender))
        }
        for o in offers
        if o.id is not None
    }


def parse_offers_entries(
    tender: Tender, per_offer: dict[int, dict[str, dict]], text_key: str, text_label: str
) -> tuple[dict[int, dict[str, tuple[float, str]]], dict[str, str]]:
    """Validate every offer's entries; (clean notes by offer, errors by `note_key`)."""
    clean: dict[int, dict[str, tuple[float, str]]] = {}
    errors: dict[str, str] = {}
    for offer_id, entries in per_offer.items():
        notes, errs = parse_entries(tender, entries, text_key, text_label)
        if notes:
            clean[offer_id] = notes
        errors.update({note_key(offer_id, name): msg for name, msg in errs.items()})
    return clean, errors


def _scoring_assignment(session: Session, actor: Actor, tender: Tender) -> EvaluatorAssignment:
    """The actor's assignment, if they may still change their notes (open, not submitted)."""
    assignment = require_evaluator(session, actor, tender)
    require_open(session, tender_id_of(tender))
    if assignment.submitted_at:
        raise Conflict("Vos notes sont déjà soumises : elles ne peuvent plus être modifiées.")
    return assignment


def _store_scores(
    session: Session,
    actor: Actor,
    tender: Tender,
    assignment: EvaluatorAssignment,
    notes: dict[int, dict[str, tuple[float, str]]],
) -> list[EvaluatorScore]:
    """Write the evaluator's notes by offer and one audit event per offer; the caller commits."""
    saved = []
    existing = {
        (s.offer_id, s.criterion): s
        for s in session.exec(
            select(EvaluatorScore).where(
                EvaluatorScore.tender_id == tender.id,
                EvaluatorScore.user_id == assignment.user_id,
            )
        ).all()
    }
    for offer_id, clean in notes.items():
        for name, (score, comment) in clean.items():
            row = existing.get((offer_id, name)) or EvaluatorScore(
                tender_id=tender_id_of(tender),
                offer_id=offer_id,
                user_id=assignment.user_id,
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
            record_id=offer_id,
            details={
                "tender": tender.reference,
                "scores": {k: {"score": v[0], "comment": v[1]} for k, v in clean.items()},
            },
        )
    return saved


def save_scores(
    *,
    session: Session,
    actor: Actor,
    tender_id: int,
    offer_id: int,
    entries: dict[str, dict] | None = None,
    form: Mapping[str, str] | None = None,
) -> list[EvaluatorScore]:
    """An assigned evaluator's notes for one offer: `entries` {criterion: {"score", "comment"}},
    or a one-offer `form` (fields `score-<i>`, `comment-<i>` in the criteria's order)."""
    tender = get_tender(session=session, tender_id=tender_id)
    if entries is None:
        entries = form_entries(tender, form or {}, "comment")
    assignment = _scoring_assignment(session, actor, tender)
    tender_offer(session, tender, offer_id)  # 404 unless the offer is this tender's
    clean, errors = parse_entries(tender, entries, "comment", "Commentaire")
    if errors:
        raise ValidationError(
            "Notes non enregistrées : corrigez les critères signalés.", fields=errors
        )
    if not clean:
        raise ValidationError("Aucune note saisie.")
    saved = _store_scores(session, actor, tender, assignment, {offer_id: clean})
    session.commit()
    return saved


def save_all_scores(
    *, session: Session, actor: Actor, tender_id: int, form: Mapping[str, str]
) -> list[EvaluatorScore]:
    """The evaluator's notes for every offer from the page's one form, all or nothing: an error
    on one offer saves none (the page shows everything typed again, with each error)."""
    tender = get_tender(session=session, tender_id=tender_id)
    assignment = _scoring_assignment(session, actor, tender)
    offers = list_offers(session=session, tender_id=tender_id)
    clean, errors = parse_offers_entries(
        tender, offers_form_entries(tender, offers, form, "comment"), "comment", "Commentaire"
    )
    if errors:
        raise ValidationError(
            f"Notes non enregistrées : {len(errors)} note(s) à corriger (signalées ci-dessous). "
            "Rien n'est perdu : vos saisies sont conservées.",
            fields=errors,
        )
    if not clean:
        raise ValidationError("Aucune note saisie.")
    saved = _store_scores(session, actor, tender, assignment, clean)
    session.commit()
    return saved


def submit_scores(*, session: Session, actor: Actor, tender_id: int) -> EvaluatorAssignment:
    """Submit one's notes: every offer must be scored on every criterion."""
    tender = get_tender(session=session, tender_id=tender_id)
    assignment = require_evaluator(session, actor, tender)
    require_open(session, tender_id)
    if assignment.submitted_at:
        raise Conflict("Vos notes sont déjà soumises.")
    offers = list_offers(session=session, tender_id=tender_id)
    if not offers:
        raise ValidationError("Aucune offre à noter.")
    mine = {
        (s.offer_id, s.criterion)
        for s in session.exec(
            select(EvaluatorScore).where(
                EvaluatorScore.tender_id == tender_id, EvaluatorScore.user_id == actor.user_id
            )
        ).all()
    }
    missing = missing_notes(tender, offers, mine)
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
        record_id=tender_id,
        details={"tender": tender.reference, "scores": len(mine)},
    )
    session.commit()
    return assignment


def visible_scores(*, session: Session, actor: Actor, tender: Tender) -> list[EvaluatorScore]:
    """Own notes always; the submitted notes of the others once `sees_results` allows it.

    A draft (notes of an evaluator who has not submitted) is never shown to anyone but its author.
    """
    rights = access(session=session, actor=actor, tender=tender)
    rows = session.exec(
        select(EvaluatorScore)
        .where(EvaluatorScore.tender_id == tender.id)
        .order_by(
            col(EvaluatorScore.offer_id),
            col(EvaluatorScore.criterion),
            col(EvaluatorScore.user_id),
        )
    ).all()
    locked = lock_state(session=session, tender_id=tender_id_of(tender)).status == "locked"
    if not sees_results(rights, locked):
        return [r for r in rows if r.user_id == actor.user_id]
    submitted = set(
        session.exec(
            select(EvaluatorAssignment.user_id).where(
                EvaluatorAssignment.tender_id == tender.id,
                col(EvaluatorAssignment.submitted_at).is_not(None),
            )
        ).all()
    )
    return [r for r in rows if r.user_id == actor.user_id or r.user_id in submitted]
