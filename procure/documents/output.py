"""Atomic file output: write beside the target, rename, return the SHA-256."""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from pathlib import Path

from procure.core.errors import DomainError

# The errors of a full disk, a file-size limit or a quota, in French (found by the fault tests:
# they surfaced as a traceback).
FULL = {
    errno.ENOSPC: "le disque est plein",
    errno.EFBIG: "fichier trop gros pour la limite du système",
    errno.EDQUOT: "quota disque dépassé",
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _atomic_write(path: str | os.PathLike, write) -> str:
    """Call write(tmp_path) on a temp file beside `path`, then rename it; return its sha256."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        write(tmp)
        digest = _sha256(Path(tmp))
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if exc.errno in FULL:
            raise DomainError(
                f"Écriture de {target.name} impossible : {FULL[exc.errno]}. Rien n'a été "
                "enregistré ; libérez de la place puis recommencez.",
                status=507,
            ) from exc
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest
