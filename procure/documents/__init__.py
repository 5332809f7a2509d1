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

from procure.documents.docx import DOCX_TEMPLATE, docx_context, template_dir, write_docx
from procure.documents.odt import write_odt
from procure.documents.reader import read_paragraphs, read_text
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
from procure.documents.template import make_docx_template

__all__ = [
    "DOCX_TEMPLATE",
    "Bullet",
    "DocumentSpec",
    "Heading",
    "Image",
    "PageBreak",
    "Paragraph",
    "Table",
    "Toc",
    "clean",
    "docx_context",
    "make_docx_template",
    "numbered_headings",
    "read_paragraphs",
    "read_text",
    "template_dir",
    "write_docx",
    "write_odt",
]
