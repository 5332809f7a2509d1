"""Hybrid search over the supplier index and the documented, deterministic score.

1. The need's words are matched against the 9,454 French CPV labels (`search_cpv`): the best
   classes are the need's *CPV classes* (shown to the user, who may correct them with `--cpv`).
2. Candidates come from the French full-text index (BM25) and the vector index (the need embedded
   by the local model); optionally (`use_labels`, measured neutral, off) from a second full-text
   query made of the CPV labels of the groups the model's CPV head predicts for the need. Their
   union is scored; the head also gives the `cpv_modele` component (the supplier's contracts in
   the predicted CPV divisions) and, with the nearest supplier's cosine, the `couverture`
   component: how well the indexed contracts cover the need, the same for every result, so that
   a need nothing fits stays under the no-match threshold.
3. score = 100 x sum(weight_i x component_i) / sum(weight_i over the components that apply), each
   component in [0, 1] (see COMPONENTS and docs/sourcing.md). Location, size and certifications
   apply only when the search asks for them; the model's judgement only for judged results.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sourcing.cpv import cpv_prefix, load_cpv, normalise_cpv, search_cpv

COMPONENTS = {
    "semantique": "Proximité sémantique : cosinus entre le besoin et les objets des marchés du "
    "fournisseur (vecteurs centrés du modèle local), ramené de [0,05 ; 0,45] à [0 ; 1]",
    "texte": "Pertinence plein texte : BM25 (index français) ramené à s / (s + 8), sans "
    "comparaison avec les autres résultats",
    "cpv": "Marchés passés dans les classes CPV du besoin (part et profondeur de la correspondance)",
    "recence": "Ancienneté du marché correspondant le plus récent (demi-vie 3 ans)",
    "cpv_modele": "Marchés du fournisseur dans les divisions CPV que le classifieur du modèle local "
    "prédit pour le besoin : s = somme, sur ses marchés, de la probabilité de leur division, "
    "ramenée à 1 - e^(-s/8)",
    "couverture": "Couverture du besoin par les marchés connus, selon le modèle local : moitié la "
    "probabilité de la division CPV la plus probable pour le besoin (classifieur CPV), moitié la "
    "proximité du fournisseur le plus proche (cosinus des vecteurs centrés, ramené de [0,2 ; 1] "
    "à [0 ; 1]) ; même valeur pour tous les résultats d'une recherche",
    "localisation": "Même département que demandé",
    "taille": "Taille demandée (PME, ETI, GE)",
    "certifications": "Part des certifications demandées déclarées",
    "jugement": "Avis borné du modèle local (0 à 4), si demandé",
}
# French labels of the components, as shown to buyers
COMPONENT_LABELS = {
    "semantique": "Proximité sémantique",
    "texte": "Pertinence du texte",
    "cpv": "Marchés dans les classes CPV du besoin",
    "recence": "Récence",
    "cpv_modele": "Marchés dans les divisions CPV prédites par le modèle",
    "couverture": "Couverture du besoin par les marchés connus (modèle)",
    "localisation": "Localisation",
    "taille": "Taille",
    "certifications": "Certifications",
    "jugement": "Avis du modèle (expérimental)",
}
DEFAULT_WEIGHTS = {
    "semantique": 0.0,
    "texte": 0.35,
    "cpv": 0.35,
    "recence": 0.10,
    "cpv_modele": 0.15,
    "couverture": 0.35,
    "localisation": 0.10,
    "taille": 0.05,
    "certifications": 0.10,
    "jugement": 0.10,
}
JUDGE_MAX_WEIGHT = 0.15  # the model's opinion can never weigh more than this
TEXT_K = 8.0  # texte = bm25 / (bm25 + TEXT_K): an absolute scale, not relative to the best hit
SEM_LOW, SEM_HIGH = 0.05, 0.45  # centred cosine mapped linearly to [0, 1] between these
HEAD_MIN = 0.10  # a CPV class predicted by the head below this probability is not used
HEAD_FULL = 0.20  # ... and at or above this one it counts fully
HEAD_LEVEL_WEIGHT = {3: 1.0, 2: 0.6}  # a group-level class is worth more than a division
# A search whose best result scores below this has no relevant supplier in the data
# ("aucun fournisseur pertinent dans les données"); chosen on the tuning split (docs/sourcing.md).
NO_MATCH_THRESHOLD = 49.0
# ... and when no model-derived component applies (model unavailable, or the ablation), the
# threshold chosen the same way for that pipeline
NO_MATCH_THRESHOLD_TEXT = 55.0
# ... and for the ablation without the coverage component (evaluation only)
NO_MATCH_THRESHOLD_UNCOVERED = 48.5
HALF_LIFE_YEARS = 3.0
CANDIDATES = 100


@dataclass
class Query:
    need: str
    cpv: str = ""  # a code prefix given by the user (filter and CPV classes)
    department: str = ""
    size: str = ""
    certifications: list[str] = field(default_factory=list)
    limit: int = 10
    mode: str = "hybrid"  # hybrid, vector, text (the last two for the evaluation)


def need_cpv_classes(need: str, cpv_filter: str = "", limit: int = 5) -> list[dict[str, Any]]:
    """CPV classes of the need: the user's prefix if given, else the best label matches."""
    table = load_cpv()
    if cpv_filter:
        digits = re.sub(r"\D", "", cpv_filter)
        full = normalise_cpv(digits.ljust(8, "0")) if digits else None
        label = table.get(full, "") if full else ""
        return [{"code": full or digits, "prefix": digits, "label": label, "score": 100.0}]
    out = []
    for code, label, score in search_cpv(need, limit=limit):
        if score >= 70:
            out.append({"code": code, "prefix": cpv_prefix(code), "label": label, "score": score})
    return out


