"""Writing a DocumentSpec to DOCX with docxtpl and the piece template."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from procure.core.errors import DomainError
from procure.documents.output import _atomic_write
from procure.documents.spec import (
    Bullet,
    DocumentSpec,
    Heading,
    Image,
    PageBreak,
    Paragraph,
    Table,
    Toc,
    clean,
    numbered_headings,
)

DOCX_TEMPLATE = "piece.docx"


def template_dir() -> Path:
    from procure.core.resources import resource_dir

    return resource_dir("templates") / "documents"


def docx_context(spec: DocumentSpec, tpl=None) -> dict:
    """The Jinja context of the DOCX template: cover fields, blocks as dicts, TOC entries."""
    blocks: list[dict] = []
    toc: list[dict] = []
    for block, text in numbered_headings(spec.blocks):
        if isinstance(block, Heading):
            level = min(max(block.level, 1), 3)
            blocks.append({"kind": f"h{level}", "text": text})
            if level <= 2:
                toc.append({"level": level, "text": text})
        elif isinstance(block, Paragraph):
            style = block.style if block.style in ("body", "small", "quote") else "body"
            blocks.append({"kind": style, "text": text})
        elif isinstance(block, Bullet):
            blocks.append({"kind": "bullet", "text": text})
        elif isinstance(block, Table):
            blocks.append(
                {
                    "kind": "table",
                    "headers": [clean(h) for h in block.headers],
                    "rows": [[clean(c) for c in row] for row in block.rows],
                    "caption": clean(block.caption),
                }
            )
        elif isinstance(block, Image):
            from docx.shared import Cm
            from docxtpl import InlineImage

            blocks.append(
                {
                    "kind": "image",
                    "image": InlineImage(tpl, io.BytesIO(block.png), width=Cm(block.width_cm)),
                    "caption": clean(block.caption),
                }
            )
        elif isinstance(block, PageBreak):
            blocks.append({"kind": "pagebreak"})
        elif isinstance(block, Toc):
            blocks.append({"kind": "toc"})
        else:
            raise TypeError(f"unknown block {block!r}")
    return {
        "title": clean(spec.title),
        "subtitle": clean(spec.subtitle),
        "buyer": clean(spec.buyer),
        "reference": clean(spec.reference),
        "piece": clean(spec.piece),
        "date": clean(spec.date),
        "blocks": blocks,
        "toc": toc,
    }


def _template_error(name: str, exc: BaseException) -> DomainError:
    return DomainError(
        f"Le modèle de document « {name} » est introuvable ou illisible ({type(exc).__name__} : {exc}). "
        "Aucun fichier n'a été écrit.",
        status=500,
    )


def _ask_to_update_fields(document) -> None:
    """Ask Word and LibreOffice to update fields on open, so the table of contents gets its
    page numbers (a writer cannot know them: pagination is the reader's)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    settings = document.settings.element
    for old in settings.findall(qn("w:updateFields")):
        settings.remove(old)
    flag = OxmlElement("w:updateFields")
    flag.set(qn("w:val"), "true")
    # CT_Settings is an ordered sequence: updateFields goes before these (ECMA-376, 17.15.1.78).
    after = {
        qn(f"w:{name}")
        for name in (
            "hdrShapeDefaults",
            "footnotePr",
            "endnotePr",
            "compat",
            "docVars",
            "rsids",
            "attachedSchema",
            "themeFontLang",
            "clrSchemeMapping",
            "doNotIncludeSubdocsInStats",
            "doNotAutoCompressPictures",
            "forceUpgrade",
            "captions",
            "readModeInkLockDown",
            "smartTagType",
            "schemaLibrary",
            "shapeDefaults",
            "doNotEmbedSmartTags",
            "decimalSymbol",
            "listSeparator",
        )
    } | {"{http://schemas.openxmlformats.org/officeDocument/2006/math}mathPr"}
    successor = next((child for child in settings if child.tag in after), None)
    if successor is not None:
        successor.addprevious(flag)
    else:
        settings.append(flag)


def _apply_widths(document, widths: list[list[float]]) -> None:
    """Give each table with `widths` fixed column widths sharing the text width (the template's
    only table is the blocks' one, so the document's tables are the Table blocks in order)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    section = document.sections[0]
    text_width = section.page_width - section.left_margin - section.right_margin
    twips = int(text_width / 635)  # EMU to twentieths of a point
    for table, relative in zip(document.tables, widths, strict=False):
        if not relative or sum(relative) <= 0:
            continue
        cols = [int(twips * w / sum(relative)) for w in relative]
        tbl = table._tbl
        props = tbl.tblPr
        width = props.find(qn("w:tblW"))
        if width is not None:
            width.set(qn("w:type"), "dxa")
            width.set(qn("w:w"), str(twips))
        layout = OxmlElement("w:tblLayout")
        layout.set(qn("w:type"), "fixed")
        look = props.find(qn("w:tblLook"))
        if look is not None:
            look.addprevious(layout)
        else:
            props.append(layout)
        grid = tbl.tblGrid
        for col, w in zip(grid.findall(qn("w:gridCol")), cols, strict=False):
            col.set(qn("w:w"), str(w))
        for row in tbl.findall(qn("w:tr")):
            for cell, w in zip(row.findall(qn("w:tc")), cols, strict=False):
                tcw = cell.find(qn("w:tcPr") + "/" + qn("w:tcW"))
                if tcw is not None:
                    tcw.set(qn("w:type"), "dxa")
                    tcw.set(qn("w:w"), str(w))


def write_docx(
    spec: DocumentSpec, path: str | os.PathLike, *, template: str | os.PathLike | None = None
) -> str:
    """Render `spec` with the DOCX template into `path` (atomically); return the file's sha256."""
    from docxtpl import DocxTemplate
    from jinja2 import TemplateError

    template_path = Path(template) if template else template_dir() / DOCX_TEMPLATE
    name = template_path.name
    try:
        tpl = DocxTemplate(str(template_path))
        tpl.init_docx()
        tpl.render(docx_context(spec, tpl), autoescape=True)
        _ask_to_update_fields(tpl.docx)
        _apply_widths(tpl.docx, [b.widths for b in spec.blocks if isinstance(b, Table)])
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TemplateError) as exc:
        raise _template_error(name, exc) from exc
    except Exception as exc:  # lxml and docx parse errors: still the template's fault
        if type(exc).__module__.startswith(("lxml", "docx")):
            raise _template_error(name, exc) from exc
        raise
    return _atomic_write(path, tpl.save)
