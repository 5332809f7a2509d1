"""The document model and its two writers, read back with python-docx, odfpy and LibreOffice."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from odf import opendocument, teletype
from odf import style as odf_style
from odf import text as odf_text

from procure.core.errors import DomainError
from procure.documents import (
    Bullet,
    DocumentSpec,
    Heading,
    Image,
    PageBreak,
    Paragraph,
    Table,
    Toc,
    make_docx_template,
    read_paragraphs,
    read_text,
    write_docx,
    write_odt,
)
from tests.office import pdf_text, to_pdfs

HOSTILE = [
    "{{ secret_key }}",
    "{% for x in range(3) %}boucle{% endfor %}",
    "<b>gras</b> & <script>alert(1)</script>",
    "</w:t></w:r><w:r><w:t>injecté</w:t>",
    "</text:p><text:p>odf</text:p>",
    "Guillemets « français » et apostrophe l’offre",
]


def png_bytes() -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.bar(["A", "B"], [3, 5])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def sample_spec(value: str = "12 mois") -> DocumentSpec:
    return DocumentSpec(
        title="Assistant conversationnel pour l'accueil des usagers",
        subtitle="Marché de services",
        buyer="Ville de Démoville",
        reference="PRC-2026-0042",
        piece="Cahier des clauses administratives particulières (CCAP)",
        date="22 novembre 2026",
        blocks=[
            Toc(),
            PageBreak(),
            Heading("Objet du marché"),
            Paragraph(f"Le plan de réversibilité est remis sous {value}."),
            Bullet("premier point"),
            Bullet(f"second point : {value}"),
            Heading("Journalisation", level=2),
            Paragraph("Note de bas de page", style="small"),
            Paragraph("Citation", style="quote"),
            Heading("Critères d'attribution"),
            Table(
                ["Critère", "Pondération"],
                [["Prix", "40"], [value, "20"]],
                caption="Critères pondérés",
            ),
            Image(png_bytes(), 8.0, "Figure 1 – Exemple"),
            Heading("Annexe – Clauses utilisées", numbered=False),
            Paragraph("fin"),
        ],
    )


def test_docx_has_cover_toc_numbered_articles_header_footer(tmp_path):
    path = tmp_path / "ccap.docx"
    digest = write_docx(sample_spec(), path)
    import hashlib

    assert digest == hashlib.sha256(path.read_bytes()).hexdigest()
    document = docx.Document(str(path))
    paragraphs = [p for p in document.paragraphs if p.text.strip()]
    assert paragraphs[0].text == "Ville de Démoville"  # cover: buyer first
    assert any(p.text == "Référence : PRC-2026-0042" for p in paragraphs[:8])
    headings = [
        (p.style.name, p.text) for p in document.paragraphs if p.style.name.startswith("Heading")
    ]
    assert ("Heading 1", "Article 1 – Objet du marché") in headings
    assert ("Heading 2", "1.1 Journalisation") in headings
    assert ("Heading 1", "Article 2 – Critères d'attribution") in headings
    assert ("Heading 1", "Annexe – Clauses utilisées") in headings
    assert [p.text for p in document.paragraphs if p.style.name == "List Bullet"] == [
        "premier point",
        "second point : 12 mois",
    ]
    table = document.tables[0]
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["Critère", "Pondération"],
        ["Prix", "40"],
        ["12 mois", "20"],
    ]
    assert len(document.inline_shapes) == 1
    body_xml = document.element.xml
    assert 'TOC \\o "1-2"' in body_xml
    toc_entries = [p.text for p in document.paragraphs if p.style.name in ("TOC 1", "TOC 2")]
    assert toc_entries[:2] == ["Article 1 – Objet du marché", "1.1 Journalisation"]
    section = document.sections[0]
    assert section.different_first_page_header_footer  # the cover carries no header
    assert "PRC-2026-0042" in section.header.paragraphs[0].text
    footer_xml = section.footer._element.xml
    assert "PAGE" in footer_xml and "NUMPAGES" in footer_xml
    assert "PRC-2026-0042" in section.footer.paragraphs[0].text
    with zipfile.ZipFile(path) as zf:
        assert "updateFields" in zf.read("word/settings.xml").decode()
    assert "{{" not in read_text(path) and "{%" not in read_text(path)


def test_odt_has_the_same_structure(tmp_path):
    path = tmp_path / "ccap.odt"
    write_odt(sample_spec(), path)
    document = opendocument.load(str(path))
    headings = [
        (h.getAttribute("outlinelevel"), teletype.extractText(h))
        for h in document.getElementsByType(odf_text.H)
    ]
    assert ("1", "Article 1 – Objet du marché") in headings
    assert ("2", "1.1 Journalisation") in headings
    assert ("1", "Annexe – Clauses utilisées") in headings
    toc = document.getElementsByType(odf_text.TableOfContent)
    assert len(toc) == 1
    entries = [teletype.extractText(p) for p in toc[0].getElementsByType(odf_text.P)]
    assert "Article 1 – Objet du marché" in entries and "1.1 Journalisation" in entries
    masters = {m.getAttribute("name"): m for m in document.getElementsByType(odf_style.MasterPage)}
    standard = masters["Standard"]
    header = standard.getElementsByType(odf_style.Header)[0]
    assert "PRC-2026-0042" in teletype.extractText(header)
    footer = standard.getElementsByType(odf_style.Footer)[0]
    assert footer.getElementsByType(odf_text.PageNumber) and footer.getElementsByType(
        odf_text.PageCount
    )
    assert "First_20_Page" in masters and not masters["First_20_Page"].getElementsByType(
        odf_style.Header
    )
    items = [teletype.extractText(i) for i in document.getElementsByType(odf_text.ListItem)]
    assert items == ["premier point", "second point : 12 mois"]
    with zipfile.ZipFile(path) as zf:
        assert any(n.startswith("Pictures/") for n in zf.namelist())
    paragraphs = read_paragraphs(path)
    assert paragraphs[0] == "Ville de Démoville"
    assert "Le plan de réversibilité est remis sous 12 mois." in paragraphs


@pytest.mark.parametrize("value", HOSTILE)
def test_values_are_text_never_markup(tmp_path, value):
    spec = sample_spec(value)
    spec.buyer = value
    write_docx(spec, tmp_path / "x.docx")
    write_odt(spec, tmp_path / "x.odt")
    expected = f"Le plan de réversibilité est remis sous {value}."
    document = docx.Document(str(tmp_path / "x.docx"))
    assert expected in [p.text for p in document.paragraphs]
    assert document.tables[0].rows[2].cells[0].text == value
    assert document.paragraphs[3].text == value or value in [
        p.text for p in document.paragraphs[:6]
    ]
    odt = opendocument.load(str(tmp_path / "x.odt"))
    assert expected in [teletype.extractText(p) for p in odt.getElementsByType(odf_text.P)]
    assert expected in read_paragraphs(tmp_path / "x.odt")
    assert expected in read_paragraphs(tmp_path / "x.docx")


def test_missing_template_names_it_and_writes_nothing(tmp_path):
    target = tmp_path / "out.docx"
    with pytest.raises(DomainError) as exc:
        write_docx(sample_spec(), target, template=tmp_path / "absent.docx")
    assert "absent.docx" in exc.value.message
    assert list(tmp_path.iterdir()) == []


def test_broken_template_names_it_and_keeps_the_previous_file(tmp_path):
    broken = tmp_path / "casse.docx"
    broken.write_bytes(b"PK\x03\x04 pas un vrai zip")
    target = tmp_path / "out.docx"
    target.write_bytes(b"ancien contenu")
    with pytest.raises(DomainError) as exc:
        write_docx(sample_spec(), target, template=broken)
    assert "casse.docx" in exc.value.message
    assert target.read_bytes() == b"ancien contenu"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["casse.docx", "out.docx"]


def test_template_with_bad_jinja_names_it(tmp_path):
    template = tmp_path / "mauvais.docx"
    make_docx_template(template)
    with zipfile.ZipFile(template) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["word/document.xml"] = parts["word/document.xml"].replace(b"{{ buyer }}", b"{{ buyer ")
    with zipfile.ZipFile(template, "w") as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    with pytest.raises(DomainError) as exc:
        write_docx(sample_spec(), tmp_path / "out.docx", template=template)
    assert "mauvais.docx" in exc.value.message
    assert not (tmp_path / "out.docx").exists()


def test_committed_template_is_the_generated_one(tmp_path):
    """The committed DOCX template has the same body markup as make_docx_template builds."""
    from procure.documents import DOCX_TEMPLATE, template_dir

    fresh = tmp_path / "piece.docx"
    make_docx_template(fresh)
    with zipfile.ZipFile(fresh) as a, zipfile.ZipFile(template_dir() / DOCX_TEMPLATE) as b:
        assert a.read("word/document.xml") == b.read("word/document.xml")


@pytest.mark.libreoffice
def test_libreoffice_converts_both_formats_with_values(tmp_path):
    value = "<b>18 mois</b> & {{ x }}"
    write_docx(sample_spec(value), tmp_path / "ccap.docx")
    write_odt(sample_spec(value), tmp_path / "ccap.odt")
    for pdf in to_pdfs([tmp_path / "ccap.docx", tmp_path / "ccap.odt"], tmp_path / "pdf"):
        text = pdf_text(pdf)
        assert f"Le plan de réversibilité est remis sous {value}." in text
        assert "Article 1 – Objet du marché" in text
        assert "Page 2 sur" in text and "PRC-2026-0042" in text


def test_docx_asks_word_and_libreoffice_to_update_fields_on_open(tmp_path):
    """The table of contents gets its page numbers when the document is opened."""
    import zipfile

    path = tmp_path / "toc.docx"
    write_docx(sample_spec(), path)
    settings = zipfile.ZipFile(path).read("word/settings.xml").decode()
    assert '<w:updateFields w:val="true"/>' in settings
    # Placed where the schema wants it: before the compatibility settings, once.
    assert settings.count("updateFields") == 1
    if "<w:compat" in settings:
        assert settings.index("updateFields") < settings.index("<w:compat")


def test_table_widths_in_both_formats_and_line_breaks_in_odt_cells(tmp_path):
    """Relative column widths share the text width (DOCX grid and cells, ODT column styles);
    without widths a table keeps equal columns; a newline in an ODT cell is a line break."""
    spec = DocumentSpec(
        title="T",
        subtitle="S",
        buyer="B",
        reference="R",
        piece="P",
        date="01/12/2026",
        blocks=[
            Table(["Soumissionnaire", "Signature"], [["Alpha", "ligne 1\nligne 2"]], widths=[1, 3]),
            Table(["A", "B"], [["1", "2"]]),
        ],
    )
    write_docx(spec, tmp_path / "w.docx")
    write_odt(spec, tmp_path / "w.odt")
    tables = docx.Document(str(tmp_path / "w.docx")).tables
    grid = [
        int(c.get(docx.oxml.ns.qn("w:w")))
        for c in tables[0]._tbl.tblGrid.findall(docx.oxml.ns.qn("w:gridCol"))
    ]
    assert grid[1] == pytest.approx(3 * grid[0], rel=0.01)
    assert sum(grid) == pytest.approx(9412, rel=0.01)  # A4 less the template's margins, in twips
    assert tables[0].rows[1].cells[1].width == tables[0].rows[0].cells[1].width
    equal = [
        int(c.get(docx.oxml.ns.qn("w:w")))
        for c in tables[1]._tbl.tblGrid.findall(docx.oxml.ns.qn("w:gridCol"))
    ]
    assert len(set(equal)) == 1
    odt = opendocument.load(str(tmp_path / "w.odt"))
    widths = [
        p.getAttribute("columnwidth")
        for s in odt.automaticstyles.getElementsByType(odf_style.Style)
        if s.getAttribute("family") == "table-column"
        for p in s.getElementsByType(odf_style.TableColumnProperties)
        if p.getAttribute("columnwidth")
    ]
    assert widths == ["4.15cm", "12.45cm"]
    assert odt.text.getElementsByType(odf_text.LineBreak)
