"""One internal document model, written to DOCX (docxtpl) and ODT (odfpy) from the same source.

A `DocumentSpec` holds the cover data and a list of blocks (headings, paragraphs, bullets, tables,
images, page breaks, a table of contents). `write_docx` renders the template
`templates/documents/piece.docx` with docxtpl: the body is a Jinja loop over the blocks inside the
template (one styled paragraph per block kind), which keeps docxtpl the only engine and costs one
template render, far cheaper than building a subdocument. `write_odt` builds the same structure
with odfpy. Both write a temporary file in the target folder and rename it, so a failure never
leaves a half-written document, and both return the SHA-256 of the file.

Every value is text: docxtpl renders with autoescape and odfpy escapes text nodes, so `{{ }}`,
`{% %}`, `<b>`, `&` or XML markup in a value appear literally.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from procure.core.errors import DomainError

DOCX_TEMPLATE = "piece.docx"

# Characters XML 1.0 refuses, plus those docxtpl turns into structure (\a paragraph, \f page).
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


# --- the internal model -------------------------------------------------------------------------


@dataclass
class Heading:
    text: str
    level: int = 1
    numbered: bool = True


@dataclass
class Paragraph:
    text: str
    style: str = "body"  # body, small, quote


@dataclass
class Bullet:
    text: str


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]
    caption: str = ""


@dataclass
class Image:
    png: bytes
    width_cm: float = 15.0
    caption: str = ""


@dataclass
class PageBreak:
    pass


@dataclass
class Toc:
    pass


@dataclass
class DocumentSpec:
    title: str
    subtitle: str
    buyer: str
    reference: str
    piece: str  # piece label, e.g. "Règlement de la consultation (RC)"
    date: str
    blocks: list = field(default_factory=list)


def clean(text: object) -> str:
    """Plain text safe for XML: control characters become spaces; newlines stay line breaks."""
    text = "" if text is None else str(text)
    return _BAD_CHARS.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))


def numbered_headings(blocks: list) -> list[tuple[object, str]]:
    """Pair each block with its display text; numbered headings get "Article N – " or "N.M "."""
    counters = [0, 0, 0]
    out: list[tuple[object, str]] = []
    for block in blocks:
        if isinstance(block, Heading):
            level = min(max(block.level, 1), 3)
            text = clean(block.text)
            if block.numbered:
                counters[level - 1] += 1
                for i in range(level, 3):
                    counters[i] = 0
                if level == 1:
                    text = f"Article {counters[0]} – {text}"
                else:
                    text = ".".join(str(c) for c in counters[:level]) + " " + text
            out.append((block, text))
        elif isinstance(block, (Paragraph, Bullet)):
            out.append((block, clean(block.text)))
        else:
            out.append((block, ""))
    return out


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
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


# --- DOCX ---------------------------------------------------------------------------------------


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
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, TemplateError) as exc:
        raise _template_error(name, exc) from exc
    except Exception as exc:  # lxml and docx parse errors: still the template's fault
        if type(exc).__module__.startswith(("lxml", "docx")):
            raise _template_error(name, exc) from exc
        raise
    return _atomic_write(path, tpl.save)


def make_docx_template(path: str | os.PathLike) -> None:
    """Build templates/documents/piece.docx (run once by hand; the file is committed)."""
    from docx import Document
    from docx.enum.section import WD_SECTION  # noqa: F401 - documents the single section
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    styles = doc.styles
    styles["Normal"].font.name = "Liberation Sans"
    styles["Normal"].font.size = Pt(10.5)
    for level, size in ((1, 14), (2, 12), (3, 11)):
        st = styles[f"Heading {level}"]
        st.font.size = Pt(size)
        st.font.color.rgb = RGBColor(0x1F, 0x4F, 0xA3)
        st.font.name = "Liberation Sans"
    from docx.enum.style import WD_STYLE_TYPE

    small = styles.add_style("Procure Small", WD_STYLE_TYPE.PARAGRAPH)
    small.base_style = styles["Normal"]
    small.font.size = Pt(8.5)
    for level in (1, 2):
        st = styles.add_style(f"TOC {level}", WD_STYLE_TYPE.PARAGRAPH)
        st.base_style = styles["Normal"]
        st.paragraph_format.left_indent = Cm(0.6 * (level - 1))
        st.paragraph_format.space_after = Pt(2)

    def field(paragraph, instr: str, placeholder: str = "") -> None:
        """Append a complete field (begin, instruction, separate, result, end) to a paragraph."""
        for kind, text in (
            ("begin", None),
            ("instr", instr),
            ("separate", None),
            ("text", placeholder),
            ("end", None),
        ):
            run = OxmlElement("w:r")
            if kind == "instr":
                el = OxmlElement("w:instrText")
                el.set(qn("xml:space"), "preserve")
                el.text = text
            elif kind == "text":
                el = OxmlElement("w:t")
                el.text = text
            else:
                el = OxmlElement("w:fldChar")
                el.set(qn("w:fldCharType"), kind)
            run.append(el)
            paragraph._p.append(run)

    def fld_char(paragraph, kind: str, instr: str | None = None) -> None:
        run = OxmlElement("w:r")
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        if kind == "begin":
            el.set(qn("w:dirty"), "true")
        run.append(el)
        paragraph._p.append(run)
        if instr:
            run = OxmlElement("w:r")
            it = OxmlElement("w:instrText")
            it.set(qn("xml:space"), "preserve")
            it.text = instr
            run.append(it)
            paragraph._p.append(run)
            run = OxmlElement("w:r")
            sep = OxmlElement("w:fldChar")
            sep.set(qn("w:fldCharType"), "separate")
            run.append(sep)
            paragraph._p.append(run)

    # Cover page.
    for _ in range(3):
        doc.add_paragraph()
    p = doc.add_paragraph("{{ buyer }}", style="Subtitle")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph()
    p = doc.add_paragraph("{{ piece }}", style="Title")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p = doc.add_paragraph("{{ title }}", style="Heading 1")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p = doc.add_paragraph("{{ subtitle }}")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph()
    p = doc.add_paragraph("Référence : {{ reference }}")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p = doc.add_paragraph("Date : {{ date }}")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    # Body: one loop over the blocks, one styled paragraph per kind.
    doc.add_paragraph("{%p for b in blocks %}")
    doc.add_paragraph('{%p if b.kind == "h1" %}')
    doc.add_paragraph("{{ b.text }}", style="Heading 1")
    doc.add_paragraph('{%p elif b.kind == "h2" %}')
    doc.add_paragraph("{{ b.text }}", style="Heading 2")
    doc.add_paragraph('{%p elif b.kind == "h3" %}')
    doc.add_paragraph("{{ b.text }}", style="Heading 3")
    doc.add_paragraph('{%p elif b.kind == "body" %}')
    p = doc.add_paragraph("{{ b.text }}", style="Body Text")
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    doc.add_paragraph('{%p elif b.kind == "small" %}')
    doc.add_paragraph("{{ b.text }}", style="Procure Small")
    doc.add_paragraph('{%p elif b.kind == "quote" %}')
    doc.add_paragraph("{{ b.text }}", style="Quote")
    doc.add_paragraph('{%p elif b.kind == "bullet" %}')
    doc.add_paragraph("{{ b.text }}", style="List Bullet")
    doc.add_paragraph('{%p elif b.kind == "pagebreak" %}')
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_paragraph('{%p elif b.kind == "toc" %}')
    doc.add_paragraph("Sommaire", style="TOC Heading")
    p = doc.add_paragraph()
    fld_char(p, "begin", 'TOC \\o "1-2" \\h \\z \\u')
    doc.add_paragraph("{%p for e in toc %}")
    doc.add_paragraph("{%p if e.level == 1 %}")
    doc.add_paragraph("{{ e.text }}", style="TOC 1")
    doc.add_paragraph("{%p else %}")
    doc.add_paragraph("{{ e.text }}", style="TOC 2")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p endfor %}")
    p = doc.add_paragraph()
    fld_char(p, "end")
    doc.add_paragraph('{%p elif b.kind == "table" %}')
    table = doc.add_table(rows=4, cols=3)
    table.style = styles["Table Grid"]
    header = table.rows[0].cells
    header[0].text, header[1].text, header[2].text = (
        "{%tc for h in b.headers %}",
        "{{ h }}",
        "{%tc endfor %}",
    )
    for cell in header:
        for run in cell.paragraphs[0].runs:
            run.bold = True
    table.rows[1].cells[0].text = "{%tr for row in b.rows %}"
    cells = table.rows[2].cells
    cells[0].text, cells[1].text, cells[2].text = (
        "{%tc for c in row %}",
        "{{ c }}",
        "{%tc endfor %}",
    )
    table.rows[3].cells[0].text = "{%tr endfor %}"
    # Repeat the header row on each page.
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    hdr = OxmlElement("w:tblHeader")
    tr_pr.append(hdr)
    doc.add_paragraph("{%p if b.caption %}")
    doc.add_paragraph("{{ b.caption }}", style="Caption")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph('{%p elif b.kind == "image" %}')
    p = doc.add_paragraph("{{ b.image }}")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph("{%p if b.caption %}")
    doc.add_paragraph("{{ b.caption }}", style="Caption")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p endfor %}")

    # Page set-up: A4, a cover without header or footer, reference and page numbers elsewhere.
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin = section.bottom_margin = Cm(2.2)
    section.different_first_page_header_footer = True
    hp = section.header.paragraphs[0]
    hp.text = "{{ reference }} · {{ piece }}"
    hp.style = styles["Header"]
    fp = section.footer.paragraphs[0]
    fp.style = styles["Footer"]
    fp.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fp.add_run("{{ buyer }} · {{ reference }} · Page ")
    field(fp, "PAGE", "1")
    fp.add_run(" sur ")
    field(fp, "NUMPAGES", "1")

    doc.core_properties.title = "{{ piece }} · {{ title }}"
    doc.core_properties.subject = "{{ reference }}"
    doc.core_properties.author = "Procure"
    doc.core_properties.language = "fr-FR"

    # Ask Word to refresh the table of contents and page fields when the file is opened.
    settings = doc.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings.append(update)
    lang = styles.element.find(qn("w:docDefaults"))
    if lang is not None:
        rpr = lang.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if rpr is not None:
            el = OxmlElement("w:lang")
            el.set(qn("w:val"), "fr-FR")
            rpr.append(el)
    doc.save(str(path))


# --- ODT ----------------------------------------------------------------------------------------


def _odt_styles(doc) -> dict:
    from odf.style import (
        Footer,
        FooterStyle,
        GraphicProperties,
        Header,
        HeaderFooterProperties,
        HeaderStyle,
        ListLevelProperties,
        MasterPage,
        PageLayout,
        PageLayoutProperties,
        ParagraphProperties,
        Style,
        TableCellProperties,
        TableColumnProperties,
        TableProperties,
        TextProperties,
    )
    from odf.text import ListLevelStyleBullet, ListStyle

    s: dict = {}

    def pstyle(
        name, display, family="paragraph", auto=False, parent=None, para=None, text=None, **kw
    ):
        st = Style(
            name=name,
            displayname=display,
            family=family,
            **({"parentstylename": parent} if parent else {}),
            **kw,
        )
        if para:
            st.addElement(ParagraphProperties(**para))
        if text:
            st.addElement(TextProperties(**text))
        (doc.automaticstyles if auto else doc.styles).addElement(st)
        s[name] = st
        return st

    base_text = {
        "fontfamily": "Liberation Sans",
        "fontsize": "10.5pt",
        "language": "fr",
        "country": "FR",
    }
    pstyle("Standard", "Standard", text=base_text)
    pstyle(
        "Text_20_body",
        "Text body",
        parent="Standard",
        para={"textalign": "justify", "marginbottom": "0.18cm"},
    )
    pstyle("Procure_20_Small", "Procure Small", parent="Standard", text={"fontsize": "8.5pt"})
    pstyle(
        "Quotations",
        "Quotations",
        parent="Standard",
        para={"marginleft": "1cm", "marginright": "1cm"},
        text={"fontstyle": "italic"},
    )
    pstyle("List_20_Bullet", "List Bullet", parent="Standard", para={"marginbottom": "0.1cm"})
    pstyle(
        "Caption",
        "Caption",
        parent="Standard",
        para={"textalign": "center"},
        text={"fontstyle": "italic", "fontsize": "9pt"},
    )
    pstyle(
        "Title",
        "Title",
        parent="Standard",
        para={"textalign": "center", "margintop": "0.6cm"},
        text={"fontsize": "24pt", "fontweight": "bold"},
    )
    pstyle(
        "Subtitle",
        "Subtitle",
        parent="Standard",
        para={"textalign": "center"},
        text={"fontsize": "14pt", "color": "#1f4fa3"},
    )
    pstyle("Cover", "Cover", parent="Standard", para={"textalign": "center", "margintop": "0.3cm"})
    pstyle(
        "Contents_20_Heading",
        "Contents Heading",
        parent="Standard",
        text={"fontsize": "14pt", "fontweight": "bold"},
    )
    pstyle("Contents_20_1", "Contents 1", parent="Standard", para={"marginbottom": "0.05cm"})
    pstyle(
        "Contents_20_2",
        "Contents 2",
        parent="Standard",
        para={"marginleft": "0.6cm", "marginbottom": "0.05cm"},
    )
    pstyle("Header", "Header", parent="Standard", text={"fontsize": "8.5pt", "color": "#595959"})
    pstyle(
        "Footer",
        "Footer",
        parent="Standard",
        para={"textalign": "center"},
        text={"fontsize": "8.5pt", "color": "#595959"},
    )
    pstyle("Table_20_Contents", "Table Contents", parent="Standard", text={"fontsize": "9.5pt"})
    pstyle(
        "Table_20_Heading", "Table Heading", parent="Table_20_Contents", text={"fontweight": "bold"}
    )
    for level, size in ((1, "14pt"), (2, "12pt"), (3, "11pt")):
        pstyle(
            f"Heading_20_{level}",
            f"Heading {level}",
            parent="Standard",
            para={"margintop": "0.4cm", "marginbottom": "0.2cm", "keepwithnext": "always"},
            text={"fontsize": size, "fontweight": "bold", "color": "#1f4fa3"},
            defaultoutlinelevel=str(level),
        )

    # Page layout, with a cover master page that has no header or footer.
    layout = PageLayout(name="A4")
    layout.addElement(
        PageLayoutProperties(
            pagewidth="21cm",
            pageheight="29.7cm",
            margintop="1.5cm",
            marginbottom="1.5cm",
            marginleft="2.2cm",
            marginright="2.2cm",
            printorientation="portrait",
        )
    )
    hs = HeaderStyle()
    hs.addElement(HeaderFooterProperties(minheight="0.6cm", marginbottom="0.3cm"))
    layout.addElement(hs)
    fs = FooterStyle()
    fs.addElement(HeaderFooterProperties(minheight="0.6cm", margintop="0.3cm"))
    layout.addElement(fs)
    doc.automaticstyles.addElement(layout)
    master = MasterPage(name="Standard", pagelayoutname=layout)
    master.addElement(Header())
    master.addElement(Footer())
    doc.masterstyles.addElement(master)
    cover_master = MasterPage(
        name="First_20_Page",
        displayname="First Page",
        pagelayoutname=layout,
        nextstylename="Standard",
    )
    doc.masterstyles.addElement(cover_master)
    s["master"] = master
    pstyle(
        "P_Cover_Start",
        "",
        auto=True,
        parent="Subtitle",
        masterpagename="First_20_Page",
        para={"textalign": "center", "margintop": "4cm"},
    )
    pstyle(
        "P_Body_Start",
        "",
        auto=True,
        parent="Standard",
        masterpagename="Standard",
        para={"breakbefore": "page"},
    )
    pstyle("P_Break", "", auto=True, parent="Standard", para={"breakbefore": "page"})

    bullets = ListStyle(name="L_Bullet")
    lvl = ListLevelStyleBullet(level=1, bulletchar="•")
    lvl.addElement(ListLevelProperties(spacebefore="0.3cm", minlabelwidth="0.5cm"))
    bullets.addElement(lvl)
    doc.automaticstyles.addElement(bullets)
    s["L_Bullet"] = bullets

    tstyle = Style(name="T_Table", family="table")
    tstyle.addElement(TableProperties(width="16.6cm", align="margins"))
    doc.automaticstyles.addElement(tstyle)
    s["T_Table"] = tstyle
    cstyle = Style(name="T_Cell", family="table-cell")
    cstyle.addElement(TableCellProperties(border="0.5pt solid #000000", padding="0.08cm"))
    doc.automaticstyles.addElement(cstyle)
    s["T_Cell"] = cstyle
    col = Style(name="T_Col", family="table-column")
    col.addElement(TableColumnProperties())
    doc.automaticstyles.addElement(col)
    s["T_Col"] = col
    frame = Style(name="F_Image", family="graphic")
    frame.addElement(
        GraphicProperties(anchortype="as-char", verticalpos="top", verticalrel="baseline")
    )
    doc.automaticstyles.addElement(frame)
    s["F_Image"] = frame
    return s


def write_odt(spec: DocumentSpec, path: str | os.PathLike) -> str:
    """Write `spec` as an ODT file (atomically) with the same structure as the DOCX; return its sha256."""
    from odf.dc import Title as DcTitle
    from odf.draw import Frame
    from odf.draw import Image as DrawImage
    from odf.opendocument import OpenDocumentText
    from odf.style import Footer as OdfFooter
    from odf.style import Header as OdfHeader
    from odf.table import Table as OdfTable
    from odf.table import TableCell, TableColumn, TableHeaderRows, TableRow
    from odf.text import (
        H,
        IndexBody,
        IndexTitle,
        IndexTitleTemplate,
        List,
        ListItem,
        P,
        PageCount,
        PageNumber,
        TableOfContent,
        TableOfContentSource,
    )

    doc = OpenDocumentText()
    st = _odt_styles(doc)
    reference, piece, buyer = clean(spec.reference), clean(spec.piece), clean(spec.buyer)

    header = st["master"].getElementsByType(OdfHeader)[0]
    header.addElement(P(stylename=st["Header"], text=f"{reference} · {piece}"))
    footer = st["master"].getElementsByType(OdfFooter)[0]
    fp = P(stylename=st["Footer"], text=f"{buyer} · {reference} · Page ")
    fp.addElement(PageNumber(selectpage="current", text="1"))
    fp.addText(" sur ")
    fp.addElement(PageCount(text="1"))
    footer.addElement(fp)

    body = doc.text
    # Cover page.
    body.addElement(P(stylename=st["P_Cover_Start"], text=buyer))
    body.addElement(P(stylename=st["Title"], text=piece))
    body.addElement(P(stylename=st["Subtitle"], text=clean(spec.title)))
    body.addElement(P(stylename=st["Cover"], text=clean(spec.subtitle)))
    body.addElement(P(stylename=st["Cover"], text=f"Référence : {reference}"))
    body.addElement(P(stylename=st["Cover"], text=f"Date : {clean(spec.date)}"))
    first = True  # the first body element follows a page break into the Standard master page

    def add(el) -> None:
        nonlocal first
        if first:
            body.addElement(P(stylename=st["P_Body_Start"]))
            first = False
        body.addElement(el)

    entries = numbered_headings(spec.blocks)
    toc_entries = [(b.level, t) for b, t in entries if isinstance(b, Heading) and b.level <= 2]
    bullet_list = None
    picture_count = 0
    for block, text in entries:
        if not isinstance(block, Bullet):
            bullet_list = None
        if isinstance(block, Heading):
            level = min(max(block.level, 1), 3)
            add(H(outlinelevel=level, stylename=st[f"Heading_20_{level}"], text=text))
        elif isinstance(block, Paragraph):
            name = {"small": "Procure_20_Small", "quote": "Quotations"}.get(
                block.style, "Text_20_body"
            )
            add(P(stylename=st[name], text=text))
        elif isinstance(block, Bullet):
            if bullet_list is None:
                bullet_list = List(stylename=st["L_Bullet"])
                add(bullet_list)
            item = ListItem()
            item.addElement(P(stylename=st["List_20_Bullet"], text=text))
            bullet_list.addElement(item)
        elif isinstance(block, Table):
            table = OdfTable(name=f"Tableau{id(block)}", stylename=st["T_Table"])
            ncols = max([len(block.headers)] + [len(r) for r in block.rows]) or 1
            table.addElement(TableColumn(numbercolumnsrepeated=ncols, stylename=st["T_Col"]))
            head = TableHeaderRows()
            row = TableRow()
            for h in block.headers:
                cell = TableCell(stylename=st["T_Cell"], valuetype="string")
                cell.addElement(P(stylename=st["Table_20_Heading"], text=clean(h)))
                row.addElement(cell)
            head.addElement(row)
            table.addElement(head)
            for values in block.rows:
                row = TableRow()
                for value in values:
                    cell = TableCell(stylename=st["T_Cell"], valuetype="string")
                    cell.addElement(P(stylename=st["Table_20_Contents"], text=clean(value)))
                    row.addElement(cell)
                table.addElement(row)
            add(table)
            if block.caption:
                add(P(stylename=st["Caption"], text=clean(block.caption)))
        elif isinstance(block, Image):
            picture_count += 1
            href = doc.addPicture(f"Pictures/image{picture_count}.png", "image/png", block.png)
            width, height = _png_size(block.png)
            h_cm = block.width_cm * height / width if width else block.width_cm
            frame = Frame(
                stylename=st["F_Image"],
                width=f"{block.width_cm:.2f}cm",
                height=f"{h_cm:.2f}cm",
                anchortype="as-char",
                name=f"Image{picture_count}",
            )
            frame.addElement(DrawImage(href=href))
            p = P(stylename=st["Caption"])
            p.addElement(frame)
            add(p)
            if block.caption:
                add(P(stylename=st["Caption"], text=clean(block.caption)))
        elif isinstance(block, PageBreak):
            add(P(stylename=st["P_Break"]))
        elif isinstance(block, Toc):
            toc = TableOfContent(name="Sommaire", protected="true")
            source = TableOfContentSource(outlinelevel=2)
            source.addElement(IndexTitleTemplate(text="Sommaire"))
            toc.addElement(source)
            index = IndexBody()
            title = IndexTitle(name="Sommaire_Head")
            title.addElement(P(stylename=st["Contents_20_Heading"], text="Sommaire"))
            index.addElement(title)
            for level, entry in toc_entries:
                index.addElement(P(stylename=st[f"Contents_20_{level}"], text=entry))
            toc.addElement(index)
            add(toc)
        else:
            raise TypeError(f"unknown block {block!r}")
    if first:
        body.addElement(P(stylename=st["P_Body_Start"]))

    doc.meta.addElement(DcTitle(text=f"{piece} · {clean(spec.title)}"))
    return _atomic_write(path, lambda tmp: doc.save(tmp))


def _png_size(png: bytes) -> tuple[int, int]:
    if png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) >= 24:
        return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    return 0, 0


# --- reading back ------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


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
                out.append(" " * int(child.get(f"{{{_TEXT}}}c", "1")))
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


def read_paragraphs(path: str | os.PathLike) -> list[str]:
    """The body paragraphs (headings, paragraphs, list items, table cells) of a DOCX or ODT file, in order."""
    from lxml import etree

    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            if "word/document.xml" in names:
                root = etree.fromstring(zf.read("word/document.xml"))
                body = root.find(f"{_W}body")
                return [_docx_paragraph_text(p) for p in body.iter(f"{_W}p")]
            if "content.xml" in names:
                root = etree.fromstring(zf.read("content.xml"))
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
