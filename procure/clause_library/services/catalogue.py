"""Reading the library: clauses, their versions, the approved library, a version's text."""

from __future__ import annotations

from sqlmodel import Session, col, select

from procure.clause_library.models import Clause, ClauseVersion
from procure.clause_library.services.clause_spec import ClauseSpec
from procure.clause_library.services.rendering import render_blocks
from procure.clause_library.services.values import validate_values
from procure.clause_library.services.vocabulary import CONTENT_FIELDS, FAMILIES
from procure.core.errors import NotFound


def stored_id(record: Clause | ClauseVersion) -> int:
    """The id of a stored row (a row read from the database, or flushed, always has one)."""
    if record.id is None:
        raise ValueError(f"{type(record).__name__} not stored yet: it has no id.")
    return record.id


def clause_of(*, session: Session, version: ClauseVersion) -> Clause:
    """The clause a version belongs to."""
    clause = session.get(Clause, version.clause_id)
    if clause is None:
        raise NotFound(f"Clause introuvable pour la version {version.id}.")
    return clause


def spec_of(clause: Clause, version: ClauseVersion) -> ClauseSpec:
    """The version's content as a ClauseSpec (what the file would hold)."""
    return ClauseSpec(
        key=clause.key,
        family=clause.family,
        **{name: getattr(version, name) for name in CONTENT_FIELDS},
    )


def get_clause(*, session: Session, key: str) -> Clause:
    clause = session.exec(select(Clause).where(Clause.key == key)).first()
    if clause is None:
        raise NotFound(f"Clause introuvable : {key}.")
    return clause


def get_version(*, session: Session, version_id: int) -> ClauseVersion:
    version = session.get(ClauseVersion, version_id)
    if version is None:
        raise NotFound(f"Version de clause introuvable : {version_id}.")
    return version


def versions_of(*, session: Session, clause_id: int) -> list[ClauseVersion]:
    return list(
        session.exec(
            select(ClauseVersion)
            .where(ClauseVersion.clause_id == clause_id)
            .order_by(col(ClauseVersion.number))
        ).all()
    )


def get_version_by_number(
    *, session: Session, key: str, number: int | None = None
) -> tuple[Clause, ClauseVersion]:
    """A clause's version N, or (no N) its latest approved version, else its latest version."""
    clause = get_clause(session=session, key=key)
    versions = versions_of(session=session, clause_id=stored_id(clause))
    if number is not None:
        for version in versions:
            if version.number == number:
                return clause, version
        raise NotFound(f"La clause {key} n'a pas de version {number}.")
    approved = [v for v in versions if v.status == "approved"]
    if not versions:
        raise NotFound(f"La clause {key} n'a aucune version.")
    return clause, (approved or versions)[-1]


def latest_approved(*, session: Session, key: str) -> ClauseVersion | None:
    """The approved version with the highest number, or None."""
    return session.exec(
        select(ClauseVersion)
        .join(Clause)
        .where(Clause.key == key, ClauseVersion.status == "approved")
        .order_by(col(ClauseVersion.number).desc())
    ).first()


def approved_library(*, session: Session) -> list[tuple[Clause, ClauseVersion]]:
    """The latest approved version of each clause, by family then key."""
    rows = session.exec(
        select(Clause, ClauseVersion)
        .join(ClauseVersion)
        .where(ClauseVersion.status == "approved")
        .order_by(col(Clause.key), col(ClauseVersion.number))
    ).all()
    latest: dict[int, tuple[Clause, ClauseVersion]] = {}
    for clause, version in rows:
        latest[stored_id(clause)] = (clause, version)
    order = {family: i for i, family in enumerate(FAMILIES)}
    return sorted(latest.values(), key=lambda cv: (order.get(cv[0].family, 99), cv[0].key))


def render_version(
    version: ClauseVersion, variant: str | None = None, values: dict | None = None
) -> list[tuple[str, str]]:
    """The version's text with `values` (defaults for the rest): [("p" | "li", text)]."""
    clean, _errors = validate_values(version.variables, values or {})
    return render_blocks(version.body, version.variables, variant, clean, variants=version.variants)


def version_summary(clause: Clause, version: ClauseVersion) -> dict:
    """What `procure clauses list/show --json` print for scripts."""
    return {
        "key": clause.key,
        "family": clause.family,
        "title": version.title,
        "piece": version.piece,
        "status": version.status,
        "version": version.number,
        "version_id": version.id,
        "variables": version.variables,
        "variants": version.variants,
        "conditions": version.conditions,
        "covers": version.covers,
        "references": version.references,
        "departures": version.departures,
        "depends": version.depends,
        "content_hash": version.content_hash,
    }
