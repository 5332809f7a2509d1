"""What the tenders room reads from the clause library: approved versions and proposals."""

from __future__ import annotations

from sqlmodel import Session, col, select

from procure.clause_library.models import Clause, ClauseVersion
from procure.tenders import legal, rules
from procure.tenders.models import Tender


def profile_of(tender: Tender) -> dict:
    """The profile the rules read: the tender's flags and the facts derived from them."""
    sren = tender.buyer_kind == "etat" and tender.particularly_sensitive_data
    return {
        "ai_high_risk": tender.ai_high_risk,
        "personal_data": tender.personal_data,
        # Data of particular sensitivity (SREN art. 31) is sensitive data too (clause conditions).
        "sensitive_data": tender.sensitive_data or tender.particularly_sensitive_data,
        "interacts_with_people": tender.interacts_with_people,
        "health_data": tender.health_data,
        "particularly_sensitive_data": tender.particularly_sensitive_data,
        "defence_or_security": tender.defence_or_security,
        "buyer_kind": tender.buyer_kind,
        "environment_required": legal.environment_required(
            tender.launch_date, tender.defence_or_security
        ),
        "sren_applies": sren,
        "sensitive_outside_sren": (tender.sensitive_data or tender.particularly_sensitive_data)
        and not sren,
    }


def approved_versions(session: Session) -> list[tuple[Clause, ClauseVersion]]:
    """The latest approved version of every clause, ordered by key."""
    rows = session.exec(
        select(Clause, ClauseVersion)
        .join(ClauseVersion, col(ClauseVersion.clause_id) == col(Clause.id))
        .where(ClauseVersion.status == "approved")
        .order_by(Clause.key, col(ClauseVersion.number).desc())
    ).all()
    latest: dict[int, tuple[Clause, ClauseVersion]] = {}
    for clause, version in rows:
        assert clause.id is not None  # rows read from the database
        latest.setdefault(clause.id, (clause, version))
    return sorted(latest.values(), key=lambda cv: cv[0].key)


def latest_approved(session: Session, clause_id: int) -> ClauseVersion | None:
    return session.exec(
        select(ClauseVersion)
        .where(ClauseVersion.clause_id == clause_id, ClauseVersion.status == "approved")
        .order_by(col(ClauseVersion.number).desc())
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
    return _with_dependencies(out, approved_versions(session), profile)


def _with_dependencies(
    chosen: list[tuple[Clause, ClauseVersion, rules.Rule]],
    library: list[tuple[Clause, ClauseVersion]],
    profile: dict,
) -> list[tuple[Clause, ClauseVersion, rules.Rule]]:
    """Add, until nothing is missing, a clause covering each subject a chosen clause depends on
    (the first by key whose own conditions hold for the profile)."""
    rule = rules.RULES_BY_ID["R19-dependances"]
    keys = {clause.key for clause, _v, _r in chosen}
    while True:
        covered = {s for _c, v, _r in chosen for s in v.covers}
        missing = [
            d["subject"]
            for _c, v, _r in chosen
            for d in (v.depends or [])
            if d.get("subject") not in covered
        ]
        added = False
        for subject in dict.fromkeys(missing):
            for clause, version in library:
                if (
                    clause.key not in keys
                    and subject in version.covers
                    and rules.clause_fits(version.conditions, profile)
                ):
                    chosen.append((clause, version, rule))
                    keys.add(clause.key)
                    added = True
                    break
        if not added:
            return chosen
