"""The document model: cover data and blocks, shared by the DOCX and ODT writers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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
    widths: list[float] = field(default_factory=list)  # relative column widths; empty: equal


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


# --- DOCX ---------------------------------------------------------------------------------------


# --- ODT ----------------------------------------------------------------------------------------


# --- reading back ------------------------------------------------------------------------------
