"""CSV files for spreadsheets (semicolons, UTF-8 with a BOM), with formula injection defused."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

# A cell a spreadsheet would read as a formula (OWASP "CSV injection"): = + - @, tab, return.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
BOM = "\ufeff"  # lets Excel read UTF-8 (accents) instead of guessing a legacy code page


def csv_text(value: object) -> str:
    """A text cell, defused: a leading ' keeps a formula as plain text."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_bytes(header: list[str], rows: Iterable[list[object]]) -> bytes:
    """The rows as a French spreadsheet's CSV; every cell is treated as text and defused."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([csv_text(cell) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8")
