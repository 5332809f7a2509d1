"""The one place that decides where exported files live, names them and finds them again.

Every exported file (tender pieces, analysis reports, sourcing reports) is written under the
instance's export folder by this store, in a folder of its record (`tenders/<id>/`,
`shortlists/<id>/`), so that a document row and its file are always found the same way.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from procure.core.errors import NotFound

MIMETYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "csv": "text/csv; charset=utf-8",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def safe_name(text: str) -> str:
    """A file-name-safe version of a reference ("DAE/2026-01" -> "DAE_2026-01")."""
    return _UNSAFE.sub("_", text)[:120] or "document"


class DocumentStore:
    """Exported files under `root`, one folder per owning record."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def folder(self, kind: str, record_id: int) -> Path:
        path = self.root / kind / str(int(record_id))
        path.mkdir(parents=True, exist_ok=True)
        return path

    def new_path(self, kind: str, record_id: int, *, stem: str, fmt: str) -> Path:
        """A fresh path for a new export: `<kind>/<id>/<stem>-<UTC timestamp>.<fmt>`."""
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S-%f")
        return self.folder(kind, record_id) / f"{safe_name(stem)}-{stamp}.{fmt}"

    def locate(self, kind: str, record_id: int, filename: str) -> Path:
        """The stored file of a document row; NotFound (in French) when it is gone."""
        name = Path(filename).name  # a row never names a file outside its folder
        path = self.root / kind / str(int(record_id)) / name
        if not path.is_file():
            raise NotFound(
                "Le fichier de ce document n'est plus sur le serveur (son empreinte reste "
                "enregistrée)."
            )
        return path

    @staticmethod
    def mimetype(fmt: str) -> str:
        return MIMETYPES.get(fmt, "application/octet-stream")
