"""CPV 2008 vocabulary (Common Procurement Vocabulary, Regulation (EC) 213/2008), French labels.

Codes are written with their check digit, e.g. "72000000-5". Real data (DECP) often loses the
leading zero ("3000000" for "03000000-1") or drops the check digit: `normalise_cpv` repairs both.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
CPV_FILE = DATA_DIR / "cpv_2008_fr.csv"

_DIGITS = re.compile(r"\D+")


def fold(text: str) -> str:
    """Lower-case, strip accents and collapse punctuation to spaces (for matching only)."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower().replace("œ", "oe").replace("æ", "ae")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@lru_cache(maxsize=1)
def load_cpv() -> dict[str, str]:
    """Every CPV 2008 code with check digit -> French label (read once, cached)."""
    with CPV_FILE.open(encoding="utf-8", newline="") as fh:
        return {row["CODE"].strip(): row["FR"].strip() for row in csv.DictReader(fh)}


@lru_cache(maxsize=1)
def _by_eight() -> dict[str, str]:
    return {code[:8]: code for code in load_cpv()}


@lru_cache(maxsize=1)
def _folded() -> tuple[tuple[str, ...], tuple[str, ...]]:
    table = load_cpv()
    codes = tuple(table)
    return codes, tuple(fold(table[c]) for c in codes)


def normalise_cpv(code: object) -> str | None:
    """The full CPV 2008 code ("72000000-5") for a code as found in real data, None if unknown.

    Accepts "72000000", "72000000-5", "72000000 - 5", 7-digit codes that lost a leading zero
    ("3000000" -> "03000000-1") and integers. A wrong check digit is not accepted.
    """
    if code is None:
        return None
    text = str(code).strip()
    if not text:
        return None
    check: str | None = None
    if "-" in text:
        head, _, tail = text.partition("-")
        text, check = head.strip(), tail.strip() or None
    digits = _DIGITS.sub("", text)
    if not digits or len(digits) > 9:
        return None
    if len(digits) == 9 and check is None:  # "720000005": code and check digit glued together
        digits, check = digits[:8], digits[8]
    if len(digits) < 8:
        digits = digits.zfill(8)
    full = _by_eight().get(digits)
    if full is None:
        return None
    if check is not None and full[-1] != check:
        return None
    return full


def cpv_label(code: object) -> str | None:
    """French label of a code (any accepted spelling), None if unknown."""
    full = normalise_cpv(code)
    return load_cpv().get(full) if full else None


def cpv_division(code: object) -> str:
    """The division: the first two digits ("72" for "72000000-5"). Empty string if unreadable."""
    full = normalise_cpv(code)
    if full:
        return full[:2]
    digits = _DIGITS.sub("", str(code or ""))
    return digits.zfill(8)[:2] if digits else ""


def cpv_group(code: object) -> str:
    """The group: the first three digits (a finer family than the division)."""
    full = normalise_cpv(code)
    return full[:3] if full else ""


def cpv_prefix(code: str) -> str:
    """Meaningful prefix of a code: the digits before the trailing zeros ("72200000-7" -> "722")."""
    digits = _DIGITS.sub("", code.split("-")[0]).rstrip("0")
    return digits if len(digits) >= 2 else digits.ljust(2, "0")


# Bounds on a query (issue 10): each distinct word costs one fuzzy pass over the vocabulary, so
# a long text is cut to its first words (a 500 KB text took ~45 s; now it costs 32 words).
MAX_QUERY_CHARS = 4000
MAX_QUERY_WORDS = 32


def search_cpv(query: str, limit: int = 20) -> list[tuple[str, str, float]]:
    """Codes matching `query`: a code prefix ("722", "72000000-5") or words of the French label.

    Accent-insensitive and typo-tolerant (rapidfuzz). Returns (code, label, score 0-100), best first.
    Only the first MAX_QUERY_WORDS distinct words of the first MAX_QUERY_CHARS characters count.
    """
    from rapidfuzz import fuzz, process

    table = load_cpv()
    query = (query or "")[:MAX_QUERY_CHARS].strip()
    if not query or limit <= 0:
        return []
    compact = query.replace(" ", "").replace("-", "")
    if compact.isdigit():
        digits = compact[:8]
        if len(digits) == 7 and digits.zfill(8) in _by_eight():
            digits = digits.zfill(8)  # a 7-digit code that lost its leading zero
        hits = [c for c in table if c.startswith(digits)]
        # the more general codes (more trailing zeros) first, then by code
        hits.sort(key=lambda c: (len(c[:8].rstrip("0")), c))
        return [(c, table[c], 100.0) for c in hits[:limit]]
    words = [w for w in fold(query).split() if w not in STOPWORDS] or fold(query).split()
    words = list(dict.fromkeys(words))[:MAX_QUERY_WORDS]
    if not words:
        return []
    codes, labels = _folded()
    vocabulary, postings = _vocabulary()
    # each query word -> similar label words (typo-tolerant, prefix match tolerates plurals)
    per_word: list[dict[int, float]] = []
    for word in words:
        best: dict[int, float] = {}
        for token, score, _ in process.extract(
            word, vocabulary, scorer=fuzz.ratio, limit=40, score_cutoff=75
        ):
            if token.startswith(word) or word.startswith(token):
                score = max(score, 95.0 if token != word else 100.0)
            for idx in postings[token]:
                if score > best.get(idx, 0.0):
                    best[idx] = score
        per_word.append(best)
    candidates = set().union(*per_word)
    scored = []
    for idx in candidates:
        coverage = sum(b.get(idx, 0.0) for b in per_word) / len(per_word)
        extra = len(labels[idx].split()) - len(words)  # prefer labels that say little else
        general = len(codes[idx][:8].rstrip("0"))
        scored.append((coverage - 0.8 * max(extra, 0) - 0.3 * general, codes[idx], coverage))
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [(code, table[code], round(score, 1)) for _, code, score in scored[:limit]]


STOPWORDS = frozenset(
    [
        "a",
        "au",
        "aux",
        "d",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "ou",
        "par",
        "pour",
        "sur",
        "un",
        "une",
        "avec",
        "dans",
    ]
)


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[list[str], dict[str, list[int]]]:
    _codes, labels = _folded()
    postings: dict[str, list[int]] = {}
    for idx, label in enumerate(labels):
        for token in set(label.split()):
            if token not in STOPWORDS:
                postings.setdefault(token, []).append(idx)
    return list(postings), postings
