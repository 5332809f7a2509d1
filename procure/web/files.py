"""Serving stored documents: the one view helper that sends an exported file."""

from __future__ import annotations

from flask import current_app, send_file

from procure.documents.store import DocumentStore


def document_store() -> DocumentStore:
    return current_app.extensions["procure.documents"]


def send_document(kind: str, record_id: int, filename: str, fmt: str):
    """Send the stored file of a document row as a download (404 in French when it is gone)."""
    store = document_store()
    path = store.locate(kind, record_id, filename)
    return send_file(
        path, mimetype=store.mimetype(fmt), as_attachment=True, download_name=path.name
    )