def cpv_component(entries: list[tuple[str, int]], classes: list[dict]) -> tuple[float, int, int]:
    """(value, matching contracts, year of the latest match) for a supplier's (code, year) list."""
    if not entries or not classes:
        return 0.0, 0, 0
    best_total = 0.0
    matches = 0
    latest = 0
    for code, year in entries:
        best = 0.0
        for cls in classes:
            prefix = cls["prefix"]
            if code.startswith(prefix):
                depth = 1.0
            else:
                common = len(_common(code, prefix))
                depth = 0.0 if common < 2 else 0.25 + 0.5 * (common - 2) / max(len(prefix) - 2, 1)
                depth = min(depth, 0.75)
            best = max(best, depth * cls["score"] / 100)
        if best >= 0.5:
            matches += 1
            latest = max(latest, year)
        best_total += best
    share = best_total / len(entries)
    volume = 1 - math.exp(-matches / 2)  # 1 match 0.39, 2: 0.63, 4: 0.86
    return round(0.5 * share + 0.5 * volume, 4), matches, latest


MODEL_VOLUME_K = 8.0  # cpv_modele = 1 - exp(-s / MODEL_VOLUME_K), s = sum of the divisions' p


def head_probabilities(semantic, vector) -> dict[str, float]:
    """{CPV prefix: probability} of every class of every head (division and group) for `vector`."""
    probs: dict[str, float] = {}
    if semantic is None or vector is None:
        return probs
    for head in semantic.heads.values():
        for prefix, p in head.predict(vector, top=len(head.classes)):
            probs[prefix] = p
    return probs


def model_cpv_features(entries: list[tuple[str, int]], probs: dict[str, float]) -> dict[str, float]:
    """How much of a supplier's record lies in the CPV groups the head predicts for the need:
    the sum over its contracts of their group's probability (s3), the same per division (s2),
    and their means. Absolute: a probability, not a comparison with the other hits."""
    if not entries or not probs:
        return {"s3": 0.0, "s2": 0.0, "m3": 0.0, "m2": 0.0}
    s3 = sum(probs.get(code[:3], 0.0) for code, _ in entries)
    s2 = sum(probs.get(code[:2], 0.0) for code, _ in entries)
    n = len(entries)
    return {"s3": s3, "s2": s2, "m3": s3 / n, "m2": s2 / n}


def model_cpv_component(features: dict[str, float]) -> float:
    """Division level, saturating volume: chosen on the tuning split (docs/sourcing.md)."""
    return round(1 - math.exp(-features["s2"] / MODEL_VOLUME_K), 4)


COVERAGE_COS_LOW, COVERAGE_COS_HIGH = 0.2, 1.0  # nearest supplier's centred cosine -> [0, 1]


