"""The library and its files: sync a folder of clause files into drafts, export the approved."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, col, select

from procure.clause_library.models import Clause, ClauseVersion
from procure.clause_library.services.access import require_legal
from procure.clause_library.services.catalogue import approved_library, spec_of, stored_id
from procure.clause_library.services.clause_spec import ClauseFormatError, ClauseSpec
from procure.clause_library.services.drafts import new_version
from procure.clause_library.services.lint import lint_texts, read_directory
from procure.core.audit import Actor
from procure.core.errors import DomainError, ValidationError


@dataclass
class SyncReport:
    created: list[tuple[str, int]] = field(default_factory=list)  # (key, version number)
    unchanged: list[str] = field(default_factory=list)
    errors: list[ClauseFormatError] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "created": [{"key": k, "version": n} for k, n in self.created],
            "unchanged": self.unchanged,
            "errors": [
                {"file": e.file, "line": e.line, "field": e.field, "message": e.message}
                for e in self.errors
            ],
        }


def sync_directory(*, session: Session, actor: Actor, directory: Path | str) -> SyncReport:
    """Read every `*.md` under `directory`; a file whose content is new becomes a draft version.

    Each file is validated and stored on its own (all or nothing per file); a bad file is
    reported with file, line and field and the others still sync. A file whose content equals
    any existing version of its clause changes nothing.
    """
    if actor.user_id is not None:
        require_legal(actor, "synchroniser la bibliothèque")
    directory = Path(directory)
    if not directory.is_dir():
        raise ValidationError(
            f"Dossier introuvable : {directory}.", fields={"directory": "dossier introuvable"}
        )
    report = SyncReport()
    texts, unreadable = read_directory(directory)
    report.errors.extend(unreadable)
    # The reviewer's checks (docs/checklist-juriste.md) refuse a file just as a parse error
    # does; a dependency may be covered by a clause already in the library.
    linted = lint_texts(texts, also_covered=library_subjects(session))
    refused = linted.refused_files()
    report.errors.extend(linted.findings)
    specs: list[tuple[str, ClauseSpec]] = [
        (name, spec) for name, spec, _text in linted.clauses if name not in refused
    ]
    files_by_key: dict[str, list[str]] = {}
    for name, spec in specs:
        files_by_key.setdefault(spec.key, []).append(name)
    for name, spec in specs:
        others = [f for f in files_by_key[spec.key] if f != name]
        if others:
            report.errors.append(
                ClauseFormatError(
                    f"clé en double : « {spec.key} » est aussi la clé de {', '.join(others)} ; aucun de ces "
                    "fichiers n'est importé.",
                    file=name,
                    line=2,
                    field="key",
                )
            )
            continue
        try:
            created = _store_spec(session, actor, spec, name)
            session.commit()
        except DomainError as exc:
            session.rollback()
            report.errors.append(ClauseFormatError(exc.message, file=name))
            continue
        if created:
            report.created.append((spec.key, created.number))
        else:
            report.unchanged.append(spec.key)
    return report


def library_subjects(session: Session) -> set[str]:
    """Subjects covered by the latest version of any clause already in the library."""
    latest: dict[int, tuple[int, list]] = {}
    for clause_id, number, covers in session.exec(
        select(ClauseVersion.clause_id, ClauseVersion.number, ClauseVersion.covers)
    ).all():
        if clause_id not in latest or number > latest[clause_id][0]:
            latest[clause_id] = (number, list(covers or []))
    return {subject for _n, covers in latest.values() for subject in covers}


def _store_spec(
    session: Session, actor: Actor, spec: ClauseSpec, filename: str
) -> ClauseVersion | None:
    clause = session.exec(select(Clause).where(Clause.key == spec.key)).first()
    if clause is None:
        clause = Clause(key=spec.key, family=spec.family)
        session.add(clause)
        session.flush()
    known = session.exec(
        select(ClauseVersion.id).where(
            col(ClauseVersion.clause_id) == stored_id(clause),
            ClauseVersion.content_hash == spec.content_hash(),
        )
    ).first()
    if known is not None:
        return None
    return new_version(
        session,
        actor,
        clause,
        spec,
        change_note=f"Importé depuis {filename}",
        action="clause.sync",
        details={"file": filename},
    )


def export_library(*, session: Session, directory: Path | str) -> list[Path]:
    """Write the latest approved version of each clause to `directory/<family>/<name>.md`."""
    directory = Path(directory)
    written = []
    for clause, version in approved_library(session=session):
        spec = spec_of(clause, version)
        path = directory / clause.family / f"{spec.name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(spec.to_front_matter_text(), encoding="utf-8")
        written.append(path)
    return written
