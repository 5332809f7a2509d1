"""Tenders: the buyer's profile, proposed clauses, values, compliance check, exports, verify.

Keyword-only functions taking the session first; every change of state bumps the tender's
`lock_version` (optimistic locking), writes one audit event and commits once. No Flask here.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

import procure.documents as documents
from procure.clause_library import clausefile as clauselib
from procure.clause_library.models import Clause, ClauseVersion
from procure.core import audit
from procure.core.audit import Actor
from procure.core.errors import Conflict, Forbidden, NotFound, ValidationError
from procure.core.models import AuditEvent, User, utcnow
from procure.tenders import rules
from procure.tenders.models import Tender, TenderClause, TenderDocument

PROCEDURES: dict[str, str] = {
    "mapa": "Procédure adaptée (MAPA)",
    "aoo": "Appel d'offres ouvert",
    "aor": "Appel d'offres restreint",
    "pcn": "Procédure concurrentielle avec négociation",
    "dialogue": "Dialogue compétitif",
    "negocie-sans-pub": "Marché négocié sans publicité ni mise en concurrence préalables",
}
CRITERION_KINDS: dict[str, str] = {
    "price": "Prix",
    "technical": "Valeur technique",
    "environment": "Performance environnementale",
    "other": "Autre",
}
METHODS: dict[str, str] = {
    "proportionnelle": "note = note maximale × meilleure offre / offre notée (prix, empreinte)",
    "logarithmique": "échelle logarithmique écrêtée : la meilleure offre obtient la note maximale, "
    "une offre mille fois moins bonne ou pire obtient zéro",
    "bareme": "barème appliqué au mémoire technique, publié en annexe du règlement",
}
PIECES: dict[str, str] = {
    "RC": "Règlement de la consultation (RC)",
    "CCAP": "Cahier des clauses administratives particulières (CCAP)",
    "CCTP": "Cahier des clauses techniques particulières (CCTP)",
}
FORMATS = ("docx", "odt")
MAX_CRITERIA = 8
REFERENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{2,59}$")
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


# --- access -------------------------------------------------------------------------------------


def _organisation(session: Session, actor: Actor) -> str | None:
    if actor.user_id is None:
        return None
    user = session.get(User, actor.user_id)
    return user.organisation if user else ""


def can_access(session: Session, actor: Actor, tender: Tender) -> bool:
    """The owner, and buyers of the tender's organisation; the system actor (CLI without --as)."""
    if actor.user_id is None:
        return True
    if tender.owner_id == actor.user_id:
        return True
    org = _organisation(session, actor)
    return actor.has_role("buyer") and bool(org) and org == tender.organisation


def get_tender(*, session: Session, actor: Actor, tender_id: int) -> Tender:
    tender = session.get(Tender, tender_id)
    if tender is None:
        raise NotFound(f"Marché n° {tender_id} introuvable.")
    if not can_access(session, actor, tender):
        raise Forbidden(
            "Seuls le propriétaire du marché et les acheteurs de son organisation y ont accès."
        )
    return tender


def list_tenders(*, session: Session, actor: Actor) -> list[Tender]:
    query = select(Tender).order_by(Tender.id.desc())
    if actor.user_id is not None:
        org = _organisation(session, actor)
        cond = Tender.owner_id == actor.user_id
        if actor.has_role("buyer") and org:
            cond = cond | (Tender.organisation == org)
        query = query.where(cond)
    return list(session.exec(query).all())


def _check_lock(session: Session, tender: Tender, lock_version: Any) -> None:
    if lock_version in (None, ""):
        return  # scripts that do not care about concurrent edits
    try:
        expected = int(lock_version)
    except (TypeError, ValueError):
        raise ValidationError(
            "Version du marché illisible.", fields={"lock_version": "Nombre entier attendu."}
        ) from None
    if expected != tender.lock_version:
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.record_type == "tender", AuditEvent.record_id == str(tender.id))
            .order_by(AuditEvent.id)
        ).all()
        changes = [
            {
                "action": e.action,
                "par": e.actor_email,
                "le": e.at.isoformat(timespec="seconds"),
                "champs": e.details.get("changed", []) or e.details.get("key", ""),
            }
            for e in events
            if int(e.details.get("lock_version", 0) or 0) > expected
        ]
        raise Conflict(
            f"Le marché {tender.reference} a été modifié par ailleurs depuis que vous l'avez ouvert "
            f"(version {expected}, version actuelle {tender.lock_version}). Rechargez la page : vos "
            "modifications n'ont pas été enregistrées.",
            changes={"events": changes},
        )


def _touch(session: Session, actor: Actor, tender: Tender, action: str, details: dict) -> None:
    tender.lock_version += 1
    tender.updated_at = utcnow()
    session.add(tender)
    audit.record(
        session,
        actor,
        action,
        record_type="tender",
        record_id=tender.id,
        details={**details, "reference": tender.reference, "lock_version": tender.lock_version},
    )


# --- tender data ----------------------------------------------------------------------------------


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "on", "oui", "true", "vrai", "yes")
    return bool(value)


def _int_or_none(
    value: Any, field_name: str, label: str, errors: dict, *, low: int = 0
) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = (
            int(str(value).replace(" ", "").replace("\u202f", ""))
            if not isinstance(value, int)
            else value
        )
    except ValueError:
        errors[field_name] = f"{label} : « {value} » n'est pas un nombre entier."
        return None
    if number < low:
        errors[field_name] = f"{label} : doit être supérieur ou égal à {low}."
        return None
    return number


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        return float(value)
    text = (
        str(value)
        .strip()
        .replace("\u202f", "")
        .replace("\xa0", "")
        .replace(" ", "")
        .replace(",", ".")
    )
    return float(text)


def parse_cpv(raw: Any, errors: dict) -> list[str]:
    from sourcing.cpv import normalise_cpv

    items = raw if isinstance(raw, list) else re.split(r"[\s,;]+", str(raw or ""))
    codes: list[str] = []
    bad: list[str] = []
    for item in items:
        item = str(item).strip()
        if not item:
            continue
        code = normalise_cpv(item)
        if code is None:
            bad.append(item)
        elif code not in codes:
            codes.append(code)
    if bad:
        errors["cpv"] = (
            f"Code CPV inconnu : {', '.join(bad)} (8 chiffres et chiffre de contrôle, ex. 72000000-5)."
        )
    return codes