def coverage(probs: dict[str, float], cosine: dict[int, float], rows: dict[int, dict]) -> float:
    """How well the indexed contracts cover the need, by the model: half the probability of the
    need's most probable CPV division (the CPV head), half the closeness of the nearest supplier
    (centred cosine, mapped from [COVERAGE_COS_LOW, COVERAGE_COS_HIGH] to [0, 1]).

    The division, not the group: a need between two neighbouring groups (722 and 723, software
    and IT services) splits the group probability in two although the head is sure of its
    division; the head also gets the division right far more often (docs/sourcing.md).

    A property of the need, not of a supplier: the same for every result of a search, it moves
    all of them up or down, so that a score means the same from one need to the next and a need
    that nothing in the data fits stays under the no-match threshold. Fitted on the tuning split
    (a logistic regression of "a real need" against "a need with no answer" on the best score,
    the head's probability and the nearest cosine, turned into this weight and mix)."""
    division = max((p for k, p in probs.items() if len(k) == 2), default=0.0)
    near = max(
        (c for i, c in cosine.items() if i in rows and not rows[i].get("public_body")),
        default=0.0,
    )
    span = COVERAGE_COS_HIGH - COVERAGE_COS_LOW
    closeness = min(max((near - COVERAGE_COS_LOW) / span, 0.0), 1.0)
    return round(0.5 * division + 0.5 * closeness, 4)


