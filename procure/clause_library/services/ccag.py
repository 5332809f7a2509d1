"""The CCAG-TIC 2021 article table, and the parsing of an article reference such as "art. 14.1.1".

Source: arrêté du 30 mars 2021 portant approbation du cahier des clauses administratives
générales des marchés publics de techniques de l'information et de la communication
(NOR ECOM2106875A, JORF du 1er avril 2021, modifié). The table ships in
`procure/clause_library/data/ccag_tic_2021.csv` (number, subject, chapter, where it was
checked); see docs/clause-format.md for what was verified and how. Pure: no DB, no Flask.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TABLE_PATH = Path(__file__).resolve().parent.parent / "data" / "ccag_tic_2021.csv"
SOURCE = "CCAG-TIC (arrêté du 30 mars 2021)"

# "art. 14", "art. 14.1.1", "art. 43 à 46", "articles 43 à 46", optionally prefixed "CCAG-TIC".
_REF_RE = re.compile(
    r"^(?:CCAG-TIC,?\s*)?(?:art\.|article|articles)\s*(\d{1,3})((?:\.\d{1,2}){0,3})"
    r"(?:\s*(?:à|-)\s*(\d{1,3}))?$",
    re.IGNORECASE,
)
# Wordings of the 2009 CCAG-TIC that no longer exist in 2021.
OBSOLETE_RE = re.compile(
    r"option\s+[AB]\b|options\s+A\s+et\s+B|chapitre\s+5\s*\(?\s*utilisation des résultats",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Article:
    number: int
    title: str
    chapter: int
    chapter_title: str
    checked: str


@cache
def articles() -> dict[int, Article]:
    """The table, by article number."""
    with TABLE_PATH.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        int(r["number"]): Article(
            int(r["number"]), r["title"], int(r["chapter"]), r["chapter_title"], r["checked"]
        )
        for r in rows
    }


def chapter_articles(chapter: int) -> list[int]:
    return [n for n, a in articles().items() if a.chapter == chapter]


@dataclass(frozen=True)
class ArticleRef:
    first: int
    last: int
    sub: str  # ".1.1" or ""

    @property
    def numbers(self) -> range:
        return range(self.first, self.last + 1)

    def label(self) -> str:
        if self.last != self.first:
            return f"art. {self.first} à {self.last}"
        return f"art. {self.first}{self.sub}"


def parse_ref(text: str) -> ArticleRef | None:
    """An article reference of the CCAG-TIC, or None when the text is not one."""
    match = _REF_RE.match((text or "").strip())
    if not match:
        return None
    first = int(match.group(1))
    last = int(match.group(3)) if match.group(3) else first
    return ArticleRef(first, last, match.group(2) or "")


def check_ref(text: str) -> str | None:
    """Why an article reference is not a valid CCAG-TIC 2021 reference (French), or None."""
    if OBSOLETE_RE.search(text or ""):
        return (
            f"« {text} » cite le CCAG-TIC de 2009 : en 2021, l'utilisation des résultats est le "
            "chapitre 7 (art. 43 à 46), à régime unique, sans options A et B."
        )
    ref = parse_ref(text)
    if ref is None:
        return (
            f"référence d'article illisible « {text} » : écrivez « art. 14 », « art. 14.1.1 » "
            "ou « art. 43 à 46 »."
        )
    table = articles()
    if ref.last < ref.first:
        return f"plage d'articles inversée « {text} »."
    unknown = [n for n in ref.numbers if n not in table]
    if unknown:
        return (
            f"l'article {unknown[0]} n'existe pas dans le CCAG-TIC 2021 "
            f"(articles 1 à {max(table)})."
        )
    return None


def sort_key(text: str) -> tuple:
    ref = parse_ref(text)
    if ref is None:
        return (10_000, text)
    return (ref.first, tuple(int(p) for p in ref.sub.split(".") if p), ref.last)
