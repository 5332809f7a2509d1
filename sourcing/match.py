"""Map free-text company names to known suppliers, with blocking so the cost stays near-linear.

Names are normalised (`normalise_name`), then indexed by their words. A query is compared only to
the names sharing one of its rarest words (the block), with rapidfuzz's `token_set_ratio` and
`WRatio`; common words ("groupe", "services", "france") weigh less in the block choice and in a
small rarity bonus. Names alone cannot tell a parent from its subsidiaries: location breaks ties
and a person decides merges.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from sourcing.normalise import normalise_name

MAX_BLOCK = 2000  # words more frequent than this are too common to block on alone


@dataclass
class Entry:
    key: int
    name: str
    normalized: str
    department: str = ""
    siren: str = ""


class NameIndex:
    def __init__(self, entries: Iterable[Entry]):
        self.entries: list[Entry] = list(entries)
        self.by_word: dict[str, list[int]] = defaultdict(list)
        for pos, e in enumerate(self.entries):
            for w in set(e.normalized.split()):
                self.by_word[w].append(pos)
        self.n = max(len(self.entries), 1)

    def idf(self, word: str) -> float:
        return math.log(1 + self.n / (1 + len(self.by_word.get(word, ()))))

    def block(self, normalized: str, max_words: int = 2) -> set[int]:
        """Positions of the names sharing one of the query's rarest words (prefix for typos)."""
        words = sorted(set(normalized.split()), key=lambda w: len(self.by_word.get(w, ())))
        out: set[int] = set()
        used = 0
        for w in words:
            posting = self.by_word.get(w)
            if not posting:
                continue
            if len(posting) > MAX_BLOCK and used:
                break
            out.update(posting[:MAX_BLOCK])
            used += 1
            if used >= max_words:
                break
        if not out and words:  # nothing shared: a typo; fall back on same 4-letter prefix words
            for w in words[:2]:
                for other, posting in self.by_word.items():
                    if len(w) >= 4 and other[:4] == w[:4]:
                        out.update(posting[:MAX_BLOCK])
        return out

    def match(
        self,
        name: str,
        *,
        department: str = "",
        limit: int = 10,
        min_score: float = 60.0,
        exclude: int | None = None,
    ) -> list[tuple[Entry, float]]:
        q = normalise_name(name)
        if not q:
            return []
        q_words = set(q.split())
        out = []
        for pos in self.block(q):
            e = self.entries[pos]
            if exclude is not None and e.key == exclude:
                continue
            base = 0.6 * fuzz.token_set_ratio(q, e.normalized) + 0.4 * fuzz.WRatio(q, e.normalized)
            shared = q_words & set(e.normalized.split())
            if shared:  # rare shared words count more than common ones
                rare = sum(self.idf(w) for w in shared) / sum(
                    self.idf(w) for w in q_words | set(e.normalized.split())
                )
                base = 0.85 * base + 15 * rare
            if department and e.department:
                base += 5 if e.department == department else -5
            score = round(min(base, 100.0), 1)
            if score >= min_score:
                out.append((e, score))
        out.sort(key=lambda t: (-t[1], t[0].name, t[0].key))
        return out[:limit]


def duplicate_pairs(
    index: NameIndex, *, candidates: Iterable[int], min_score: float = 90.0
) -> list[tuple[int, int, float]]:
    """(source key, target key, score) for entries without SIREN that look like another entry."""
    by_key = {e.key: e for e in index.entries}
    pairs = []
    for key in candidates:
        e = by_key[key]
        for other, score in index.match(
            e.name, department=e.department, limit=3, min_score=min_score, exclude=key
        ):
            # the target is the one with a SIREN if any, else the older entry
            if other.siren or other.key < key:
                pairs.append((key, other.key, score))
                break
    return pairs
