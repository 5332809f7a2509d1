"""Reading back the text of an exported DOCX or ODT (verify, indexing, tests)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from procure.core.errors import DomainError

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"

# Bounds on a file read back (issue 10): a document part is read only up to MAX_PART_BYTES
# (checked against the zip's declared size and while inflating), and <text:s text:c="N"/>
# stands for at most MAX_SPACES spaces (a 205-byte ODT once asked for 4 GB).
MAX_PART_BYTES = 50 * 1024 * 1024
MAX_SPACES = 1000


def _parser():
    from lxml import etree

    # No entities, no network, no huge trees: documents are read as data, nothing more.
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def _docx_paragraph_text(p) -> str:
    out: list[str] = []
    for el in p.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}instrText"):
        if el.tag == f"{_W}t":
            out.append(el.text or "")
        elif el.tag == f"{_W}tab":
            out.append("\t")
        elif el.tag == f"{_W}br":
            out.append("\n")
    return "".join(out)


def _odt_text(el) -> str:
    out: list[str] = []

    def walk(node) -> None:
        if node.text:
            out.append(node.text)
        for child in node:
            tag = child.tag
            if tag == f"{{{_TEXT}}}s":
                out.append(" " * _space_count(child.get(f"{{{_TEXT}}}c", "1")))
            elif tag == f"{{{_TEXT}}}tab":
                out.append("\t")
            elif tag == f"{{{_TEXT}}}line-break":
                out.append("\n")
            elif tag == f"{{{_TEXT}}}note":
                pass
            else:
                walk(child)
            if child.tail:
                out.append(child.tail)

    walk(el)
    return "".join(out)


def _space_count(value: str) -> int:
    """The number of spaces a <text:s> stands for, between 1 and MAX_SPACES."""
    try:
        return min(max(int(value), 1), MAX_SPACES)
    except ValueError:
        return 1


def _read_part(zf: zipfile.ZipFile, name: str, filename: str) -> bytes:
    """A zip member's bytes, refused past MAX_PART_BYTES (declared or actual)."""
    too_big = DomainError(
        f"Le fichier « {filename} » est refusé : sa partie {name} dépasse "
        f"{MAX_PART_BYTES // (1024 * 1024)} Mo une fois décompressée.",
        status=422,
    )
    if zf.getinfo(name).file_size > MAX_PART_BYTES:
        raise too_big
    with zf.open(name) as fh:
        data = fh.read(MAX_PART_BYTES + 1)
    if len(data) > MAX_PART_BYTES:
        raise too_big
    return data


def read_paragraphs(path: str | os.PathLike) -> list[str]:
    """The body paragraphs (headings, paragraphs, list items, table cells) of a DOCX or ODT file, in order."""
    from lxml import etree

    parser = _parser()
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "word/document.xml" in names:
                root = etree.fromstring(_read_part(zf, "word/document.xml", path.name), parser)
                body = root.find(f"{_W}body")
                return [_docx_paragraph_text(p) for p in body.iter(f"{_W}p")]
            if "content.xml" in names:
                root = etree.fromstring(_read_part(zf, "content.xml", path.name), parser)
                return [
                    _odt_text(p)
                    for p in root.iter(f"{{{_TEXT}}}p", f"{{{_TEXT}}}h")
                    if not _inside(p, ("header", "footer"))
                ]
    except (zipfile.BadZipFile, etree.XMLSyntaxError, OSError) as exc:
        raise DomainError(
            f"Le fichier « {path.name} » n'est pas un document DOCX ou ODT lisible ({exc}).",
            status=422,
        ) from exc
    raise DomainError(f"Le fichier « {path.name} » n'est ni un DOCX ni un ODT.", status=422)


def _inside(el, local_names: tuple[str, ...]) -> bool:
    parent = el.getparent()
    while parent is not None:
        if parent.tag.rsplit("}", 1)[-1] in local_names:
            return True
        parent = parent.getparent()
    return False


def read_text(path: str | os.PathLike) -> str:
    """The body text of a DOCX or ODT file, one paragraph per line."""
    return "\n".join(read_paragraphs(path))
