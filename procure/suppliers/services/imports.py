"""Importing supplier data: the file upload, the import itself (a job) and the merge proposals
it leaves behind for suppliers without SIREN that look like a known one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from procure.core import audit, jobs
from procure.core.audit import Actor
from procure.core.errors import ValidationError
from procure.core.jobs import JobQueue, Progress, Resources
from procure.core.models import Job
from sourcing.ingest import FORMATS, ImportFormatError, apply_rows, open_rows
from sourcing.match import duplicate_pairs
from sourcing.models import MergeProposal, Supplier

from .suppliers import name_index, row_id

FORMAT_LABELS = {
    "decp": "DECP (JSON, format 1 ou 2)",
    "sirene": "Extrait SIRENE (CSV)",
    "csv": "Liste de fournisseurs de l'acheteur (CSV)",
}


def import_data(
    *,
    session: Session,
    actor: Actor,
    data: bytes,
    fmt: str,
    filename: str,
    progress: Progress | None = None,
) -> dict:
    """Import one file: valid rows are written, rejected rows reported; one audit event."""
    if fmt not in FORMATS:
        raise ValidationError(
            f"Format inconnu : {fmt}.", fields={"format": f"Choisissez : {', '.join(FORMATS)}."}
        )
    if not data:
        raise ValidationError(
            f"{filename} : fichier vide.", fields={"fichier": "Le fichier est vide."}
        )
    try:
        source, total, rows = open_rows(data, fmt, filename)
    except ImportFormatError as exc:
        raise ValidationError(str(exc), fields={"fichier": str(exc)}) from exc
    del data  # the parsed records are all that is kept (a national file is large)
    if progress:  # before writing: on SQLite the job row cannot be updated inside this transaction
        progress(0, total, f"{total} lignes lues, enregistrement en cours")
    report = apply_rows(session, rows, source=source, filename=filename, total=total)
    proposals = propose_merges(session, report.supplier_ids)
    jobs.fault_point("sourcing.import.before_commit")
    result = report.as_dict()
    result["merge_proposals"] = proposals
    audit.record(
        session,
        actor,
        "sourcing.import",
        record_type="import",
        record_id=filename[:80],
        details={k: v for k, v in result.items() if k not in ("rejected_rows", "warnings")}
        | {"rejected_rows": result["rejected_rows"][:50]},
    )
    session.commit()
    if progress:
        progress(total, total, "import terminé")
    return result


def propose_merges(session: Session, touched: set[int]) -> int:
    """Suppliers without SIREN that look like another supplier become merge proposals."""
    new = [
        s
        for s in session.exec(
            select(Supplier).where(
                col(Supplier.siren).is_(None), col(Supplier.merged_into_id).is_(None)
            )
        ).all()
        if s.id in touched
    ]
    if not new:
        return 0
    index = name_index(session)
    existing = {(m.source_id, m.target_id) for m in session.exec(select(MergeProposal)).all()}
    count = 0
    for source_id, target_id, score in duplicate_pairs(index, candidates=[row_id(s) for s in new]):
        if (source_id, target_id) in existing:
            continue
        session.add(
            MergeProposal(
                source_id=source_id,
                target_id=target_id,
                score=score,
                reason="noms très proches (rapidfuzz, mots rares pondérés)",
            )
        )
        existing.add((source_id, target_id))
        count += 1
    session.flush()
    return count


@jobs.handler("sourcing.import")
def _import_job(
    *, session: Session, params: dict, progress: Progress, actor: Actor, resources: Resources
) -> dict:
    path = Path(params["path"])
    if not path.exists():
        raise ValidationError(f"Fichier d'import absent : {path.name} ; envoyez-le de nouveau.")
    try:
        result = import_data(
            session=session,
            actor=actor,
            data=path.read_bytes(),
            fmt=params["format"],
            filename=params.get("filename") or path.name,
            progress=progress,
        )
    except ValidationError:
        if params.get("delete_after"):  # a refused file: no rerun would change the outcome
            path.unlink(missing_ok=True)
        raise
    # Deleted only once imported: a job killed or interrupted before keeps its file, for a rerun.
    if params.get("delete_after"):
        path.unlink(missing_ok=True)
    return result


def save_upload(*, upload_dir: str, filename: str, data: bytes) -> str:
    folder = Path(upload_dir) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    safe = "".join(c for c in Path(filename).name if c.isalnum() or c in "._-")[:80] or "fichier"
    path = folder / f"{stamp}-{safe}"
    path.write_bytes(data)
    return str(path)


def submit_import(
    *,
    session: Session,
    queue: JobQueue,
    actor: Actor,
    upload_dir: str,
    fmt: str,
    filename: str,
    data: bytes,
) -> Job:
    """Check an uploaded file, keep it and queue its import (the web's import form)."""
    errors = {}
    if fmt not in FORMATS:
        errors["format"] = "Choisissez le format du fichier."
    if not filename:
        errors["fichier"] = "Choisissez un fichier."
    if errors:
        raise ValidationError("Import impossible : corrigez les champs signalés.", fields=errors)
    if not data:
        raise ValidationError(
            "Import impossible : le fichier est vide.", fields={"fichier": f"{filename} est vide."}
        )
    path = save_upload(upload_dir=upload_dir, filename=filename, data=data)
    return jobs.submit(
        session=session,
        queue=queue,
        actor=actor,
        kind="sourcing.import",
        params={"path": path, "format": fmt, "filename": filename, "delete_after": True},
        label=f"Import {filename}",
    )
