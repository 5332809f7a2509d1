"""Demo data of the room, loaded once and idempotently by `procure demo`."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import select

from procure.clause_library.models import Clause, ClauseVersion
from procure.clause_library.services import (
    ClauseFormatError,
    approve,
    parse_clause_text,
    submit,
    sync_directory,
)
from procure.core.audit import Actor
from procure.core.db import session_scope
from procure.core.models import User


def load(*, engine: Engine, users: dict[str, User], echo=print) -> None:
    """Sync the bundled library as the demo legal user, then approve it as the second one."""
    from procure.core.resources import resource_dir

    author, reviewer = Actor.of(users["legal"], "demo"), Actor.of(users["legal2"], "demo")
    directory = resource_dir("clauses")
    with session_scope(engine) as session:
        report = sync_directory(session=session, actor=author, directory=directory)
        for error in report.errors:
            echo(f"Clause refusée : {error}")
        approved = 0
        for path in sorted(directory.rglob("*.md")):
            try:
                spec = parse_clause_text(
                    path.read_text(encoding="utf-8"),
                    filename=path.relative_to(directory).as_posix(),
                )
            except ClauseFormatError:
                continue
            version = session.exec(
                select(ClauseVersion)
                .join(Clause)
                .where(Clause.key == spec.key, ClauseVersion.content_hash == spec.content_hash())
            ).first()
            if version is None or version.author_id != author.user_id:
                continue
            if version.status == "draft":
                submit(session=session, actor=author, version_id=version.id)
            if version.status == "in_review":
                approve(
                    session=session,
                    actor=reviewer,
                    version_id=version.id,
                    comment="Approuvée pour la démonstration.",
                )
                approved += 1
    echo(
        f"Clauses : {len(report.created)} version(s) importée(s), {approved} approuvée(s), "
        f"{len(report.unchanged)} inchangée(s)."
    )