def parse_criteria(raw: list[dict], errors: dict) -> list[dict]:
    """Award criteria rows (empty rows ignored) -> [{name, kind, weight, method, max_score, sub_criteria}]."""
    out: list[dict] = []
    for i, row in enumerate(raw or [], start=1):
        if not isinstance(row, dict):
            errors[f"criteria-{i}"] = f"Critère {i} : objet attendu."
            continue
        name = str(row.get("name") or "").strip()
        weight_raw = row.get("weight")
        if not name and weight_raw in (None, ""):
            continue
        kind = str(row.get("kind") or "other").strip()
        method = str(row.get("method") or "").strip()
        if not name:
            errors[f"criteria-{i}-name"] = f"Critère {i} : nom obligatoire."
        if len(name) > 200:
            errors[f"criteria-{i}-name"] = f"Critère {i} : nom trop long (200 caractères au plus)."
        if kind not in CRITERION_KINDS:
            errors[f"criteria-{i}-kind"] = (
                f"Critère {i} : nature « {kind} » inconnue ({', '.join(CRITERION_KINDS)})."
            )
        if method and method not in METHODS:
            errors[f"criteria-{i}-method"] = (
                f"Critère {i} : méthode « {method} » inconnue ({', '.join(METHODS)})."
            )
        try:
            weight = _number(weight_raw)
            if weight is None or weight <= 0 or weight > 100:
                raise ValueError
        except (ValueError, TypeError):
            errors[f"criteria-{i}-weight"] = (
                f"Critère {i} : pondération entre 0 et 100 attendue (reçu « {weight_raw} »)."
            )
            weight = 0.0
        if not method:
            method = {"price": "proportionnelle", "environment": "proportionnelle"}.get(
                kind, "bareme"
            )
        weight = int(weight) if float(weight).is_integer() else weight
        out.append(
            {
                "name": name,
                "kind": kind,
                "weight": weight,
                "method": method,
                "max_score": int(row.get("max_score") or 20),
                "sub_criteria": row.get("sub_criteria") or [],
            }
        )
    if len(out) > MAX_CRITERIA:
        errors["criteria"] = f"{MAX_CRITERIA} critères au plus."
    return out


def parse_lots(raw: Any, errors: dict) -> list[dict]:
    if isinstance(raw, list):
        lines = [str(x.get("title") if isinstance(x, dict) else x) for x in raw]
    else:
        lines = str(raw or "").splitlines()
    lots = [
        {"number": i, "title": line.strip()[:300]}
        for i, line in enumerate((ln for ln in lines if ln.strip()), start=1)
    ]
    return lots


