"""The one place that decides where exported files live, names them and finds them again.

Every exported file (tender pieces, analysis reports, sourcing reports) is written under the
instance's export folder by this store, in a folder of its record (`tenders/<id>/`,
`shortlists/<id>/`), so that a document row and its file are always found the same way.

A kill -9 between writing an export's file and committing its row would leave a file that no row
names. Writers hold the store's lock (shared) from the file's write to the row's commit
(`writing`); recovery takes it exclusively (`exclusive`), so every unrecorded file it finds is
from a writer that died, and moves it to `quarantaine/` (`quarantine`), never one in flight.
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
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

    @contextmanager
    def _locked(self, mode: int) -> Iterator[bool]:
        # flock on the folder itself: no lock file that would make an empty instance look used.
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, mode)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # releases the lock; a killed process releases it too

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold this from writing an export's file until its row is committed (or removed)."""
        with self._locked(fcntl.LOCK_SH):
            yield

    @contextmanager
    def exclusive(self) -> Iterator[bool]:
        """True when no export is being written (the lock is then held); False otherwise."""
        with self._locked(fcntl.LOCK_EX | fcntl.LOCK_NB) as held:
            yield held

    def files(self, kind: str) -> list[tuple[int, Path]]:
        """Every stored file of a kind (partial `.part` files included), with its record id."""
        base = self.root / kind
        if not base.is_dir():
            return []
        return [
            (int(folder.name), path)
            for folder in sorted(base.iterdir())
            if folder.is_dir() and folder.name.isdigit()
            for path in sorted(folder.iterdir())
            if path.is_file()
        ]

    def quarantine(self, kind: str, record_id: int, path: Path) -> Path:
        """Move an unrecorded file to `quarantaine/<kind>/<id>/` (kept for an operator to look at)."""
        dest = self.root / "quarantaine" / kind / str(int(record_id)) / path.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, dest)
        return dest

    @staticmethod
    def mimetype(fmt: str) -> str:
        return MIMETYPES.get(fmt, "application/octet-stream")
