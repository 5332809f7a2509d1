"""Writing a DocumentSpec to ODT with odfpy, with the same structure and styles as the DOCX."""

from __future__ import annotations

import os

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
    from odf import teletype
    from odf.dc import Title as DcTitle
    from odf.draw import Frame
    from odf.draw import Image as DrawImage
    from odf.opendocument import OpenDocumentText
    from odf.style import Footer as OdfFooter
    from odf.style import Header as OdfHeader
    from odf.style import Style, TableColumnProperties
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
            if len(block.widths) == ncols and sum(block.widths) > 0:
                for i, w in enumerate(block.widths):
                    col_style = Style(name=f"T_Col_{id(block)}_{i}", family="table-column")
                    col_style.addElement(
                        TableColumnProperties(columnwidth=f"{16.6 * w / sum(block.widths):.2f}cm")
                    )
                    doc.automaticstyles.addElement(col_style)
                    table.addElement(TableColumn(stylename=col_style))
            else:
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
                    para = P(stylename=st["Table_20_Contents"])
                    teletype.addTextToElement(para, clean(value))  # newlines as line breaks
                    cell.addElement(para)
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