def parse_tender_data(data: dict) -> tuple[dict, dict[str, str]]:
    """Validate the tender's fields (form strings or JSON values); return (clean, errors)."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, label, limit in (
        ("title", "Intitulé", 300),
        ("buyer", "Acheteur (organisation)", 200),
    ):
        value = str(data.get(name) or "").strip()
        if not value:
            errors[name] = f"{label} : champ obligatoire."
        elif len(value) > limit:
            errors[name] = f"{label} : {limit} caractères au plus."
        clean[name] = value
    reference = str(data.get("reference") or "").strip()
    if reference and not REFERENCE_RE.match(reference):
        errors["reference"] = (
            "Référence : 3 à 60 caractères, lettres sans accent, chiffres, « - », « _ », "
            "« . » ou « / »."
        )
    clean["reference"] = reference
    procedure = str(data.get("procedure") or "").strip()
    if procedure not in PROCEDURES:
        errors["procedure"] = (
            f"Procédure : choisissez une procédure de la liste ({', '.join(PROCEDURES)})."
        )
    clean["procedure"] = procedure
    clean["cpv_codes"] = parse_cpv(data.get("cpv"), errors)
    amount = data.get("amount")
    if amount in (None, ""):
        clean["amount"] = None
    else:
        try:
            clean["amount"] = _number(amount)
            if clean["amount"] < 0:
                raise ValueError
        except (ValueError, TypeError):
            errors["amount"] = (
                f"Montant estimé : « {amount} » n'est pas un montant positif en euros HT."
            )
            clean["amount"] = None
    clean["lots"] = parse_lots(data.get("lots"), errors)
    for flag in ("ai_high_risk", "personal_data", "sensitive_data"):
        clean[flag] = _flag(data.get(flag))
    clean["hosting"] = str(data.get("hosting") or "").strip()[:200]
    clean["award_criteria"] = parse_criteria(data.get("award_criteria") or [], errors)
    clean["requests_per_year"] = _int_or_none(
        data.get("requests_per_year"), "requests_per_year", "Requêtes par an", errors, low=1
    )
    clean["tokens_per_request"] = _int_or_none(
        data.get("tokens_per_request"), "tokens_per_request", "Jetons par requête", errors, low=1
    )
    return clean, errors


def form_to_data(form) -> dict:
    """A tender form (werkzeug MultiDict-like) -> the dict parse_tender_data reads."""
    data = {
        k: form.get(k, "")
        for k in (
            "reference",
            "title",
            "buyer",
            "procedure",
            "amount",
            "lots",
            "hosting",
            "requests_per_year",
            "tokens_per_request",
        )
    }
    cpv = list(form.getlist("cpv_pick")) + [form.get("cpv", "")]
    data["cpv"] = " ".join(c for c in cpv if c)
    for flag in ("ai_high_risk", "personal_data", "sensitive_data"):
        data[flag] = form.get(flag, "")
    data["award_criteria"] = [
        {
            "name": form.get(f"crit-{i}-name", ""),
            "kind": form.get(f"crit-{i}-kind", "other"),
            "weight": form.get(f"crit-{i}-weight", ""),
            "method": form.get(f"crit-{i}-method", ""),
        }
        for i in range(1, MAX_CRITERIA + 1)
    ]
    return data


def tender_form(tender: Tender | None) -> dict:
    """Form values for editing (the inverse of form_to_data)."""
    if tender is None:
        return {
            "procedure": "aoo",
            "cpv": "",
            "award_criteria": [
                {"name": "Prix", "kind": "price", "weight": 40, "method": "proportionnelle"},
                {"name": "Valeur technique", "kind": "technical", "weight": 45, "method": "bareme"},
                {
                    "name": "Performance environnementale",
                    "kind": "environment",
                    "weight": 15,
                    "method": "logarithmique",
                },
            ],
        }
    return {
        "reference": tender.reference,
        "title": tender.title,
        "buyer": tender.buyer,
        "procedure": tender.procedure,
        "cpv": " ".join(tender.cpv_codes),
        "amount": "" if tender.amount is None else f"{tender.amount:g}",
        "lots": "\n".join(lot["title"] for lot in tender.lots),
        "hosting": tender.hosting,
        "ai_high_risk": tender.ai_high_risk,
        "personal_data": tender.personal_data,
        "sensitive_data": tender.sensitive_data,
        "award_criteria": tender.award_criteria,
        "requests_per_year": tender.requests_per_year or "",
        "tokens_per_request": tender.tokens_per_request or "",
    }


def profile_of(tender: Tender) -> dict:
    return {
        "ai_high_risk": tender.ai_high_risk,
        "personal_data": tender.personal_data,
        "sensitive_data": tender.sensitive_data,
    }


def _next_reference(session: Session) -> str:
    year = datetime.now(UTC).year
    prefix = f"PRC-{year}-"
    existing = session.exec(
        select(Tender.reference).where(Tender.reference.startswith(prefix))
    ).all()
    numbers = [int(r[len(prefix) :]) for r in existing if r[len(prefix) :].isdigit()]
    return f"{prefix}{(max(numbers) + 1 if numbers else 1):04d}"


# --- the library --------------------------------------------------------------------------------


def approved_versions(session: Session) -> list[tuple[Clause, ClauseVersion]]:
    """The latest approved version of every clause, ordered by key."""
    rows = session.exec(
        select(Clause, ClauseVersion)
        .join(ClauseVersion, ClauseVersion.clause_id == Clause.id)
        .where(ClauseVersion.status == "approved")
        .order_by(Clause.key, ClauseVersion.number.desc())
    ).all()
    latest: dict[int, tuple[Clause, ClauseVersion]] = {}
    for clause, version in rows:
        latest.setdefault(clause.id, (clause, version))
    return sorted(latest.values(), key=lambda cv: cv[0].key)


def latest_approved(session: Session, clause_id: int) -> ClauseVersion | None:
    return session.exec(
        select(ClauseVersion)
        .where(ClauseVersion.clause_id == clause_id, ClauseVersion.status == "approved")
        .order_by(ClauseVersion.number.desc())
        .limit(1)
    ).first()


def proposals(*, session: Session, profile: dict) -> list[tuple[Clause, ClauseVersion, rules.Rule]]:
    """Library clauses the rules propose for a profile, with the rule that proposed each."""
    out = []
    for clause, version in approved_versions(session):
        rule = rules.proposing_rule(
            covers=version.covers, conditions=version.conditions, profile=profile
        )
        if rule is not None:
            out.append((clause, version, rule))
    return out


def _json_safe(values: dict) -> dict:
    out = {}
    for name, value in values.items():
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            value = value.isoformat()
        out[name] = value
    return out


def _defaults(version: ClauseVersion) -> dict:
    clean, _errors = clauselib.validate_values(version.variables, {})
    return _json_safe(clean)


# --- clauses of a tender -------------------------------------------------------------------------


@dataclass
class ClauseRow:
    link: TenderClause
    clause: Clause
    version: ClauseVersion
    latest: ClauseVersion | None

    @property
    def stale(self) -> bool:
        return self.latest is not None and self.latest.number > self.version.number

    @property
    def variant(self) -> str:
        return self.link.variant or rules.default_variant(self.version.variants, {})

    def blocks(
        self, values: dict | None = None, variant: str | None = None
    ) -> list[tuple[str, str]]:
        return render_clause(
            self.version,
            variant or self.link.variant,
            self.link.values if values is None else values,
        )


def render_clause(
    version: ClauseVersion, variant: str | None, values: dict
) -> list[tuple[str, str]]:
    return clauselib.render_blocks(
        version.body, version.variables, variant or None, values or {}, variants=version.variants
    )


def tender_clauses(*, session: Session, tender: Tender) -> list[ClauseRow]:
    rows = session.exec(
        select(TenderClause, Clause, ClauseVersion)
        .join(Clause, Clause.id == TenderClause.clause_id)
        .join(ClauseVersion, ClauseVersion.id == TenderClause.clause_version_id)
        .where(TenderClause.tender_id == tender.id)
        .order_by(TenderClause.position, TenderClause.id)
    ).all()
    latest = {}
    if rows:
        ids = [c.id for _l, c, _v in rows]
        for version in session.exec(
            select(ClauseVersion).where(
                ClauseVersion.clause_id.in_(ids), ClauseVersion.status == "approved"
            )
        ).all():
            if version.clause_id not in latest or version.number > latest[version.clause_id].number:
                latest[version.clause_id] = version
    return [
        ClauseRow(link, clause, version, latest.get(clause.id)) for link, clause, version in rows
    ]


def get_clause_row(*, session: Session, tender: Tender, link_id: int) -> ClauseRow:
    for row in tender_clauses(session=session, tender=tender):
        if row.link.id == link_id:
            return row
    raise NotFound("Cette clause ne fait pas partie du marché.")


def _pin(
    session: Session,
    tender: Tender,
    clause: Clause,
    version: ClauseVersion,
    *,
    position: int,
    proposed_by: str,
    variant: str | None = None,
    values: dict | None = None,
) -> TenderClause:
    profile = profile_of(tender)
    variant = variant or rules.default_variant(version.variants, profile)
    keys = [v["key"] for v in version.variants]
    if keys and variant not in keys:
        raise ValidationError(
            f"Variante « {variant} » inconnue pour {clause.key} ({', '.join(keys)}).",
            fields={"variant": "Variante inconnue."},
        )
    if values:
        clean, errors = clauselib.validate_values(version.variables, values)
        bad = {k: v for k, v in errors.items() if k in values}
        if bad:
            raise ValidationError(f"Valeurs invalides pour {clause.key}.", fields=bad)
        stored = _json_safe(clean)
    else:
        stored = _defaults(version)
    link = TenderClause(
        tender_id=tender.id,
        clause_id=clause.id,
        clause_version_id=version.id,
        position=position,
        variant=variant if keys else "",
        values=stored,
        proposed_by=proposed_by,
    )
    session.add(link)
    return link


def _create(session: Session, actor: Actor, clean: dict, clauses: list[dict] | None) -> Tender:
    org = _organisation(session, actor)
    reference = clean.pop("reference") or _next_reference(session)
    if session.exec(select(Tender).where(Tender.reference == reference)).first():
        raise Conflict(
            f"La référence {reference} est déjà utilisée.",
            fields={"reference": "Référence déjà utilisée."},
        )
    tender = Tender(reference=reference, owner_id=actor.user_id, organisation=org or "", **clean)
    session.add(tender)
    session.flush()
    profile = profile_of(tender)
    if clauses is None:
        for position, (clause, version, rule) in enumerate(
            proposals(session=session, profile=profile), start=1
        ):
            _pin(session, tender, clause, version, position=position, proposed_by=rule.id)
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
            rule = rules.proposing_rule(
                covers=version.covers, conditions=version.conditions, profile=profile
            )
            try:
                _pin(
                    session,
                    tender,
                    clause,
                    version,
                    position=position,
                    variant=item.get("variant") or None,
                    values=item.get("values") or None,
                    proposed_by=rule.id if rule else rules.MANUAL,
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
    _check_lock(session, tender, lock_version)
    clean, errors = parse_tender_data(data)
    reference = clean.pop("reference")
    if reference and reference != tender.reference:
        if session.exec(select(Tender).where(Tender.reference == reference)).first():
            errors["reference"] = "Référence déjà utilisée."
        else:
            clean["reference"] = reference
    if errors:
        raise ValidationError(
            "Le marché n'a pas été enregistré : corrigez les champs signalés.", fields=errors
        )
    changed = [k for k, v in clean.items() if getattr(tender, k) != v]
    for key, value in clean.items():
        setattr(tender, key, value)
    if changed:
        _touch(session, actor, tender, "tender.update", {"changed": changed})
        session.commit()
    return tender


def apply_proposals(
    *, session: Session, actor: Actor, tender_id: int, lock_version: Any
) -> list[str]:
    """Add the proposed clauses the tender does not hold yet; return their keys."""
    tender = get_tender(session=session, actor=actor, tender_id=tender_id)
    _check_lock(session, tender, lock_version)
    rows = tender_clauses(session=session, tender=tender)
    held = {r.clause.id for r in rows}
    position = max((r.link.position for r in rows), default=0)
    added = []
    for clause, version, rule in proposals(session=session, profile=profile_of(tender)):
        if clause.id not in held:
            position += 1
            _pin(session, tender, clause, version, position=position, proposed_by=rule.id)
            added.append(clause.key)
    if added:
        _touch(session, actor, tender, "tender.clauses_propose", {"added": added})
        session.commit()
    return added


def add_clause(
    *,
    session: Session,
    actor: Actor,
    tender_id: int,
    key: str,
    lock_version: Any,
    variant: str | None = None,
) -> TenderClause:
    tender = get_tender(session=session, actor=actor, tender_id=tender_id)
    _check_lock(session, tender, lock_version)
    clause = session.exec(select(Clause).where(Clause.key == (key or "").strip())).first()
    version = latest_approved(session, clause.id) if clause else None
    if version is None:
        raise ValidationError(
            f"Clause « {key} » inconnue ou sans version approuvée.",
            fields={"key": "Clause inconnue."},
        )
    rows = tender_clauses(session=session, tender=tender)
    if any(r.clause.id == clause.id for r in rows):
        raise Conflict(
            f"La clause {key} figure déjà dans le marché.", fields={"key": "Déjà présente."}
        )
    rule = rules.proposing_rule(
        covers=version.covers, conditions=version.conditions, profile=profile_of(tender)
    )
    link = _pin(
        session,
        tender,
        clause,
        version,
        position=max((r.link.position for r in rows), default=0) + 1,
        variant=variant,
        proposed_by=rule.id if rule else rules.MANUAL,
    )
    session.flush()
    _touch(
        session, actor, tender, "tender.clause_add", {"key": clause.key, "version": version.number}
    )
    session.commit()
    return link


def remove_clause(
    *, session: Session, actor: Actor, tender_id: int, link_id: int, lock_version: Any
) -> str:
    tender = get_tender(session=session, actor=actor, tender_id=tender_id)
    _check_lock(session, tender, lock_version)
    row = get_clause_row(session=session, tender=tender, link_id=link_id)
    session.delete(row.link)
    _touch(
        session,
        actor,
        tender,
        "tender.clause_remove",
        {"key": row.clause.key, "version": row.version.number},
    )
    session.commit()
    return row.clause.key


def move_clause(
    *,
    session: Session,
    actor: Actor,
    tender_id: int,
    link_id: int,
    direction: str,
    lock_version: Any,
) -> None:
    """Move a clause up or down (or to the top/bottom) in the tender's order."""
    tender = get_tender(session=session, actor=actor, tender_id=tender_id)
    _check_lock(session, tender, lock_version)
    rows = tender_clauses(session=session, tender=tender)
    index = next((i for i, r in enumerate(rows) if r.link.id == link_id), None)
    if index is None:
        raise NotFound("Cette clause ne fait pas partie du marché.")
    target = {"up": index - 1, "down": index + 1, "top": 0, "bottom": len(rows) - 1}.get(direction)
    if target is None:
        raise ValidationError(
            f"Sens de déplacement inconnu : {direction}.",
            fields={"direction": "up, down, top ou bottom."},
        )
    target = max(0, min(target, len(rows) - 1))
    if target == index:
        return
    row = rows.pop(index)
    rows.insert(target, row)
    for position, r in enumerate(rows, start=1):
        if r.link.position != position:
            r.link.position = position
            session.add(r.link)
    _touch(
        session,
        actor,
        tender,
        "tender.clause_move",
        {"key": row.clause.key, "direction": direction, "position": target + 1},
    )
    session.commit()


