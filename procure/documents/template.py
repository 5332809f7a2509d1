"""Generating the DOCX template `templates/documents/piece.docx` (styles, cover, loop)."""

from __future__ import annotations

import os


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