def _common(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


def recency(year: int, today: date | None = None) -> float:
    if not year:
        return 0.0
    age = max((today or date.today()).year - year, 0)
    return round(0.5 ** (age / HALF_LIFE_YEARS), 4)


def _entries(cpvs: str) -> list[tuple[str, int]]:
    out = []
    for item in (cpvs or "").split():
        code, _, year = item.partition(":")
        out.append((code, int(year or 0)))
    return out


def _sql_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _where(q: Query) -> str | None:
    clauses = []
    if q.department:
        clauses.append(f"department = {_sql_quote(q.department)}")
    if q.size:
        clauses.append(f"size = {_sql_quote(q.size)}")
    return " AND ".join(clauses) or None


# Acronyms of public IT purchasing written both ways in DECP objects ("progiciel RH", "gestion
# des ressources humaines"): the full-text query gets the other form too.
ACRONYMS = {
    "rh": "ressources humaines",
    "sirh": "ressources humaines",
    "grh": "ressources humaines",
    "si": "systeme information",
    "sig": "information geographique",
    "ged": "gestion electronique documents",
    "tma": "tierce maintenance applicative",
    "erp": "progiciel gestion integre",
    "dsi": "direction systemes information",
    "ent": "espace numerique travail",
}
_EXPANSIONS = [(tuple(v.split()), k) for k, v in ACRONYMS.items()]


def expand(words: list[str]) -> list[str]:
    """The need's words plus the other form of the acronyms it uses (either way round)."""
    from sourcing.cpv import fold

    folded = [fold(w) for w in words]
    extra: list[str] = []
    for w in folded:
        if w in ACRONYMS:
            extra.extend(ACRONYMS[w].split())
    text = " ".join(folded)
    for phrase, acronym in _EXPANSIONS:
        if " ".join(phrase) in text and acronym not in folded and acronym not in extra:
            extra.append(acronym)
    return words + [w for w in dict.fromkeys(extra) if w not in folded]


def fts_query(need: str) -> str:
    """The need as a plain word query (no operators from user text), acronyms expanded."""
    words = [w.replace("'", " ").replace("’", " ") for w in re.findall(r"[\w'’-]+", need or "")]
    return " ".join(expand(words))[:500]


def retrieve(table, q: Query, query_vector: list[float] | None, n: int = CANDIDATES):
    """Candidates from BM25 and from the vectors: ({id: row}, {id: bm25}, {id: cosine})."""
    where = _where(q)
    rows: dict[int, dict] = {}
    bm25: dict[int, float] = {}
    cosine: dict[int, float] = {}
    cols = ["id", "siren", "name", "department", "size", "cpvs", "certifications"]
    if "public_body" in table.schema.names:
        cols.append("public_body")
    if q.mode in ("hybrid", "text") and fts_query(q.need).strip():
        search = table.search(fts_query(q.need), query_type="fts", fts_columns="text")
        if where:
            search = search.where(where, prefilter=True)
        for r in search.select([*cols, "_score"]).limit(n).to_list():
            rows[r["id"]] = r
            bm25[r["id"]] = float(r.get("_score") or 0.0)
    if q.mode in ("hybrid", "vector") and query_vector is not None:
        search = table.search(query_vector, vector_column_name="vector").metric("cosine")
        if where:
            search = search.where(where, prefilter=True)
        for r in search.select([*cols, "_distance"]).limit(n).to_list():
            rows.setdefault(r["id"], r)
            cosine[r["id"]] = 1.0 - float(r["_distance"])
    if q.cpv:
        prefix = re.sub(r"\D", "", q.cpv)
        rows = {
            i: r
            for i, r in rows.items()
            if any(c.startswith(prefix) for c, _ in _entries(r["cpvs"]))
        }
    return rows, bm25, cosine


def class_candidates(table, q: Query, vector, classes: list[dict], rows, cosine, n: int) -> None:
    """Add the suppliers nearest to the need among those with contracts in the model's CPV
    classes (the head's classes of group level): candidates BM25 cannot see."""
    prefixes = [
        c["prefix"]
        for c in classes
        if c.get("source") == MODEL_SOURCE and len(c["prefix"]) >= 3 and c["prefix"].isdigit()
    ]
    if not prefixes or vector is None or n <= 0:
        return
    match = " OR ".join(f"cpvs LIKE '{p}%' OR cpvs LIKE '% {p}%'" for p in prefixes)
    where = _where(q)
    where = f"({match})" + (f" AND {where}" if where else "")
    cols = ["id", "siren", "name", "department", "size", "cpvs", "certifications"]
    if "public_body" in table.schema.names:
        cols.append("public_body")
    search = table.search(vector, vector_column_name="vector").metric("cosine")
    for r in search.where(where, prefilter=True).select([*cols, "_distance"]).limit(n).to_list():
        rows.setdefault(r["id"], r)
        cosine.setdefault(r["id"], 1.0 - float(r["_distance"]))


def text_component(bm25: float) -> float:
    """BM25 on an absolute scale: s / (s + TEXT_K) (0.5 at s = TEXT_K)."""
    return round(bm25 / (bm25 + TEXT_K), 4) if bm25 > 0 else 0.0


def semantic_component(cosine: float) -> float:
    """Centred cosine mapped linearly from [SEM_LOW, SEM_HIGH] to [0, 1]."""
    return round(min(max((cosine - SEM_LOW) / (SEM_HIGH - SEM_LOW), 0.0), 1.0), 4)


def score_candidates(
    rows: dict[int, dict],
    bm25: dict[int, float],
    cosine: dict[int, float],
    q: Query,
    classes: list[dict],
    weights: dict[str, float],
    judgements: dict[int, int] | None = None,
    today: date | None = None,
    probs: dict[str, float] | None = None,
    coverage: float | None = None,
) -> list[dict[str, Any]]:
    """Score every candidate; each component is absolute (nothing relative to the best hit).
    `probs` are the CPV head's probabilities for the need (None: no model-derived component);
    `coverage` is the need's coverage by the indexed contracts (the same for every candidate)."""
    judgements = judgements or {}
    results = []
    wanted_certs = [c.strip().lower() for c in q.certifications if c.strip()]
    for sid, r in rows.items():
        entries = _entries(r["cpvs"])
        cpv_value, matches, latest = cpv_component(entries, classes)
        comp: dict[str, float] = {
            "semantique": semantic_component(cosine[sid]) if sid in cosine else 0.0,
            "texte": text_component(bm25.get(sid, 0.0)),
            "cpv": cpv_value,
            "recence": recency(latest, today) if matches else 0.0,
        }
        if probs is not None:
            comp["cpv_modele"] = model_cpv_component(model_cpv_features(entries, probs))
        if coverage is not None:
            comp["couverture"] = coverage
        if q.department:
            comp["localisation"] = 1.0 if r["department"] == q.department else 0.0
        if q.size:
            comp["taille"] = 1.0 if r["size"] == q.size else 0.0
        if wanted_certs:
            have = (r["certifications"] or "").lower()
            comp["certifications"] = round(
                sum(c in have for c in wanted_certs) / len(wanted_certs), 4
            )
        if sid in judgements:
            comp["jugement"] = round(judgements[sid] / 4, 4)
        results.append(
            {
                "supplier_id": sid,
                "siren": r["siren"],
                "name": r["name"],
                "components": comp,
                "cpv_matches": matches,
                "public_body": bool(r.get("public_body")),
                "score": weighted(comp, weights),
            }
        )
    results.sort(key=lambda x: (-x["score"], x["name"], x["supplier_id"]))
    return results


def weighted(components: dict[str, float], weights: dict[str, float]) -> float:
    used = {k: weights.get(k, 0.0) for k in components}
    used = {k: w for k, w in used.items() if w > 0}
    total = sum(used.values())
    if not total:
        return 0.0
    return round(100 * sum(w * components[k] for k, w in used.items()) / total, 2)


def clean_weights(weights: dict[str, float] | None) -> dict[str, float]:
    """Default weights updated with the user's; the judgement weight is capped."""
    out = dict(DEFAULT_WEIGHTS)
    for k, v in (weights or {}).items():
        if k in out:
            out[k] = max(0.0, float(v))
    out["jugement"] = min(out["jugement"], JUDGE_MAX_WEIGHT)
    return out


FEEDBACK_DOCS = 5
FEEDBACK_CLASSES = 3


def feedback_classes(
    rows: dict[int, dict], bm25: dict[int, float], known: list[dict]
) -> list[dict]:
    """CPV classes most frequent among the contracts of the best full-text hits (pseudo-relevance
    feedback): the need's words find a few suppliers, their contracts say what family it is."""
    top = sorted(bm25, key=lambda i: -bm25[i])[:FEEDBACK_DOCS]
    counts: dict[str, float] = {}
    for rank, sid in enumerate(top):
        entries = _entries(rows[sid]["cpvs"])
        for code, _year in entries:
            counts[code] = counts.get(code, 0.0) + 1.0 / (rank + 1) / len(entries)
    have = {c["prefix"] for c in known}
    out = []
    total = sum(counts.values()) or 1.0
    table = load_cpv()
    for code, weight in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:FEEDBACK_CLASSES]:
        full = normalise_cpv(code)
        prefix = cpv_prefix(full or code)
        if prefix in have:
            continue
        out.append(
            {
                "code": full or code,
                "prefix": prefix,
                "label": table.get(full, "") if full else "",
                "score": round(60 + 40 * weight / total, 1),
                "source": "retour de pertinence",
            }
        )
    return out


