"""Importing supplier data: the file upload, the import itself (a job) and the merge proposals
it leaves behind for suppliers without SIREN that look like a known one."""

from __future__ import annotations

import json
import re
import secrets
import time
from dataclasses import dataclass
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


# A file refused with its form (no format chosen...) is held for the person's next try, since a
# browser cannot refill a file input: in the instance's upload area, named by an opaque token.
HELD_FOLDER = "held"
HELD_SECONDS = 3600  # a held file older than this is deleted
HELD_MAX_FILES = 50  # at most this many held files in all (the oldest go first)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


@dataclass(frozen=True)
class HeldUpload:
    token: str
    filename: str


class UploadRefused(ValidationError):
    """The import form refused; `held` names the uploaded file kept for the next try."""

    def __init__(self, message: str, *, fields: dict[str, str], held: HeldUpload | None):
        super().__init__(message, fields=fields)
        self.held = held


def _held_dir(upload_dir: str) -> Path:
    return Path(upload_dir) / "uploads" / HELD_FOLDER


def _purge_held(folder: Path) -> None:
    """Delete held files past their time, then the oldest beyond the count bound."""
    now = time.time()
    files = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
    for i, meta in enumerate(files):
        if now - meta.stat().st_mtime > HELD_SECONDS or len(files) - i > HELD_MAX_FILES:
            meta.with_suffix(".bin").unlink(missing_ok=True)
            meta.unlink(missing_ok=True)


def hold_upload(*, upload_dir: str, actor: Actor, filename: str, data: bytes) -> HeldUpload:
    """Keep an uploaded file for the same person's next try; returns its opaque token."""
    folder = _held_dir(upload_dir)
    folder.mkdir(parents=True, exist_ok=True)
    _purge_held(folder)
    token = secrets.token_urlsafe(24)
    name = Path(filename).name[:200] or "fichier"
    (folder / f"{token}.bin").write_bytes(data)
    meta = {"filename": name, "user_id": actor.user_id, "size": len(data)}
    (folder / f"{token}.json").write_text(json.dumps(meta), encoding="utf-8")
    return HeldUpload(token, name)


def held_upload(*, upload_dir: str, actor: Actor, token: str) -> tuple[HeldUpload, Path] | None:
    """The file held under `token` for this person, or None (unknown, expired or not theirs)."""
    if not token or not _TOKEN.fullmatch(token):
        return None
    folder = _held_dir(upload_dir)
    meta_path, data_path = folder / f"{token}.json", folder / f"{token}.bin"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if time.time() - meta_path.stat().st_mtime > HELD_SECONDS or not data_path.exists():
            return None
    except (OSError, ValueError):
        return None
    if meta.get("user_id") != actor.user_id:
        return None
    return HeldUpload(token, str(meta.get("filename") or "fichier")), data_path


def _release_held(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.with_suffix(".json").unlink(missing_ok=True)


def submit_import(
    *,
    session: Session,
    queue: JobQueue,
    actor: Actor,
    upload_dir: str,
    fmt: str,
    filename: str,
    data: bytes,
    held_token: str = "",
) -> Job:
    """Check an uploaded file, keep it and queue its import (the web's import form).

    A new file replaces a held one; without a new file, the file held under `held_token` (from
    an earlier refused try) is used. When the form is refused, the file is held and named in
    the error (`UploadRefused.held`), so the person does not have to choose it again.
    """
    held = None if data else held_upload(upload_dir=upload_dir, actor=actor, token=held_token)
    if held:
        filename, data = held[0].filename, held[1].read_bytes()
    errors = {}
    if fmt not in FORMATS:
        errors["format"] = "Choisissez le format du fichier."
    if not filename:
        errors["fichier"] = "Choisissez un fichier."
    elif not data:
        errors["fichier"] = f"{filename} est vide."
    if errors:
        if held:
            kept: HeldUpload | None = held[0]
        elif data:
            kept = hold_upload(upload_dir=upload_dir, actor=actor, filename=filename, data=data)
        else:
            kept = None
        message = (
            "Import impossible : le fichier est vide."
            if list(errors) == ["fichier"] and filename
            else "Import impossible : corrigez les champs signalés."
        )
        raise UploadRefused(message, fields=errors, held=kept)
    path = save_upload(upload_dir=upload_dir, filename=filename, data=data)
    if held:
        _release_held(held[1])
    return jobs.submit(
        session=session,
        queue=queue,
        actor=actor,
        kind="sourcing.import",
        params={"path": path, "format": fmt, "filename": filename, "delete_after": True},
        label=f"Import {filename}",
    )
