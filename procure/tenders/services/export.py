"""Exporting a tender's pieces through the document store, and the recorded exports."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import procure.documents as documents
from procure.core import audit, jobs
from procure.core.audit import Actor
from procure.core.db import session_scope
from procure.core.errors import NotFound, ValidationError
from procure.documents.store import DocumentStore
from procure.tenders.models import Tender, TenderDocument
from procure.tenders.services.access import get_tender
from procure.tenders.services.choices import (
    FORMATS,
    PIECES,
)
from procure.tenders.services.clauses import tender_clauses
from procure.tenders.services.compliance import check
from procure.tenders.services.spec import build_spec


def export(
    *,
    session: Session,
    actor: Actor,
    tender_id: int,
    piece: str,
    fmt: str,
    store: DocumentStore,
) -> TenderDocument:
    """Export one piece after the compliance check (blocked by errors); record hash and manifest.

    The file is written by the document store (`tenders/<tender id>/`), so that every recorded
    export has its file where `store.locate` finds it. Nothing half-written: if writing or
    recording fails, the file is removed and the session rolled back.
    """
    piece = (piece or "").upper()
    fmt = (fmt or "").lower()
    if piece not in PIECES:
        raise ValidationError(
            f"Pièce inconnue : {piece} (RC, CCAP ou CCTP).", fields={"piece": "RC, CCAP ou CCTP."}
        )
    if fmt not in FORMATS:
        raise ValidationError(
            f"Format inconnu : {fmt} (docx ou odt).", fields={"format": "docx ou odt."}
        )
    tender = get_tender(session=session, actor=actor, tender_id=tender_id)
    rows = tender_clauses(session=session, tender=tender)
    findings = check(session=session, tender=tender, rows=rows)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise ValidationError(
            f"Export refusé : la vérification de conformité signale {len(errors)} erreur(s). "
            + " ".join(f.message for f in errors[:5]),
            fields={f.code: f.message for f in errors},
        )
    spec, manifest = build_spec(session=session, tender=tender, piece=piece, rows=rows)
    # The text as written (no need to re-read the file we are about to write).
    body_text = "\n".join(text for _block, text in documents.numbered_headings(spec.blocks) if text)
    assert tender.id is not None  # read from the database
    path = store.new_path("tenders", tender.id, stem=f"{tender.reference}-{piece}", fmt=fmt)
    writer = documents.write_docx if fmt == "docx" else documents.write_odt
    with store.writing():  # until the row is committed: recovery leaves this file alone
        try:
            digest = writer(spec, path)
            doc = TenderDocument(
                tender_id=tender.id,
                piece=piece,
                format=fmt,
                filename=path.name,
                sha256=digest,
                manifest=manifest,
                created_by=actor.user_id,
                body_text=body_text,
            )
            session.add(doc)
            session.flush()
            audit.record(
                session,
                actor,
                "tender.export",
                record_type="tender",
                record_id=tender.id,
                details={
                    "reference": tender.reference,
                    "piece": piece,
                    "format": fmt,
                    "sha256": digest,
                    "document_id": doc.id,
                    "clauses": [f"{m['key']}@{m['version']}" for m in manifest],
                    "warnings": [f.code for f in findings if f.severity == "warning"],
                    "lock_version": tender.lock_version,
                },
            )
            jobs.fault_point("tender.export.before_commit")  # a test hook (issue 15), else a no-op
            session.commit()
        except Exception:
            session.rollback()
            path.unlink(missing_ok=True)  # not recorded: leave no unrecorded export behind
            raise
    return doc


# The analysis report is stored with the tender's pieces but served by the evaluation room only,
# which applies blind scoring to it (issue 10): the tenders room neither lists nor serves it.
EVALUATION_PIECES = ("RAO",)


def list_documents(*, session: Session, tender: Tender) -> list[TenderDocument]:
    """The tender's exported DCE pieces, newest first (not the evaluation report)."""
    return list(
        session.exec(
            select(TenderDocument)
            .where(
                TenderDocument.tender_id == tender.id,
                col(TenderDocument.piece).not_in(EVALUATION_PIECES),
            )
            .order_by(col(TenderDocument.id).desc())
        ).all()
    )


def get_document(
    *, session: Session, actor: Actor, tender_id: int, document_id: int
) -> TenderDocument:
    tender = get_tender(session=session, actor=actor, tender_id=tender_id)
    doc = session.get(TenderDocument, document_id)
    if doc is None or doc.tender_id != tender.id or doc.piece in EVALUATION_PIECES:
        raise NotFound("Document introuvable.")
    return doc


def recover_exports(engine: Engine, store: DocumentStore) -> list[str]:
    """Move the export files that no document row names (their writer was killed between the
    file and the commit) to the store's quarantine folder, each with a `document.quarantined`
    audit event; returns their new paths. Does nothing while an export is being written.
    Called when a server or worker starts and when jobs are listed."""
    moved: list[tuple[int, str, Path]] = []
    with store.exclusive() as idle:
        if not idle:
            return []
        with session_scope(engine) as session:  # reads only while the lock is held
            recorded = set(session.exec(select(TenderDocument.tender_id, TenderDocument.filename)))
        for tender_id, path in store.files("tenders"):
            if (tender_id, path.name) not in recorded:
                moved.append((tender_id, path.name, store.quarantine("tenders", tender_id, path)))
    if moved:
        with session_scope(engine) as session:
            for tender_id, name, dest in moved:
                audit.record(
                    session,
                    Actor.system("recovery"),
                    "document.quarantined",
                    record_type="tender",
                    record_id=tender_id,
                    details={"file": name, "moved_to": str(dest.relative_to(store.root))},
                )
            session.commit()
    return [str(dest) for _id, _name, dest in moved]