MODEL_SOURCE = "modèle (classifieur CPV)"
CLASS_CANDIDATES = 50


HEAD_ADD = False  # adding the head's classes as new classes: measured worse, off
REWEIGHT_FLOOR = 0.0


def reweight_classes(semantic, vector, classes: list[dict]) -> list[dict]:
    """Each word- or feedback-derived class weighed by the head's probability of its group (or
    division): the model confirms or demotes the classes the need's words suggested."""
    probs: dict[str, float] = {}
    for head in semantic.heads.values():
        for prefix, p in head.predict(vector, top=len(head.classes)):
            probs[prefix] = p
    out = []
    for c in classes:
        if c.get("source") == MODEL_SOURCE:
            out.append(c)
            continue
        p = max(probs.get(c["prefix"][:3], 0.0), 0.5 * probs.get(c["prefix"][:2], 0.0))
        factor = REWEIGHT_FLOOR + (1 - REWEIGHT_FLOOR) * min(p / HEAD_FULL, 1.0)
        out.append({**c, "score": round(c["score"] * factor, 1), "model_factor": round(factor, 3)})
    return out


LABEL_GROUPS = 2  # the head's best groups whose CPV label expands the full-text query
LABEL_MIN_P = 0.15
LABEL_CANDIDATES = 50


def label_query(probs: dict[str, float]) -> str:
    """The French CPV labels of the groups the head finds most probable for the need."""
    table = load_cpv()
    groups = sorted(
        ((p, k) for k, p in probs.items() if len(k) == 3 and p >= LABEL_MIN_P), reverse=True
    )
    labels = []
    for _p, prefix in groups[:LABEL_GROUPS]:
        code = normalise_cpv(prefix.ljust(8, "0"))
        if code and table.get(code):
            labels.append(table[code])
    return fts_query(" ".join(labels)) if labels else ""


def label_candidates(table, q: Query, text: str, rows: dict[int, dict], n: int) -> dict[int, float]:
    """Suppliers whose profile matches the predicted CPV labels (query expansion by the model's
    classes, not by the hits): new candidates (their text component stays the need's own BM25)
    and their BM25 on that label query."""
    if not text.strip() or n <= 0:
        return {}
    cols = ["id", "siren", "name", "department", "size", "cpvs", "certifications"]
    if "public_body" in table.schema.names:
        cols.append("public_body")
    search = table.search(text, query_type="fts", fts_columns="text")
    where = _where(q)
    if where:
        search = search.where(where, prefilter=True)
    out: dict[int, float] = {}
    for r in search.select([*cols, "_score"]).limit(n).to_list():
        if q.cpv and not any(c.startswith(q.cpv) for c, _ in _entries(r["cpvs"])):
            continue
        rows.setdefault(r["id"], r)
        out[r["id"]] = float(r.get("_score") or 0.0)
    return out


