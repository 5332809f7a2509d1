"""Word-level differences between two texts (clause versions, exported documents)."""

from __future__ import annotations

import difflib
import re

TOKEN_RE = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Word-level difference: [("equal" | "insert" | "delete", text)], whitespace kept."""
    a, b = TOKEN_RE.findall(old or ""), TOKEN_RE.findall(new or "")
    result: list[tuple[str, str]] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if result and result[-1][0] == op:
            result[-1] = (op, result[-1][1] + text)
        else:
            result.append((op, text))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            add("equal", "".join(a[i1:i2]))
        else:
            if tag in ("delete", "replace"):
                add("delete", "".join(a[i1:i2]))
            if tag in ("insert", "replace"):
                add("insert", "".join(b[j1:j2]))
    return result
