"""Verifying an exported DOCX/ODT against what was exported, clause by clause."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from sqlmodel import Session, col, select

import procure.documents as documents
from procure.clause_library import services as library
from procure.clause_library.models import Clause, ClauseVersion
from procure.core import audit
from procure.core.audit import Actor
from procure.core.errors import DomainError, Forbidden, NotFound, ValidationError
from procure.tenders.models import TenderDocument
from procure.tenders.services.access import find_by_reference, get_tender
from procure.tenders.services.choices import (
    PIECES,
)


def _norm(text: str) -> str:
    return " ".join((text or "").split())


# An uploaded file to verify: what the tender room accepts from the browser.
VERIFY_FORMATS = ("docx", "odt")
MAX_VERIFY_BYTES = 20 * 1024 * 1024


def diff_text(diff: list[dict], context: int = 40) -> str:
    """A word diff as one line of text: [-removed-] {+added+}, with `context` characters of
    unchanged text around each change (the rest elided as "…")."""
    out = []
    last = len(diff) - 1
    for i, d in enumerate(diff):
        text = re.sub(r"\s+", " ", d["text"]) if d["op"] == "equal" else d["text"]
        if d["op"] == "delete":
            out.append(f"[-{text}-]")
        elif d["op"] == "insert":
            out.append(f"{{+{text}+}}")
        elif len(text) <= 2 * context or last == 0:
            out.append(text)
        elif i == 0:
            out.append("…" + text[-context:])
        elif i == last:
            out.append(text[:context] + "…")
        else:
            out.append(text[:context] + " … " + text[-context:])
    return "".join(out)


def verify_upload(*, session: Session, actor: Actor, filename: str, data: bytes) -> dict:
    """Verify a DOCX/ODT sent from the browser: checked for size and type, then `verify`."""
    name = Path(filename or "").name
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in VERIFY_FORMATS:
        raise ValidationError(
            "Fichier : un document DOCX ou ODT exporté par Procure est attendu.",
            fields={"file": "DOCX ou ODT attendu."},
        )
    if not data:
        raise ValidationError("Fichier : le fichier est vide.", fields={"file": "Fichier vide."})
    if len(data) > MAX_VERIFY_BYTES:
        raise ValidationError(
            f"Fichier : {len(data) // (1024 * 1024)} Mo, au-delà de la limite de "
            f"{MAX_VERIFY_BYTES // (1024 * 1024)} Mo.",
            fields={"file": "Fichier trop volumineux."},
        )
    import tempfile
    import zipfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"verification.{suffix}"
        path.write_bytes(data)
        try:
            report = verify(session=session, actor=actor, path=path, shown_name=name)
        except (NotFound, Forbidden):
            raise
        except (DomainError, ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:
            # The reader refuses what is not a DOCX/ODT; say it beside the field.
            raise ValidationError(
                f"Fichier : « {name} » n'est pas un document {suffix.upper()} lisible.",
                fields={"file": "Document illisible."},
            ) from exc
    return report


def verify(
    *, session: Session, actor: Actor, path: str | Path, shown_name: str | None = None
) -> dict:
    """Compare an exported DOCX/ODT with what was exported: file hash, then clause by clause.

    Each edited clause carries its word diff against the pinned version's text; the
    verification is audited."""
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"Fichier introuvable : {path}.")
    with path.open("rb") as fh:  # streamed: the file's size does not become memory
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    paragraphs = documents.read_paragraphs(path)
    doc = session.exec(
        select(TenderDocument)
        .where(TenderDocument.sha256 == digest)
        .order_by(col(TenderDocument.id).desc())
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
        tender = find_by_reference(session=session, reference=reference) if reference else None
        if tender is None:
            raise NotFound(
                f"Aucun document exporté ne correspond à « {path.name} » (ni par empreinte, ni par "
                f"référence{' ' + reference if reference else ''})."
            )
        query = select(TenderDocument).where(TenderDocument.tender_id == tender.id)
        if piece:
            query = query.where(TenderDocument.piece == piece)
        fmt = path.suffix.lstrip(".").lower()
        candidates = session.exec(query.order_by(col(TenderDocument.id).desc())).all()
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
        changes: list[dict] = []
        if starts:
            start = starts[-1] + 1  # the last occurrence: the table of contents repeats the titles
            nxt = _norm(entry.get("next_heading", ""))
            end = next((j for j in range(start, len(norm)) if norm[j] == nxt), len(norm))
            actual = [p for p in norm[start:end] if p]
            if actual == expected:
                status, detail = "conforme", "Texte identique à la version épinglée."
            else:
                status = "modifiee"
                diff = library.word_diff("\n".join(expected), "\n".join(actual))
                changes = [{"op": op, "text": text} for op, text in diff]
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
            .join(Clause, col(Clause.id) == col(ClauseVersion.clause_id))
            .where(Clause.key == entry["key"], ClauseVersion.status == "approved")
            .order_by(col(ClauseVersion.number).desc())
        ).first()
        clauses.append(
            {
                "key": entry["key"],
                "version": entry["version"],
                "content_hash": entry["content_hash"],
                "status": status,
                "detail": detail,
                "diff": changes,
                "latest_version": latest.number if latest else None,
            }
        )
    summary = {
        s: sum(1 for c in clauses if c["status"] == s) for s in ("conforme", "modifiee", "absente")
    }
    audit.record(
        session,
        actor,
        "tender.verify",
        record_type="tender",
        record_id=tender.id,
        details={
            "file": shown_name or path.name,
            "sha256": digest,
            "document_id": doc.id,
            "summary": summary,
        },
    )
    session.commit()
    return {
        "file": shown_name or str(path),
        "sha256": digest,
        "document_id": doc.id,
        "tender_id": tender.id,
        "reference": tender.reference,
        "piece": doc.piece,
        "format": doc.format,
        "found_by": found_by,
        "file_unchanged": digest == doc.sha256,
        "clauses": clauses,
        "summary": summary,
    }