def head_classes(semantic, vector, known: list[dict]) -> list[dict]:
    """The need's CPV classes predicted by the model's CPV head (sourcing.semantic)."""
    table = load_cpv()
    have = {c["prefix"] for c in known}
    out = []
    for c in semantic.cpv_classes(vector):
        p = c["probability"]
        if p < HEAD_MIN or c["prefix"] in have:
            continue
        code = normalise_cpv(c["prefix"].ljust(8, "0"))
        out.append(
            {
                "code": code or c["prefix"],
                "prefix": c["prefix"],
                "label": table.get(code, "") if code else "",
                "score": round(100 * HEAD_LEVEL_WEIGHT[c["level"]] * min(p / HEAD_FULL, 1.0), 1),
                "probability": p,
                "source": MODEL_SOURCE,
            }
        )
    return out


def search(
    table,
    q: Query,
    *,
    embed: Callable[[list[str]], list[list[float]]] | None,
    weights: dict[str, float] | None = None,
    today: date | None = None,
    use_feedback: bool = True,
    semantic=None,
    use_model: bool = True,
    use_head: bool = True,
    use_vectors: bool = True,
    use_reweight: bool = False,  # measured: lowers real needs' scores (docs/sourcing.md)
    use_model_cpv: bool = True,
    use_coverage: bool = True,
    use_labels: bool = False,  # measured neutral (docs/sourcing.md): one full-text query saved
    no_match_threshold: float | None = None,
) -> dict[str, Any]:
    """Run one search: CPV classes, retrieval, score. Returns classes and ranked results.

    `semantic` holds the index's centring mean and CPV head; `use_model=False` removes every
    model-derived signal (the ablation of the evaluation). Public bodies are set apart."""
    import numpy as np

    weights = clean_weights(weights)
    if not use_model:
        weights["semantique"] = 0.0
    classes = need_cpv_classes(q.need, q.cpv)
    vector = None
    centred = None
    if use_model and embed is not None and q.mode in ("hybrid", "vector"):
        raw = embed([q.need])[0]
        if semantic is not None:
            centred = semantic.need_vector(raw)
            vector = centred.tolist()
        else:
            v = np.asarray(raw, dtype=np.float32)
            vector = (v / (np.linalg.norm(v) or 1.0)).tolist()
    rows, bm25, cosine = retrieve(table, q, vector)
    if not use_vectors and q.mode == "hybrid":  # the ablation: vector hits only for the coverage
        rows = {i: r for i, r in rows.items() if i in bm25}
    model_on = use_head and centred is not None and semantic is not None and bool(semantic.heads)
    probs = head_probabilities(semantic, centred) if model_on and q.mode == "hybrid" else None
    if probs and use_labels:
        label_candidates(table, q, label_query(probs), rows, LABEL_CANDIDATES)
    if q.mode == "hybrid" and not q.cpv:
        if model_on and HEAD_ADD:
            classes = classes + head_classes(semantic, centred, classes)
            if use_vectors:
                class_candidates(table, q, vector, classes, rows, cosine, CLASS_CANDIDATES)
        if use_feedback:
            classes = classes + feedback_classes(rows, bm25, classes)
        if model_on and use_reweight:
            classes = reweight_classes(semantic, centred, classes)
    model_signals = probs is not None
    cover = coverage(probs, cosine, rows) if probs is not None and use_coverage else None
    base = score_candidates(
        rows,
        bm25,
        cosine,
        q,
        classes,
        weights,
        today=today,
        probs=probs if use_model_cpv else None,
        coverage=cover,
    )
    if q.mode == "hybrid":
        results = base
    else:  # single retriever, its own order (for the evaluation's baselines)
        key = bm25 if q.mode == "text" else cosine
        results = sorted(
            (r for r in base if r["supplier_id"] in key),
            key=lambda r: (-key[r["supplier_id"]], r["supplier_id"]),
        )
    if no_match_threshold is None:
        no_match_threshold = NO_MATCH_THRESHOLD if model_signals else NO_MATCH_THRESHOLD_TEXT
    public = [r for r in results if r["public_body"]]
    results = [r for r in results if not r["public_body"]]
    top = results[0]["score"] if results else 0.0
    return {
        "cpv_classes": classes,
        "weights": weights,
        "results": results[: q.limit],
        "public_bodies": public[:5],
        "candidates": len(rows),
        "no_match": q.mode == "hybrid" and top < no_match_threshold,
        "coverage": cover,
        "no_match_threshold": no_match_threshold,
    }
