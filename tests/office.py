"""LibreOffice headless as a real client: convert exported documents to PDF and read the PDF text.

LibreOffice is slow to start (about 3 s), so `to_pdfs` converts several files in one call.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def soffice() -> str:
    """The soffice binary; skips the test when it is missing, fails it under CI."""
    binary = shutil.which("soffice") or shutil.which("libreoffice")
    if not binary:
        if IN_CI:
            pytest.fail("LibreOffice (soffice) est introuvable alors que CI=true.")
        pytest.skip("LibreOffice (soffice) n'est pas installé.")
    return binary


def to_pdfs(paths: list[Path], outdir: Path | None = None) -> list[Path]:
    """Convert every file to PDF with one soffice run; stems are made unique first."""
    paths = [Path(p) for p in paths]
    outdir = Path(outdir or tempfile.mkdtemp(prefix="pdf-"))
    staging = outdir / "in"
    staging.mkdir(parents=True, exist_ok=True)
    staged = []
    for i, path in enumerate(paths):
        copy = staging / f"{i:03d}-{path.stem}{path.suffix}"
        shutil.copyfile(path, copy)
        staged.append(copy)
    # A private profile: concurrent runs must not share (and lock) the user's profile.
    profile = Path(tempfile.mkdtemp(prefix="lo-profile-"))
    try:
        result = subprocess.run(
            [
                soffice(),
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
                str(outdir),
                *map(str, staged),
            ],
            capture_output=True,
            text=True,
            timeout=240,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    pdfs = [outdir / f"{p.stem}.pdf" for p in staged]
    missing = [p.name for p in pdfs if not p.exists() or p.stat().st_size == 0]
    assert result.returncode == 0 and not missing, (
        f"LibreOffice n'a pas converti {missing} : {result.stdout} {result.stderr}"
    )
    return pdfs


def to_pdf(path: Path) -> Path:
    return to_pdfs([path])[0]


def pdf_text(path: Path) -> str:
    """The text of every page, with whitespace collapsed to single spaces."""
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)
    return " ".join(text.split())
