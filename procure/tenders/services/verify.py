"""Verifying an exported DOCX/ODT against what was exported, clause by clause."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlmodel import Session, col, select

import procure.documents as documents
from procure.clause_library import services as library
from procure.clause_library.models import Clause, ClauseVersion
from procure.core.audit import Actor
from procure.core.errors import NotFound
from procure.tenders.models import TenderDocument
from procure.tenders.services.access import find_by_reference, get_tender
from procure.tenders.services.choices import (
    PIECES,
)


def _norm(text: str) -> str:
    return " ".join((text or "").split())


def verify(*, session: Session, actor: Actor, path: str | Path) -> dict:
    """Compare an exported DOCX/ODT with what was exported: file hash, then clause by clause."""
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
                "latest_version": latest.number if latest else None,
            }
        )
    return {
        "file": str(path),
        "sha256": digest,
        "document_id": doc.id,
        "tender_id": tender.id,
        "reference": tender.reference,
        "piece": doc.piece,
        "format": doc.format,
        "found_by": found_by,
        "file_unchanged": digest == doc.sha256,
        "clauses": clauses,
        "summary": {
            s: sum(1 for c in clauses if c["status"] == s)
            for s in ("conforme", "modifiee", "absente")
        },
    }