def check_values(
    row: ClauseRow, variant: str | None, values: dict
) -> tuple[str, dict, dict[str, str]]:
    """Validate a variant and form values for a clause: (variant, clean JSON-safe values, errors)."""
    keys = [v["key"] for v in row.version.variants]
    errors: dict[str, str] = {}
    variant = (variant or row.link.variant or "").strip()
    if keys and variant not in keys:
        errors["variant"] = f"Variante : choisissez parmi {', '.join(keys)}."
        variant = row.link.variant
    given = {
        v["name"]: values.get(v["name"], "")
        for v in row.version.variables
        if v["name"] in values or v["type"] == "boolean"
    }
    for var in row.version.variables:
        if var["type"] == "boolean" and var["name"] not in values:
            given[var["name"]] = "non"
    clean, value_errors = clauselib.validate_values(row.version.variables, given)
    errors.update(value_errors)
    return variant if keys else "", _json_safe(clean), errors


def set_clause_values(
    *,
    session: Session,
    actor: Actor,
    tender_id: int,
    link_id: int,
    variant: str | None,
    values: dict,
    lock_version: Any,
) -> TenderClause:
    """Save a clause's variant and values; refuses (422, nothing saved) if any value is invalid."""
    tender = get_tender(session=session, actor=actor, tender_id=tender_id)
    _check_lock(session, tender, lock_version)
    row = get_clause_row(session=session, tender=tender, link_id=link_id)
    variant, clean, errors = check_values(row, variant, values)
    invalid = {k: v for k, v in errors.items() if "obligatoire" not in v}
    if invalid:
        raise ValidationError(
            f"Les valeurs de la clause « {row.version.title} » n'ont pas été enregistrées : "
            "corrigez les champs signalés.",
            fields=errors,
        )
    changed = sorted(k for k in clean if row.link.values.get(k) != clean[k])
    if changed or variant != row.link.variant:
        row.link.values = clean
        row.link.variant = variant
        session.add(row.link)
        _touch(
            session,
            actor,
            tender,
            "tender.clause_values",
            {"key": row.clause.key, "variant": variant, "changed": changed},
        )
        session.commit()
    return row.link


