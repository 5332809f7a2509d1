"""Creating a tender (with its proposed clauses) and updating its fields."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from procure.core import audit
from procure.core.audit import Actor
from procure.core.errors import Conflict, ValidationError
from procure.tenders import rules
from procure.tenders.models import Tender, TenderClause
from procure.tenders.services.access import find_by_reference, get_tender, organisation_of
from procure.tenders.services.clauses import pin_clause
from procure.tenders.services.forms import parse_tender_data
from procure.tenders.services.library import (
    approved_versions,
    profile_of,
    proposals,
)
from procure.tenders.services.locking import check_lock, touch


def _next_reference(session: Session) -> str:
    year = datetime.now(UTC).year
    prefix = f"PRC-{year}-"
    existing = session.exec(
        select(Tender.reference).where(Tender.reference.startswith(prefix))
    ).all()
    numbers = [int(r[len(prefix) :]) for r in existing if r[len(prefix) :].isdigit()]
    return f"{prefix}{(max(numbers) + 1 if numbers else 1):04d}"


def _create(session: Session, actor: Actor, clean: dict, clauses: list[dict] | None) -> Tender:
    org = organisation_of(session, actor)
    reference = clean.pop("reference") or _next_reference(session)
    if find_by_reference(session=session, reference=reference):
        raise Conflict(
            f"La référence {reference} est déjà utilisée.",
            fields={"reference": "Référence déjà utilisée."},
        )
    tender = Tender(
        reference=reference,
        owner_id=actor.user_id,
        organisation=org or "",
        profile_confirmed=True,
        **clean,
    )
    session.add(tender)
    session.flush()
    profile = profile_of(tender)
    if clauses is None:
        for position, (clause, version, rule) in enumerate(
            proposals(session=session, profile=profile), start=1
        ):
            pin_clause(session, tender, clause, version, position=position, proposed_by=rule.id)
    else:
        library = {c.key: (c, v) for c, v in approved_versions(session)}
        errors = {}
        for position, item in enumerate(clauses, start=1):
            key = str((item or {}).get("key") or "")
            if key not in library:
                errors[f"clauses[{position}].key"] = (
                    f"Clause « {key} » inconnue ou sans version approuvée."
                )
                continue
            clause, version = library[key]
            proposer = rules.proposing_rule(
                covers=version.covers, conditions=version.conditions, profile=profile
            )
            try:
                pin_clause(
                    session,
                    tender,
                    clause,
                    version,
                    position=position,
                    variant=item.get("variant") or None,
                    values=item.get("values") or None,
                    proposed_by=proposer.id if proposer else rules.MANUAL,
                )
            except ValidationError as exc:
                errors.update(
                    {
                        f"clauses[{position}].{k}": v
                        for k, v in (exc.fields or {"variant": exc.message}).items()
                    }
                )
        if errors:
            session.rollback()
            raise ValidationError("Le marché n'a pas été créé : clauses invalides.", fields=errors)
    session.flush()
    count = len(
        session.exec(select(TenderClause.id).where(TenderClause.tender_id == tender.id)).all()
    )
    audit.record(
        session,
        actor,
        "tender.create",
        record_type="tender",
        record_id=tender.id,
        details={
            "reference": tender.reference,
            "title": tender.title,
            "clauses": count,
            "profile": profile,
            "lock_version": tender.lock_version,
        },
    )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            f"La référence {reference} vient d'être prise : réessayez.",
            fields={"reference": "Référence déjà utilisée."},
        ) from None
    return tender


def create_tender(
    *, session: Session, actor: Actor, data: dict, clauses: list[dict] | None = None
) -> Tender:
    """Create a tender from its fields; pin the proposed clauses (or `clauses`: [{key, variant, values}])."""
    clean, errors = parse_tender_data(data)
    if errors:
        raise ValidationError(
            "Le marché n'a pas été créé : corrigez les champs signalés.", fields=errors
        )
    return _create(session, actor, clean, clauses)


SPEC_KEYS = {
    "title",
    "buyer",
    "procedure",
    "cpv",
    "amount",
    "ai_high_risk",
    "personal_data",
    "sensitive_data",
    "award_criteria",
    "clauses",
    "reference",
    "lots",
    "hosting",
    "requests_per_year",
    "tokens_per_request",
    "buyer_kind",
    "interacts_with_people",
    "health_data",
    "particularly_sensitive_data",
    "launch_date",
    "defence_or_security",
    "lots_reason",
    "hosting_security_reason",
}


def create_from_spec(*, session: Session, actor: Actor, spec: Any) -> Tender:
    """Create a tender from a JSON object (`procure tenders create --from SPEC.json`)."""
    if not isinstance(spec, dict):
        raise ValidationError("Le fichier doit contenir un objet JSON.")
    unknown = sorted(set(spec) - SPEC_KEYS)
    if unknown:
        raise ValidationError(
            f"Clés inconnues : {', '.join(unknown)} (clés permises : {', '.join(sorted(SPEC_KEYS))})."
        )
    clauses = spec.get("clauses")
    if clauses is not None and not isinstance(clauses, list):
        raise ValidationError(
            "`clauses` doit être une liste d'objets {key, variant, values}.",
            fields={"clauses": "Liste attendue."},
        )
    if not isinstance(spec.get("award_criteria", []), list):
        raise ValidationError(
            "`award_criteria` doit être une liste.", fields={"award_criteria": "Liste attendue."}
        )
    return create_tender(session=session, actor=actor, data=spec, clauses=clauses)


def update_tender(
    *, session: Session, actor: Actor, tender_id: int, data: dict, lock_version: Any
) -> Tender:
    tender = get_tender(session=session, actor=actor, tender_id=tender_id)
    check_lock(session, tender, lock_version)
    clean, errors = parse_tender_data(data)
    reference = clean.pop("reference")
    if reference and reference != tender.reference:
        if find_by_reference(session=session, reference=reference):
            errors["reference"] = "Référence déjà utilisée."
        else:
            clean["reference"] = reference
    if errors:
        raise ValidationError(
            "Le marché n'a pas été enregistré : corrigez les champs signalés.", fields=errors
        )
    # Saving the form is the buyer's confirmation of a migrated, defaulted profile.
    clean["profile_confirmed"] = True
    changed = [k for k, v in clean.items() if getattr(tender, k) != v]
    for key, value in clean.items():
        setattr(tender, key, value)
    if changed:
        touch(session, actor, tender, "tender.update", {"changed": changed})
        session.commit()
    return tender
