"""Drafts: a new clause, a new version of a clause, saving a draft (with optimistic locking)."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col, select

from procure.clause_library.models import Clause, ClauseVersion
from procure.clause_library.services.access import require_legal
from procure.clause_library.services.catalogue import clause_of, get_version, spec_of, stored_id
from procure.clause_library.services.clause_spec import ClauseSpec
from procure.clause_library.services.diff import word_diff
from procure.clause_library.services.forms import spec_from_form
from procure.clause_library.services.history import record_version_event
from procure.clause_library.services.search import search_text
from procure.clause_library.services.vocabulary import CONTENT_FIELDS
from procure.core.audit import Actor
from procure.core.errors import Conflict
from procure.core.labels import STATUS_LABELS
from procure.core.models import User, utcnow


def new_version(
    session: Session,
    actor: Actor,
    clause: Clause,
    spec: ClauseSpec,
    *,
    change_note: str,
    action: str,
    details: dict | None = None,
) -> ClauseVersion:
    latest = session.exec(
        select(ClauseVersion)
        .where(col(ClauseVersion.clause_id) == stored_id(clause))
        .order_by(col(ClauseVersion.number).desc())
    ).first()
    version = ClauseVersion(
        clause_id=stored_id(clause),
        number=(latest.number + 1) if latest else 1,
        status="draft",
        content_hash=spec.content_hash(),
        change_note=change_note[:1000],
        author_id=actor.user_id,
        search_terms=search_text(spec),
        **{name: getattr(spec, name) for name in CONTENT_FIELDS},
    )
    session.add(version)
    session.flush()
    record_version_event(
        session,
        actor,
        action,
        clause,
        version,
        content_hash=version.content_hash,
        **(details or {}),
    )
    return version


def create_draft(
    *, session: Session, actor: Actor, data: dict, change_note: str = ""
) -> ClauseVersion:
    """Create a new clause from the form; its first version is a draft."""
    require_legal(actor, "créer une clause")
    spec = spec_from_form(data)
    if session.exec(select(Clause).where(Clause.key == spec.key)).first():
        raise Conflict(
            f"La clé {spec.key} existe déjà : modifiez cette clause au lieu d'en créer une autre.",
            fields={"name": "clé déjà utilisée"},
        )
    clause = Clause(key=spec.key, family=spec.family)
    session.add(clause)
    session.flush()
    version = new_version(
        session, actor, clause, spec, change_note=change_note or "Création", action="clause.create"
    )
    session.commit()
    return version


def new_draft_from(
    *, session: Session, actor: Actor, version_id: int, data: dict, change_note: str = ""
) -> ClauseVersion:
    """A new draft version of an existing clause (the way to change a reviewed version)."""
    require_legal(actor, "modifier une clause")
    base = get_version(session=session, version_id=version_id)
    clause = clause_of(session=session, version=base)
    spec = spec_from_form({**data, "family": clause.family, "name": clause.key.split(".", 1)[1]})
    version = new_version(
        session,
        actor,
        clause,
        spec,
        change_note=change_note or f"Révision de la version {base.number}",
        action="clause.create",
        details={"from_version": base.number},
    )
    session.commit()
    return version


def update_draft(
    *,
    session: Session,
    actor: Actor,
    version_id: int,
    data: dict,
    lock_version: int,
    base_text: str = "",
    change_note: str | None = None,
) -> ClauseVersion:
    """Save a draft; refused with a conflict (and what the other person changed) when somebody
    saved it since `lock_version` was read."""
    require_legal(actor, "modifier une clause")
    version = get_version(session=session, version_id=version_id)
    clause = clause_of(session=session, version=version)
    _check_still_draft(version)
    spec = spec_from_form({**data, "family": clause.family, "name": clause.key.split(".", 1)[1]})
    if int(lock_version) != version.lock_version:
        _refuse_stale(session, clause, version, spec, base_text)
    if spec.content_hash() == version.content_hash and change_note in (None, version.change_note):
        return version
    # Compare-and-set, as for tenders (procure/tenders/services/locking.py): two saves of the same
    # version can both pass the check above when they run at once; only one UPDATE matches.
    expected, now = version.lock_version, utcnow()
    bumped = session.execute(
        update(ClauseVersion)
        .where(
            col(ClauseVersion.id) == version.id,
            col(ClauseVersion.lock_version) == expected,
            col(ClauseVersion.status) == "draft",
        )
        .values(lock_version=expected + 1, updated_by_id=actor.user_id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        session.refresh(version)
        _check_still_draft(version)
        _refuse_stale(session, clause, version, spec, base_text)
    for name in CONTENT_FIELDS:
        setattr(version, name, getattr(spec, name))
    version.content_hash = spec.content_hash()
    version.search_terms = search_text(spec)
    if change_note is not None:
        version.change_note = change_note[:1000]
    version.lock_version = expected + 1
    version.updated_by_id, version.updated_at = actor.user_id, now
    session.add(version)
    record_version_event(
        session,
        actor,
        "clause.update",
        clause,
        version,
        content_hash=version.content_hash,
        lock_version=version.lock_version,
    )
    session.commit()
    return version


def _check_still_draft(version: ClauseVersion) -> None:
    if version.status != "draft":
        raise Conflict(
            f"La version {version.number} est {STATUS_LABELS[version.status]} : elle ne peut plus "
            "être modifiée. Créez une nouvelle version."
        )


def _refuse_stale(
    session: Session, clause: Clause, version: ClauseVersion, spec: ClauseSpec, base_text: str
) -> None:
    """Refuse a save based on an older version, showing what the other person changed."""
    current = spec_of(clause, version).to_front_matter_text()
    who = session.get(User, version.updated_by_id) if version.updated_by_id else None
    raise Conflict(
        f"{who.display_name if who else 'Quelqu’un'} a enregistré ce brouillon pendant que vous le "
        "modifiiez. Votre texte est conservé ci-dessous : reportez-y ses changements, puis enregistrez.",
        changes={
            "diff": word_diff(base_text or spec.to_front_matter_text(), current),
            "by": who.display_name if who else "",
            "lock_version": version.lock_version,
        },
    )