def preview(
    *, row: ClauseRow, variant: str | None, values: dict
) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The clause rendered with unsaved form values (nothing written), and the value errors."""
    variant, clean, errors = check_values(row, variant, values)
    shown = dict(clean)
    for name in errors:  # show what was typed for a refused value, not a stale one
        if name in values:
            shown[name] = values[name]
    return render_clause(row.version, variant, shown), errors


# --- staleness -----------------------------------------------------------------------------------


def _plain(blocks: list[tuple[str, str]]) -> str:
    return "\n\n".join(("– " if kind == "li" else "") + text for kind, text in blocks)


def clause_diff(*, row: ClauseRow) -> list[tuple[str, str]]:
    """Word diff between the pinned version and the latest approved one, rendered with the values."""
    if row.latest is None:
        return []
    new_values, _ = _carry_values(row.version, row.latest, row.link.values)
    new_variant = (
        row.link.variant if row.link.variant in [v["key"] for v in row.latest.variants] else None
    )
    return clauselib.word_diff(
        _plain(row.blocks()), _plain(render_clause(row.latest, new_variant, new_values))
    )


def _carry_values(old: ClauseVersion, new: ClauseVersion, values: dict) -> tuple[dict, list[str]]:
    """Values still valid under the new declarations are kept; the others take the new default.

    Returns (values, names to ask the buyer about: new variables, changed or refused values)."""
    old_vars = {v["name"]: v for v in old.variables}
    kept = {}
    ask: list[str] = []
    for var in new.variables:
        name = var["name"]
        if name in old_vars and old_vars[name]["type"] == var["type"] and name in values:
            clean, errors = clauselib.validate_values([var], {name: values[name]})
            if name not in errors:
                kept[name] = _json_safe(clean)[name]
                continue
        ask.append(name)
        clean, _ = clauselib.validate_values([var], {})
        kept[name] = _json_safe(clean)[name]
    return kept, ask


def upgrade_clause(
    *, session: Session, actor: Actor, tender_id: int, link_id: int, lock_version: Any
) -> tuple[TenderClause, list[str]]:
    """Pin the latest approved version, keeping values that still apply; return the names to review."""
    tender = get_tender(session=session, actor=actor, tender_id=tender_id)
    _check_lock(session, tender, lock_version)
    row = get_clause_row(session=session, tender=tender, link_id=link_id)
    if not row.stale:
        raise Conflict(f"La clause {row.clause.key} est déjà à sa dernière version approuvée.")
    values, ask = _carry_values(row.version, row.latest, row.link.values)
    keys = [v["key"] for v in row.latest.variants]
    variant = (
        row.link.variant
        if row.link.variant in keys
        else rules.default_variant(row.latest.variants, profile_of(tender))
    )
    old_number = row.version.number
    row.link.clause_version_id = row.latest.id
    row.link.values = values
    row.link.variant = variant if keys else ""
    session.add(row.link)
    _touch(
        session,
        actor,
        tender,
        "tender.clause_upgrade",
        {"key": row.clause.key, "from": old_number, "to": row.latest.number, "ask": ask},
    )
    session.commit()
    return row.link, ask


# --- compliance check ----------------------------------------------------------------------------


@dataclass
class Finding:
    code: str
    severity: str  # error, warning, info
    message: str
    fix: dict = field(
        default_factory=dict
    )  # {"target": "edit"|"clauses"|"clause"|"library", "link_id": ..}

    def to_dict(self) -> dict:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
        }


def check(
    *, session: Session, tender: Tender, rows: list[ClauseRow] | None = None
) -> list[Finding]:
    """Compliance findings, errors first."""
    rows = tender_clauses(session=session, tender=tender) if rows is None else rows
    found: list[Finding] = []
    criteria = tender.award_criteria or []
    if not criteria:
        found.append(
            Finding(
                "CRITERES-ABSENTS",
                "error",
                "Aucun critère d'attribution n'est défini.",
                {"target": "edit", "anchor": "criteres"},
            )
        )
    if not any(c.get("kind") == "environment" for c in criteria):
        found.append(
            Finding(
                "CRITERE-ENVIRONNEMENTAL-ABSENT",
                "error",
                "Aucun critère d'attribution ne porte sur les caractéristiques environnementales de l'offre : "
                "obligatoire depuis le 22 août 2026 (loi Climat et Résilience, art. 35).",
                {"target": "edit", "anchor": "criteres"},
            )
        )
    total = sum(float(c.get("weight") or 0) for c in criteria)
    if criteria and abs(total - 100) > 1e-9:
        found.append(
            Finding(
                "PONDERATIONS",
                "error",
                f"Les pondérations des critères totalisent {total:g} au lieu de 100.",
                {"target": "edit", "anchor": "criteres"},
            )
        )
    if any(c.get("kind") == "environment" for c in criteria) and not (
        tender.requests_per_year and tender.tokens_per_request
    ):
        found.append(
            Finding(
                "UNITE-FONCTIONNELLE",
                "warning",
                "L'unité fonctionnelle (requêtes par an, jetons par requête) n'est pas fixée : "
                "les empreintes des offres ne seront pas comparables.",
                {"target": "edit", "anchor": "unite"},
            )
        )
    if not tender.cpv_codes:
        found.append(
            Finding(
                "CPV-ABSENT",
                "warning",
                "Aucun code CPV n'est indiqué.",
                {"target": "edit", "anchor": "cpv"},
            )
        )
    covered = {subject for r in rows for subject in r.version.covers}
    for subject, rule in rules.required_subjects(profile_of(tender)):
        if subject not in covered:
            found.append(
                Finding(
                    "CLAUSE-REQUISE",
                    "error",
                    f"Aucune clause ne couvre « {clauselib.COVERS.get(subject, subject)} », requise par la règle "
                    f"{rule.id} ({rule.condition_text()}).",
                    {"target": "library", "subject": subject},
                )
            )
    for r in rows:
        title = r.version.title
        if r.version.status == "deprecated":
            found.append(
                Finding(
                    "VERSION-RETIREE",
                    "error",
                    f"La clause « {title} » épingle la version {r.version.number}, retirée par les juristes.",
                    {"target": "clause", "link_id": r.link.id},
                )
            )
        elif r.stale:
            found.append(
                Finding(
                    "VERSION-PERIMEE",
                    "warning",
                    f"Une version plus récente ({r.latest.number}) de la clause « {title} » est approuvée "
                    f"(version épinglée : {r.version.number}).",
                    {"target": "clause", "link_id": r.link.id},
                )
            )
        _clean, errors = clauselib.validate_values(r.version.variables, r.link.values)
        for name, message in errors.items():
            code = "VARIABLE-VIDE" if "obligatoire" in message else "VARIABLE-INVALIDE"
            found.append(
                Finding(
                    code,
                    "error",
                    f"Clause « {title} » : {message}",
                    {"target": "clause", "link_id": r.link.id, "field": name},
                )
            )
    if not rows:
        found.append(
            Finding(
                "AUCUNE-CLAUSE",
                "warning",
                "Le marché ne comporte aucune clause.",
                {"target": "clauses"},
            )
        )
    order = {"error": 0, "warning": 1, "info": 2}
    found.sort(key=lambda f: order[f.severity])
    pieces = sorted({r.version.piece for r in rows})
    found.append(
        Finding(
            "RESUME",
            "info",
            f"{len(rows)} clause(s) réparties dans : {', '.join(pieces) or 'aucune pièce'}.",
            {"target": "clauses"},
        )
    )
    return found


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


# --- export --------------------------------------------------------------------------------------


def french_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _money(amount: float) -> str:
    whole = f"{amount:,.2f}".replace(",", "\u202f").replace(".", ",")
    return whole.removesuffix(",00") + " € HT"


def build_spec(
    *,
    session: Session,
    tender: Tender,
    piece: str,
    rows: list[ClauseRow] | None = None,
    today: date | None = None,
) -> tuple[documents.DocumentSpec, list[dict]]:
    """The document of one piece, and its manifest (each clause: key, version, hash, texts)."""
    from sourcing.cpv import load_cpv

    D = documents  # noqa: N806
    rows = tender_clauses(session=session, tender=tender) if rows is None else rows
    mine = [r for r in rows if r.version.piece == piece]
    blocks: list = [D.Toc(), D.PageBreak()]
    headings: list[str] = []

    def heading(text: str, numbered: bool = True) -> None:
        blocks.append(D.Heading(text, 1, numbered))
        headings.append(text)

    heading("Objet" + (" de la consultation" if piece == "RC" else " du marché"))
    blocks.append(
        D.Paragraph(
            f"{'La consultation' if piece == 'RC' else 'Le marché'} porte sur : {tender.title}."
        )
    )
    if tender.cpv_codes:
        labels = load_cpv()
        blocks.append(D.Paragraph("Classification CPV :"))
        blocks.extend(D.Bullet(f"{c} – {labels.get(c, '')}") for c in tender.cpv_codes)
    if tender.lots:
        blocks.append(D.Paragraph(f"Le marché est alloti en {len(tender.lots)} lot(s) :"))
        blocks.extend(D.Bullet(f"Lot {lot['number']} : {lot['title']}") for lot in tender.lots)
    elif piece == "RC":
        blocks.append(D.Paragraph("Le marché n'est pas alloti."))
    if piece == "RC":
        heading("Procédure")
        blocks.append(
            D.Paragraph(f"Procédure : {PROCEDURES.get(tender.procedure, tender.procedure)}.")
        )
        if tender.amount is not None:
            blocks.append(D.Paragraph(f"Montant estimé : {_money(tender.amount)}."))
        heading("Critères d'attribution et méthode de notation")
        blocks.append(
            D.Paragraph("Les offres sont classées selon les critères pondérés suivants :")
        )
        blocks.append(
            D.Table(
                ["Critère", "Nature", "Pondération", "Méthode de notation"],
                [
                    [
                        c["name"],
                        CRITERION_KINDS.get(c["kind"], c["kind"]),
                        f"{c['weight']:g} %",
                        c.get("method", ""),
                    ]
                    for c in tender.award_criteria
                ],
                caption="Critères d'attribution et pondérations",
            )
        )
        for c in tender.award_criteria:
            method = METHODS.get(c.get("method", ""), c.get("method", ""))
            blocks.append(
                D.Bullet(
                    f"{c['name']} ({c['weight']:g} %), noté sur {c.get('max_score', 20)} : {method}."
                )
            )
        if tender.requests_per_year and tender.tokens_per_request:
            heading("Unité fonctionnelle")
            blocks.append(
                D.Paragraph(
                    f"Les empreintes environnementales des offres sont comparées pour {tender.requests_per_year:,} "
                    f"requêtes par an de {tender.tokens_per_request:,} jetons par requête.".replace(
                        ",", "\u202f"
                    )
                )
            )
    if piece == "CCAP":
        heading("Documents contractuels")
        blocks.append(
            D.Paragraph(
                "Le marché est soumis au cahier des clauses administratives générales applicables aux marchés "
                "publics de techniques de l'information et de la communication (CCAG-TIC, arrêté du 30 mars 2021 "
                "modifié), sauf dérogations expressément listées à l'article « Dérogations au CCAG-TIC »."
            )
        )

    manifest: list[dict] = []
    for r in mine:
        head_text = f"Article {len(headings) + 1} – {r.version.title}"
        heading(r.version.title)
        index = len(headings) - 1
        rendered = r.blocks()
        for kind, text in rendered:
            blocks.append(D.Bullet(text) if kind == "li" else D.Paragraph(text))
        manifest.append(
            {
                "key": r.clause.key,
                "version": r.version.number,
                "content_hash": r.version.content_hash,
                "variant": r.link.variant,
                "title": r.version.title,
                "piece": piece,
                "heading": head_text,
                "paragraphs": [documents.clean(t) for _k, t in rendered],
                "values": r.link.values,
                "_index": index,
            }
        )
    if piece == "CCAP":
        heading("Dérogations au CCAG-TIC")
        departures = [(r, d) for r in rows for d in (r.version.departures or [])]
        if departures:
            blocks.append(
                D.Paragraph(
                    "Conformément à l'usage, les dérogations au CCAG-TIC sont récapitulées ci-dessous :"
                )
            )
            blocks.extend(
                D.Bullet(
                    f"{d.get('article', '')} : {d.get('text', '')} (clause « {r.version.title} »)"
                )
                for r, d in departures
            )
        else:
            blocks.append(
                D.Paragraph("Le présent CCAP ne déroge à aucune stipulation du CCAG-TIC.")
            )
    # Each clause article ends at the next heading: record it for `verify`.
    for entry in manifest:
        idx = entry.pop("_index")
        entry["next_heading"] = (
            f"Article {idx + 2} – {headings[idx + 1]}"
            if idx + 1 < len(headings)
            else "Annexe – Clauses utilisées"
        )
    blocks.append(D.PageBreak())
    blocks.append(D.Heading("Annexe – Clauses utilisées", 1, numbered=False))
    if mine:
        blocks.append(
            D.Table(
                ["Clé", "Version", "Empreinte (SHA-256)", "Variante"],
                [
                    [m["key"], str(m["version"]), m["content_hash"], m["variant"] or "–"]
                    for m in manifest
                ],
                caption="Clauses de la bibliothèque utilisées dans cette pièce",
            )
        )
    else:
        blocks.append(D.Paragraph("Cette pièce n'utilise aucune clause de la bibliothèque."))
    day = today or datetime.now(UTC).date()
    spec = D.DocumentSpec(
        title=tender.title,
        subtitle=PROCEDURES.get(tender.procedure, ""),
        buyer=tender.buyer,
        reference=tender.reference,
        piece=PIECES[piece],
        date=french_date(day),
        blocks=blocks,
    )
    return spec, manifest


def export(
    *,
    session: Session,
    actor: Actor,
    tender_id: int,
    piece: str,
    fmt: str,
    path: str | Path | None = None,
    export_dir: str | Path | None = None,
) -> TenderDocument:
    """Export one piece after the compliance check (blocked by errors); record hash and manifest."""
    piece = (piece or "").upper()
    fmt = (fmt or "").lower()
    if piece not in PIECES:
        raise ValidationError(
            f"Pièce inconnue : {piece} (RC, CCAP ou CCTP).", fields={"piece": "RC, CCAP ou CCTP."}
        )
    if fmt not in FORMATS:
        raise ValidationError(
            f"Format inconnu : {fmt} (docx ou odt).", fields={"format": "docx ou odt."}
        )
    tender = get_tender(session=session, actor=actor, tender_id=tender_id)
    rows = tender_clauses(session=session, tender=tender)
    findings = check(session=session, tender=tender, rows=rows)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise ValidationError(
            f"Export refusé : la vérification de conformité signale {len(errors)} erreur(s). "
            + " ".join(f.message for f in errors[:5]),
            fields={f.code: f.message for f in errors},
        )
    spec, manifest = build_spec(session=session, tender=tender, piece=piece, rows=rows)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    if path is None:
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", tender.reference)
        path = Path(export_dir or ".") / f"{safe}-{piece}-{stamp}.{fmt}"
    path = Path(path)
    writer = documents.write_docx if fmt == "docx" else documents.write_odt
    digest = writer(spec, path)
    # The text as written (no need to re-read the file we have just written).
    body_text = "\n".join(text for _block, text in documents.numbered_headings(spec.blocks) if text)
    doc = TenderDocument(
        tender_id=tender.id,
        piece=piece,
        format=fmt,
        filename=path.name,
        sha256=digest,
        manifest=manifest,
        created_by=actor.user_id,
        body_text=body_text,
    )
    session.add(doc)
    session.flush()
    audit.record(
        session,
        actor,
        "tender.export",
        record_type="tender",
        record_id=tender.id,
        details={
            "reference": tender.reference,
            "piece": piece,
            "format": fmt,
            "sha256": digest,
            "document_id": doc.id,
            "clauses": [f"{m['key']}@{m['version']}" for m in manifest],
            "warnings": [f.code for f in findings if f.severity == "warning"],
            "lock_version": tender.lock_version,
        },
    )
    try:
        session.commit()
    except Exception:
        path.unlink(missing_ok=True)  # the record failed: do not leave an unrecorded export behind
        raise
    return doc


def list_documents(*, session: Session, tender: Tender) -> list[TenderDocument]:
    return list(
        session.exec(
            select(TenderDocument)
            .where(TenderDocument.tender_id == tender.id)
            .order_by(TenderDocument.id.desc())
        ).all()
    )


def get_document(
    *, session: Session, actor: Actor, tender_id: int, document_id: int
) -> TenderDocument:
    tender = get_tender(session=session, actor=actor, tender_id=tender_id)
    doc = session.get(TenderDocument, document_id)
    if doc is None or doc.tender_id != tender.id:
        raise NotFound("Document introuvable.")
    return doc


# --- verify --------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return " ".join((text or "").split())


def verify(*, session: Session, actor: Actor, path: str | Path) -> dict:
    """Compare an exported DOCX/ODT with what was exported: file hash, then clause by clause."""
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"Fichier introuvable : {path}.")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    paragraphs = documents.read_paragraphs(path)
    doc = session.exec(
        select(TenderDocument)
        .where(TenderDocument.sha256 == digest)
        .order_by(TenderDocument.id.desc())
    ).first()
    found_by = "empreinte du fichier"
    if doc is None:
        found_by = "référence lue dans le document"
        reference = next(
            (p.split(":", 1)[1].strip() for p in paragraphs[:20] if p.startswith("Référence :")),
            None,
        )
        piece = next(
            (code for p in paragraphs[:20] for code, label in PIECES.items() if p.strip() == label),
            None,
        )
        tender = (
            session.exec(select(Tender).where(Tender.reference == reference)).first()
            if reference
            else None
        )
        if tender is None:
            raise NotFound(
                f"Aucun document exporté ne correspond à « {path.name} » (ni par empreinte, ni par "
                f"référence{' ' + reference if reference else ''})."
            )
        query = select(TenderDocument).where(TenderDocument.tender_id == tender.id)
        if piece:
            query = query.where(TenderDocument.piece == piece)
        fmt = path.suffix.lstrip(".").lower()
        candidates = session.exec(query.order_by(TenderDocument.id.desc())).all()
        doc = next(
            (d for d in candidates if d.format == fmt), candidates[0] if candidates else None
        )
        if doc is None:
            raise NotFound(f"Le marché {reference} n'a aucun export enregistré pour cette pièce.")
    tender = get_tender(session=session, actor=actor, tender_id=doc.tender_id)
    norm = [_norm(p) for p in paragraphs]
    clauses = []
    for entry in doc.manifest:
        expected = [_norm(p) for p in entry.get("paragraphs", [])]
        starts = [i for i, p in enumerate(norm) if p == _norm(entry["heading"])]
        status, detail = "absente", "Le titre de l'article est introuvable dans le document."
        if starts:
            start = starts[-1] + 1  # the last occurrence: the table of contents repeats the titles
            nxt = _norm(entry.get("next_heading", ""))
            end = next((j for j in range(start, len(norm)) if norm[j] == nxt), len(norm))
            actual = [p for p in norm[start:end] if p]
            if actual == expected:
                status, detail = "conforme", "Texte identique à la version épinglée."
            else:
                status = "modifiee"
                diff = clauselib.word_diff("\n".join(expected), "\n".join(actual))
                detail = (
                    "Texte modifié après l'export : "
                    + " ".join(
                        ("[+" if op == "insert" else "[-") + t.strip() + "]"
                        for op, t in diff
                        if op != "equal"
                    )[:500]
                )
        latest = session.exec(
            select(ClauseVersion)
            .join(Clause, Clause.id == ClauseVersion.clause_id)
            .where(Clause.key == entry["key"], ClauseVersion.status == "approved")
            .order_by(ClauseVersion.number.desc())
        ).first()
        clauses.append(
            {
                "key": entry["key"],
                "version": entry["version"],
                "content_hash": entry["content_hash"],
                "status": status,
                "detail": detail,
                "latest_version": latest.number if latest else None,
            }
        )
    return {
        "file": str(path),
        "sha256": digest,
        "document_id": doc.id,
        "tender_id": tender.id,
        "reference": tender.reference,
        "piece": doc.piece,
        "format": doc.format,
        "found_by": found_by,
        "file_unchanged": digest == doc.sha256,
        "clauses": clauses,
        "summary": {
            s: sum(1 for c in clauses if c["status"] == s)
            for s in ("conforme", "modifiee", "absente")
        },
    }


# --- CPV, home page, demo -------------------------------------------------------------------------


def search_cpv(query: str, limit: int = 15) -> list[tuple[str, str, float]]:
    from sourcing.cpv import search_cpv as _search

    return _search(query or "", limit=limit)


def cpv_labels(codes: list[str]) -> list[tuple[str, str]]:
    from sourcing.cpv import load_cpv

    table = load_cpv()
    return [(c, table.get(c, "")) for c in codes]


def pending_work(*, session: Session, user: User) -> list[dict]:
    if not user.has_role("buyer"):
        return []
    actor = Actor.of(user)
    items = []
    for tender in list_tenders(session=session, actor=actor)[:30]:
        if tender.status != "draft":
            continue
        findings = check(session=session, tender=tender)
        errors = sum(1 for f in findings if f.severity == "error")
        label = f"{tender.reference} – {tender.title}" + (
            f" ({errors} erreur(s) de conformité)" if errors else ""
        )
        items.append(
            {
                "label": label,
                "endpoint": "tenders.show",
                "params": {"tender_id": tender.id},
                "badge": "error" if errors else "draft",
            }
        )
    return [
        {
            "title": "Mes marchés en préparation",
            "items": items[:10],
            "empty": "Aucun marché en préparation. Créez-en un depuis la page Marchés.",
        }
    ]


def _cpv_ok(code: str) -> bool:
    from sourcing.cpv import normalise_cpv

    return normalise_cpv(code) == code
