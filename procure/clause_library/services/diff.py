"""Word-level differences between two texts (clause versions, exported documents).

Google's diff-match-patch (Myers' O(ND) algorithm) runs on the texts' words, each word mapped
to one character, under a time limit: a large or very different pair of texts gets a correct,
if less minimal, difference in bounded time, instead of difflib's quadratic worst case.
"""

from __future__ import annotations

import re

from diff_match_patch import diff_match_patch

TOKEN_RE = re.compile(r"\s+|[^\s]+")
MAX_TOKENS = 100_000  # per text; past it, the rest is shown as deleted and inserted whole
TIME_LIMIT_S = 1.0  # diff-match-patch stops refining after this and returns a valid diff
_OPS = {-1: "delete", 0: "equal", 1: "insert"}


def _encode(tokens: list[str], codes: dict[str, str]) -> str:
    out = []
    for token in tokens:
        char = codes.get(token)
        if char is None:
            n = len(codes) + 0x100
            char = chr(n + 0x800 if n >= 0xD800 else n)  # skip the surrogate range
            codes[token] = char
        out.append(char)
    return "".join(out)


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Word-level difference: [("equal" | "insert" | "delete", text)], whitespace kept."""
    a, b = TOKEN_RE.findall(old or ""), TOKEN_RE.findall(new or "")
    a, a_rest = a[:MAX_TOKENS], a[MAX_TOKENS:]
    b, b_rest = b[:MAX_TOKENS], b[MAX_TOKENS:]
    codes: dict[str, str] = {}
    ea, eb = _encode(a, codes), _encode(b, codes)
    tokens = {char: token for token, char in codes.items()}
    dmp = diff_match_patch()
    dmp.Diff_Timeout = TIME_LIMIT_S
    result: list[tuple[str, str]] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if result and result[-1][0] == op:
            result[-1] = (op, result[-1][1] + text)
        else:
            result.append((op, text))

    for op, chars in _slide_left(dmp.diff_main(ea, eb, checklines=False)):
        add(_OPS[op], "".join(tokens[c] for c in chars))
    add("delete", "".join(a_rest))
    add("insert", "".join(b_rest))
    return _deletes_first(result)


def _slide_left(diffs: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """Move each lone insertion or deletion as far left as it stays the same change, so that
    "a b" -> "a x b" reads as " x" inserted after "a" (difflib's habit), not "x " after "a "."""
    ops = [op for op, _text in diffs]
    texts = [text for _op, text in diffs]
    for i in range(1, len(diffs) - 1):
        if ops[i - 1] != 0 or ops[i + 1] != 0 or ops[i] == 0:
            continue
        while texts[i - 1] and texts[i] and texts[i - 1][-1] == texts[i][-1]:
            last = texts[i - 1][-1]
            texts[i - 1], texts[i] = texts[i - 1][:-1], last + texts[i][:-1]
            texts[i + 1] = last + texts[i + 1]
    return [(op, text) for op, text in zip(ops, texts, strict=True) if text]


def _deletes_first(ops: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Within each run of changes, the deleted text before the inserted text (as difflib did)."""
    out: list[tuple[str, str]] = []
    run: dict[str, str] = {}
    for op, text in [*ops, ("equal", "")]:
        if op == "equal":
            for kind in ("delete", "insert"):
                if run.get(kind):
                    out.append((kind, run[kind]))
            run = {}
            if text:
                out.append((op, text))
        else:
            run[op] = run.get(op, "") + text
    return out
