"""Find numbers written the English way ("200.0", "0.25") in text a person reads."""

from __future__ import annotations

import re

# A dot between digits, not part of a longer token (dates 2026-01-31, codes 72000000-5, URLs,
# file names, hashes) ...
DOT_DECIMAL = re.compile(r"(?<![\w.\-/:])\d+\.\d+(?![\w\-/]|\.\d)")
# ... nor a numbered reference that French writes with a dot: an article ("art. 1.2",
# "article 30.2"), a version ("OAuth 2.0", "v1.2", "HTML 5.2", "ISO/IEC 27001:2022").
ALLOWED_BEFORE = re.compile(
    r"(art\.|articles?|paragraphe|point|annexe|version|v|oauth|openapi|html|tls|http|"
    r"wcag|rgaa|§)\s*$",
    re.IGNORECASE,
)


SECTION_NUMBER = re.compile(r"^\s*\d+(\.\d+)+\s", re.MULTILINE)  # "3.1 Title" in a document


def dot_decimals(text: str) -> list[str]:
    """Each English-style decimal in `text`, with a little context."""
    flat = " ".join(SECTION_NUMBER.sub(" ", text).split())
    found = []
    for m in DOT_DECIMAL.finditer(flat):
        if ALLOWED_BEFORE.search(flat[max(0, m.start() - 20) : m.start()]):
            continue
        found.append(flat[max(0, m.start() - 40) : m.end() + 10])
    return found


def page_text(soup) -> str:
    """The text of a page and the values shown in its fields (not code, scripts or hashes)."""
    for tag in soup(["script", "style", "code"]):
        tag.decompose()
    values = [
        i.get("value", "")
        for i in soup.find_all("input")
        if i.get("type") not in ("hidden", "checkbox", "radio")
    ]
    return soup.get_text(" ") + " " + " ".join(values)


# A number of five digits or more printed without its thousands separator ("300000 requêtes"),
# except codes and references: standards (ISO/IEC 27001), decrees and numbered items (n° 12345).
UNGROUPED = re.compile(r"(?<![\w.\-/:°])\d{5,}(?![\w\-/]|[.,]\d)")
REFERENCE_BEFORE = re.compile(r"(iso|iec|en|nf|n°|no|décret|loi|siren|siret)[\s/:]*$", re.I)


def ungrouped_numbers(text: str) -> list[str]:
    """Each big number written without thousands separator in `text`, with a little context."""
    flat = " ".join(text.split())
    return [
        flat[max(0, m.start() - 40) : m.end() + 10]
        for m in UNGROUPED.finditer(flat)
        if not REFERENCE_BEFORE.search(flat[max(0, m.start() - 12) : m.start()])
    ]
