"""A clause's history: who did what on each version, and word-level comparison of versions."""

from __future__ import annotations

import yaml
from sqlmodel import Session, col, select

from procure.clause_library.models import Clause, ClauseVersion
from procure.clause_library.services.catalogue import (
    clause_of,
    get_version,
    spec_of,
    versions_of,
)
from procure.clause_library.services.clause_spec import ClauseSpec
from procure.clause_library.services.comparison import metadata_rows, text_segments
from procure.clause_library.services.diff import word_diff
from procure.core import audit
from procure.core.audit import Actor
from procure.core.errors import ValidationError
from procure.core.models import AuditEvent, User

ACTION_LABELS = {
    "clause.create": "a créé le brouillon",
    "clause.sync": "a importé le brouillon depuis les fichiers",
    "clause.update": "a modifié le brouillon",
    "clause.submit": "a soumis à relecture",
    "clause.approve": "a approuvé",
    "clause.reject": "a rejeté",
    "clause.deprecate": "a retiré",
}


def record_version_event(
    session: Session,
    actor: Actor,
    action: str,
    clause: Clause,
    version: ClauseVersion,
    **details: object,
) -> None:
    """Write the audit event of `action` on a clause version (in the caller's transaction):
    the timeline reads these back."""
    audit.record(
        session,
        actor,
        action,
        record_type="clause_version",
        record_id=version.id,
        details={"key": clause.key, "number": version.number, **details},
    )


def timeline(*, session: Session, clause_id: int) -> list[dict]:
    """Who did what on each version of a clause, oldest first (from the audit log)."""
    versions = {str(v.id): v for v in versions_of(session=session, clause_id=clause_id)}
    if not versions:
        return []
    events = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.record_type == "clause_version",
            col(AuditEvent.record_id).in_(list(versions)),
        )
        .order_by(col(AuditEvent.id))
    ).all()
    names = {u.id: u.display_name for u in session.exec(select(User)).all()} if events else {}
    return [
        {
            "at": e.at,
            "who": names.get(e.actor_id, e.actor_email),
            "action": e.action,
            "label": ACTION_LABELS.get(e.action, e.action),
            "number": versions[e.record_id].number,
            "comment": (e.details or {}).get("comment", ""),
        }
        for e in events
    ]


def compare(*, session: Session, a_id: int, b_id: int) -> dict:
    """Two versions of one clause compared: the readable text ("text", see
    `comparison.text_segments`), the other fields that differ ("fields"), and the raw word
    diffs of title, header and body (for scripts)."""
    a, b = (
        get_version(session=session, version_id=a_id),
        get_version(session=session, version_id=b_id),
    )
    if a.clause_id != b.clause_id:
        raise ValidationError("Les deux versions comparées doivent appartenir à la même clause.")
    clause = clause_of(session=session, version=a)
    spec_a, spec_b = spec_of(clause, a), spec_of(clause, b)

    def header(spec: ClauseSpec) -> str:
        meta = spec.front_matter()
        for name in ("key", "family", "title"):
            meta.pop(name, None)
        return yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=100_000)

    return {
        "a": a,
        "b": b,
        "text": text_segments(a, b),
        "fields": metadata_rows(a, b),
        "title": word_diff(a.title, b.title),
        "header": word_diff(header(spec_a), header(spec_b)),
        "body": word_diff(a.body, b.body),
        "same": a.content_hash == b.content_hash,
    }
