"""The clauses of a tender: pinned versions, order, variants and values, preview and upgrade."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from procure.clause_library import services as library
from procure.clause_library.models import Clause, ClauseVersion
from procure.core.audit import Actor
from procure.core.errors import Conflict, NotFound, ValidationError
from procure.tenders import rules
from procure.tenders.models import Tender, TenderClause
from procure.tenders.services.access import get_tender
from procure.tenders.services.criteria import tender_values
from procure.tenders.services.library import (
    latest_approved,
    profile_of,
    proposals,
)
from procure.tenders.services.locking import check_lock, touch


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
    clean, _errors = library.validate_values(version.variables, {})
    return _json_safe(clean)


@dataclass
class ClauseRow:
    link: TenderClause
    clause: Clause
    version: ClauseVersion
    latest: ClauseVersion | None
    # The text of the reserved `marche.*` placeholders, from the tender (criteria.tender_values).
    context: dict[str, str] = field(default_factory=dict)

    @property
    def stale(self) -> bool:
        return self.latest is not None and self.latest.number > self.version.number

    @property
    def newer(self) -> ClauseVersion | None:
        """The latest approved version when it is newer than the pinned one."""
        return self.latest if self.stale else None

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
            self.context,
        )


def render_clause(
    version: ClauseVersion,
    variant: str | None,
    values: dict,
    tender_values: dict[str, str] | None = None,
) -> list[tuple[str, str]]:
    return library.render_blocks(
        version.body,
        version.variables,
        variant or None,
        values or {},
        variants=version.variants,
        tender_values=tender_values,
    )


def tender_clauses(*, session: Session, tender: Tender) -> list[ClauseRow]:
    rows = session.exec(
        select(TenderClause, Clause, ClauseVersion)
        .join(Clause, col(Clause.id) == col(TenderClause.clause_id))
        .join(ClauseVersion, col(ClauseVersion.id) == col(TenderClause.clause_version_id))
        .where(TenderClause.tender_id == tender.id)
        .order_by(col(TenderClause.position), col(TenderClause.id))
    ).all()
    latest: dict[int, ClauseVersion] = {}
    if rows:
        ids = [c.id for _l, c, _v in rows]
        for version in session.exec(
            select(ClauseVersion).where(
                col(ClauseVersion.clause_id).in_(ids), ClauseVersion.status == "approved"
            )
        ).all():
            if version.clause_id not in latest or version.number > latest[version.clause_id].number:
                latest[version.clause_id] = version
    context = tender_values(tender)
    return [
        ClauseRow(link, clause, version, latest.get(link.clause_id), context)
        for link, clause, version in rows
    ]


def get_clause_row(*, session: Session, tender: Tender, link_id: int) -> ClauseRow:
    for row in tender_clauses(session=session, tender=tender):
        if row.link.id == link_id:
            return row
    raise NotFound("Cette clause ne fait pas partie du marché.")


def pin_clause(
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
        clean, errors = library.validate_values(version.variables, values)
        bad = {k: v for k, v in errors.items() if k in values}
        if bad:
            raise ValidationError(f"Valeurs invalides pour {clause.key}.", fields=bad)
        stored = _json_safe(clean)
    else:
        stored = _defaults(version)
    assert tender.id is not None and clause.id is not None and version.id is not None  # saved
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


def apply_proposals(
    *, session: Session, actor: Actor, tender_id: int, lock_version: Any
) -> list[str]:
    """Add the proposed clauses the tender does not hold yet; return their keys."""
    tender = get_tender(session=session, actor=actor, tender_id=tender_id)
    check_lock(session, tender, lock_version)
    rows = tender_clauses(session=session, tender=tender)
    held = {r.clause.id for r in rows}
    position = max((r.link.position for r in rows), default=0)
    added = []
    for clause, version, rule in proposals(session=session, profile=profile_of(tender)):
        if clause.id not in held:
            position += 1
            pin_clause(session, tender, clause, version, position=position, proposed_by=rule.id)
            added.append(clause.key)
    if added:
        touch(session, actor, tender, "tender.clauses_propose", {"added": added})
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
    check_lock(session, tender, lock_version)
    clause = session.exec(select(Clause).where(Clause.key == (key or "").strip())).first()
    version = latest_approved(session, clause.id) if clause and clause.id is not None else None
    if clause is None or version is None:
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
    link = pin_clause(
        session,
        tender,
        clause,
        version,
        position=max((r.link.position for r in rows), default=0) + 1,
        variant=variant,
        proposed_by=rule.id if rule else rules.MANUAL,
    )
    session.flush()
    touch(
        session, actor, tender, "tender.clause_add", {"key": clause.key, "version": version.number}
    )
    session.commit()
    return link


def remove_clause(
    *, session: Session, actor: Actor, tender_id: int, link_id: int, lock_version: Any
) -> str:
    tender = get_tender(session=session, actor=actor, tender_id=tender_id)
    check_lock(session, tender, lock_version)
    row = get_clause_row(session=session, tender=tender, link_id=link_id)
    session.delete(row.link)
    touch(
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
    check_lock(session, tender, lock_version)
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
    touch(
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
    clean, value_errors = library.validate_values(row.version.variables, given)
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
) -> ClauseRow:
    """Save a clause's variant and values; refuses (422, nothing saved) if any value is invalid.

    Returns the clause's row (its link holds the saved values)."""
    tender = get_tender(session=session, actor=actor, tender_id=tender_id)
    check_lock(session, tender, lock_version)
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
        touch(
            session,
            actor,
            tender,
            "tender.clause_values",
            {"key": row.clause.key, "variant": variant, "changed": changed},
        )
        session.commit()
    return row


def preview(
    *, row: ClauseRow, variant: str | None, values: dict
) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The clause rendered with unsaved form values (nothing written), and the value errors."""
    variant, clean, errors = check_values(row, variant, values)
    shown = dict(clean)
    for name in errors:  # show what was typed for a refused value, not a stale one
        if name in values:
            shown[name] = values[name]
    return render_clause(row.version, variant, shown, row.context), errors


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
    return library.word_diff(
        _plain(row.blocks()),
        _plain(render_clause(row.latest, new_variant, new_values, row.context)),
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
            clean, errors = library.validate_values([var], {name: values[name]})
            if name not in errors:
                kept[name] = _json_safe(clean)[name]
                continue
        ask.append(name)
        clean, _ = library.validate_values([var], {})
        kept[name] = _json_safe(clean)[name]
    return kept, ask


def upgrade_clause(
    *, session: Session, actor: Actor, tender_id: int, link_id: int, lock_version: Any
) -> tuple[TenderClause, list[str]]:
    """Pin the latest approved version, keeping values that still apply; return the names to review."""
    tender = get_tender(session=session, actor=actor, tender_id=tender_id)
    check_lock(session, tender, lock_version)
    row = get_clause_row(session=session, tender=tender, link_id=link_id)
    latest = row.newer
    if latest is None or latest.id is None:
        raise Conflict(f"La clause {row.clause.key} est déjà à sa dernière version approuvée.")
    values, ask = _carry_values(row.version, latest, row.link.values)
    keys = [v["key"] for v in latest.variants]
    variant = (
        row.link.variant
        if row.link.variant in keys
        else rules.default_variant(latest.variants, profile_of(tender))
    )
    old_number = row.version.number
    row.link.clause_version_id = latest.id
    row.link.values = values
    row.link.variant = variant if keys else ""
    session.add(row.link)
    touch(
        session,
        actor,
        tender,
        "tender.clause_upgrade",
        {"key": row.clause.key, "from": old_number, "to": latest.number, "ask": ask},
    )
    session.commit()
    return row.link, ask
