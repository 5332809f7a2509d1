"""The library search: French stems without accents, typos tolerated, and the list filters."""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

import snowballstemmer
from rapidfuzz import fuzz, process
from sqlmodel import Session, col, select

from procure.clause_library.models import Clause, ClauseVersion
from procure.clause_library.services.catalogue import stored_id
from procure.clause_library.services.clause_spec import ClauseSpec
from procure.clause_library.services.vocabulary import FAMILIES, PLACEHOLDER_RE

# A snowball stemmer keeps its current word in the object: not thread-safe. Found by the load
# test (IndexError inside stemWord under 20 users): one stemmer per thread.
_LOCAL = threading.local()


def _stemmer():
    stemmer = getattr(_LOCAL, "stemmer", None)
    if stemmer is None:
        stemmer = _LOCAL.stemmer = snowballstemmer.stemmer("french")
    return stemmer


_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
_STOP = (
    "a au aux avec ce ces dans de des du elle en et il ils la le les leur leurs lui ne ni nos notre "
    "ou où par pas pour qu que qui sa se ses son sont sur ta te tes ton un une vos votre est l d s n "
    "c j m qu y à"
)
STOP_WORDS = frozenset(_STOP.split())


def _unaccent(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def terms(text: str) -> list[str]:
    """French stems without accents, stop words dropped: the search vocabulary."""
    words = [w for w in _WORD_RE.findall(text.lower()) if w not in STOP_WORDS]
    return [_unaccent(stem) for stem in _stemmer().stemWords(words)]


def search_text(spec: ClauseSpec) -> str:
    refs = " ".join(f"{r['source']} {r['article']} {r['note']}" for r in spec.references)
    deps = " ".join(f"{d['article']} {d['text']}" for d in spec.departures)
    body = PLACEHOLDER_RE.sub(" ", spec.body)
    return " ".join(
        terms(" ".join([spec.key.replace("-", " "), spec.title, spec.summary, body, refs, deps]))
    )


@dataclass
class LibraryRow:
    clause: Clause
    version: ClauseVersion  # the latest version
    approved: ClauseVersion | None  # the latest approved version
    score: float = 0.0
    matched: list[str] = field(default_factory=list)  # the query's words this clause matches
    of_words: int = 0  # how many words the query has

    @property
    def shown(self) -> ClauseVersion:
        return self.approved or self.version


def _match_query(
    query_terms: list[str],
    doc_terms: Counter,
    vocabulary: list[str],
    fuzzy_cache: dict[str, set[str]],
    last_is_prefix: bool,
) -> tuple[float, list[int]]:
    """Score of a document for the query terms, and the indexes of the terms it matches.

    A document matching some of the words still counts (ranked below those matching more).
    An exact stem counts 1, a prefix of the word being typed 0.9, a near spelling 0.7, each
    plus a little for how often the matched stems occur."""
    score = 0.0
    found: list[int] = []
    for index, term in enumerate(query_terms):
        if term in doc_terms:
            matched, weight = [term], 1.0
        elif (
            last_is_prefix
            and index == len(query_terms) - 1
            and len(term) >= 3
            and (prefixed := [t for t in doc_terms if t.startswith(term)])
        ):
            matched, weight = prefixed, 0.9
        else:
            if term not in fuzzy_cache:
                cutoff = 80 if len(term) >= 5 else 88
                fuzzy_cache[term] = (
                    {
                        m
                        for m, _s, _i in process.extract(
                            term, vocabulary, scorer=fuzz.ratio, score_cutoff=cutoff, limit=8
                        )
                    }
                    if len(term) >= 4
                    else set()
                )
            matched, weight = [t for t in fuzzy_cache[term] if t in doc_terms], 0.7
            if not matched:
                continue
        found.append(index)
        score += weight + 0.1 * math.log1p(sum(doc_terms[t] for t in matched))
    return score, found


def list_library(
    *,
    session: Session,
    q: str = "",
    family: str = "",
    status: str = "",
    piece: str = "",
    condition: str = "",
) -> list[LibraryRow]:
    """Every clause with its latest version, filtered and, with `q`, ranked by French full-text
    relevance (stems, accents ignored, typos tolerated, last word as a prefix while typing):
    clauses matching more of the query's words first, those matching only some still listed."""
    rows = session.exec(
        select(Clause, ClauseVersion)
        .join(ClauseVersion)
        .order_by(col(Clause.key), col(ClauseVersion.number))
    ).all()
    by_clause: dict[int, LibraryRow] = {}
    for clause, version in rows:
        row = by_clause.get(stored_id(clause))
        if row is None:
            row = by_clause[stored_id(clause)] = LibraryRow(clause, version, None)
        row.version = version
        if version.status == "approved":
            row.approved = version
    result = []
    for row in by_clause.values():
        shown = row.shown
        if family and row.clause.family != family:
            continue
        if status and row.version.status != status and not (status == "approved" and row.approved):
            continue
        if piece and shown.piece != piece:
            continue
        if condition == "none" and shown.conditions:
            continue
        if condition and condition != "none" and not shown.conditions.get(condition):
            continue
        result.append(row)
    words = [w for w in _WORD_RE.findall((q or "").lower()) if w not in STOP_WORDS]
    query_terms = terms(q or "")
    if query_terms:
        docs = {row.clause.id: Counter(row.shown.search_terms.split()) for row in result}
        vocabulary = sorted(set().union(*docs.values())) if docs else []
        cache: dict[str, set[str]] = {}
        prefix = bool(q) and not q[-1].isspace()
        kept = []
        for row in result:
            score, found = _match_query(query_terms, docs[row.clause.id], vocabulary, cache, prefix)
            if not found:
                continue
            title_terms = set(terms(row.shown.title))
            row.score = score + 0.5 * sum(1 for t in query_terms if t in title_terms)
            row.matched = [words[i] for i in found] if len(words) == len(query_terms) else []
            row.of_words = len(query_terms)
            kept.append((len(found), row))
        kept.sort(key=lambda pair: (-pair[0], -pair[1].score, pair[1].clause.key))
        return [row for _n, row in kept]
    order = {f: i for i, f in enumerate(FAMILIES)}
    result.sort(key=lambda r: (order.get(r.clause.family, 99), r.clause.key))
    return result
