"""Scoring methods of the RC, as pure functions (no Flask, no database).

- Hyperbolic ("proportionnelle"), for quantities where lower is better (price, emissions):
  note = note_max × best / offer. The best offer gets note_max; twice the best gets half.
- Clipped log scale ("logarithmique"), for quantities spanning orders of magnitude:
  note = note_max × (1 − log(offer / best) / log(cap)), clipped to [0, note_max]; an offer `cap`
  times the best or worse gets 0 (cap = the RC's "plafond de rapport", 1,000 by default).
- Hosting thresholds (Climate Neutral Data Centre Pact, RGESN 2024): PUE, WUE and renewable share
  each give a fraction of the sub-criterion by step; missing values were defaulted conservatively.
- Weighted total: Σ note / note_max × weight; ranking with ties (competition ranking 1, 1, 3).
"""

from __future__ import annotations

import math
import unicodedata
from typing import Any

from procure.core.formatting import format_number

KIND_LABELS = {"price": "prix", "technical": "valeur technique", "environment": "environnement"}
DEFAULT_MAX_SCORE = 20.0
DEFAULT_LOG_CAP = 1000.0
TIE_DECIMALS = 4

# (threshold, fraction): the first threshold the value meets gives the fraction; else 0.
HOSTING_THRESHOLDS: dict[str, dict[str, Any]] = {
    "pue": {
        "lower_is_better": True,
        "steps": [(1.3, 1.0), (1.4, 0.8), (1.5, 0.6)],
        "source": "Climate Neutral Data Centre Pact (1,3 climat froid, 1,4 climat chaud) ; RGESN 2024 (< 1,5)",
    },
    "wue": {
        "lower_is_better": True,
        "steps": [(0.4, 1.0), (1.0, 0.5)],
        "source": "Climate Neutral Data Centre Pact et RGESN 2024 (≤ 0,4 L/kWh)",
    },
    "renewable_share": {
        "lower_is_better": False,
        "steps": [(1.0, 1.0), (0.75, 0.75), (0.5, 0.4)],
        "source": "Climate Neutral Data Centre Pact (75 % fin 2025, 100 % en 2030)",
    },
}


def hyperbolic(value: float, best: float, max_score: float) -> float:
    """note_max × best / value (lower is better)."""
    if value <= 0:
        return max_score
    return max_score * max(best, 0.0) / value


def log_scale(value: float, best: float, max_score: float, cap: float = DEFAULT_LOG_CAP) -> float:
    """note_max × (1 − log(value/best) / log(cap)), clipped to [0, note_max]."""
    if value <= 0 or best <= 0 or value <= best:
        return max_score
    note = max_score * (1 - math.log(value / best) / math.log(cap))
    return min(max(note, 0.0), max_score)


def threshold_fraction(metric: str, value: float | None) -> float:
    rule = HOSTING_THRESHOLDS[metric]
    if value is None:
        return 0.0
    for limit, fraction in rule["steps"]:
        if (value <= limit) if rule["lower_is_better"] else (value >= limit):
            return fraction
    return 0.0


def hosting_score(values: dict[str, float | None], max_score: float) -> float:
    """Mean of the PUE, WUE and renewable-share fractions, times the sub-criterion's max."""
    fractions = [threshold_fraction(m, values.get(m)) for m in HOSTING_THRESHOLDS]
    return max_score * sum(fractions) / len(fractions)


def _plain(text: str) -> str:
    return unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()


def kind_label(criterion: dict) -> str:
    """The criterion's nature in French ("prix", "valeur technique", "environnement", "autre")."""
    kind = str(criterion.get("kind") or "")
    return KIND_LABELS.get(kind, kind or "autre")


def method_of(criterion: dict) -> str:
    """The RC's method as one of hyperbolic, log, thresholds, manual."""
    method = _plain(str(criterion.get("method", "")))
    if any(w in method for w in ("hyperbol", "proportion", "best", "meilleur")):
        return "hyperbolic"
    if "log" in method:
        return "log"
    if any(w in method for w in ("seuil", "threshold")):
        return "thresholds"
    return "manual"


def metric_of(criterion: dict) -> str | None:
    """What an environmental (sub-)criterion measures, from its `metric` or its name."""
    if "metric" in criterion:  # declared by the tender: "" means assessed by the evaluators
        return criterion.get("metric") or None
    name = _plain(criterion.get("name", ""))
    if any(w in name for w in ("emission", "empreinte", "co2", "carbone", "ges")):
        return "kgco2e_per_year"
    if any(
        w in name for w in ("heberg", "pue", "wue", "renouvel", "datacenter", "centre de donnees")
    ):
        return "hosting"
    return None


def max_score(criterion: dict) -> float:
    try:
        value = float(criterion.get("max_score") or DEFAULT_MAX_SCORE)
    except (TypeError, ValueError):
        value = DEFAULT_MAX_SCORE
    return value if value > 0 else DEFAULT_MAX_SCORE


def relative(
    values: dict[Any, float | None], method: str, note_max: float, cap: float
) -> dict[Any, float]:
    """Notes of several offers for a lower-is-better quantity; offers without a value are left out."""
    known = {k: v for k, v in values.items() if v is not None}
    if not known:
        return {}
    best = min(known.values())
    if method == "log":
        return {k: log_scale(v, best, note_max, cap) for k, v in known.items()}
    return {k: hyperbolic(v, best, note_max) for k, v in known.items()}


def propose(criterion: dict, offers: dict[Any, dict]) -> dict[Any, dict]:
    """Proposed notes by formula for one criterion: {offer: {score, detail}}; empty when manual.

    `offers` maps an offer key to {"price": float | None, "footprint": dict | None,
    "declaration": dict | None}.
    """
    kind = criterion.get("kind")
    note_max = max_score(criterion)
    method = method_of(criterion)
    cap = float(criterion.get("cap") or criterion.get("plafond_rapport") or DEFAULT_LOG_CAP)
    if kind == "price" and method in ("hyperbolic", "log"):
        notes = relative({k: o.get("price") for k, o in offers.items()}, method, note_max, cap)
        return {
            k: {
                "score": n,
                "detail": f"prix, méthode {'logarithmique' if method == 'log' else 'meilleure offre / offre'}",
            }
            for k, n in notes.items()
        }
    if kind != "environment":
        return {}
    subs = criterion.get("sub_criteria") or []
    if not subs:
        if method not in ("hyperbolic", "log"):
            return {}
        subs = [
            {
                "name": "Émissions annuelles",
                "metric": "kgco2e_per_year",
                "max_score": note_max,
                "method": method,
            }
        ]
    parts: dict[Any, list[tuple[float | None, str]]] = {k: [] for k in offers}
    sub_total_max = sum(max_score(s) if s.get("max_score") else 0 for s in subs) or None
    for sub in subs:
        # Sub-criteria given as weights (percent of the criterion) rather than notes.
        sub_max = max_score(sub) if sub_total_max else note_max * float(sub.get("weight", 0)) / 100
        metric = metric_of(sub)
        sub_method = method_of(sub) if sub.get("method") else method
        if metric == "kgco2e_per_year":
            values = {
                k: (o.get("footprint") or {}).get("kgco2e_per_year") for k, o in offers.items()
            }
            notes = relative(values, "log" if sub_method == "log" else "hyperbolic", sub_max, cap)
            for k in offers:
                if k not in notes:
                    return {}
                parts[k].append(
                    (
                        notes[k],
                        f"{sub.get('name')} : {format_number(notes[k], 2)}/{format_number(sub_max)}",
                    )
                )
        elif metric == "hosting":
            for k, o in offers.items():
                used = (o.get("footprint") or {}).get("values_used") or {}
                n = hosting_score(used, sub_max)
                parts[k].append(
                    (n, f"{sub.get('name')} : {format_number(n, 2)}/{format_number(sub_max)}")
                )
        else:  # a person's judgement: the formula gives the measured part only
            for k in offers:
                parts[k].append(
                    (
                        None,
                        f"{sub.get('name')} : à apprécier par les évaluateurs (sur {format_number(sub_max)})",
                    )
                )
    if all(n is None for p in parts.values() for n, _ in p):
        return {}  # nothing measurable: the whole criterion is the evaluators' judgement
    return {
        k: {
            "score": sum(n for n, _ in p if n is not None),
            "detail": " ; ".join(d for _, d in p),
            "partial": any(n is None for n, _ in p),
        }
        for k, p in parts.items()
    }


def weighted_total(notes: dict[str, float], criteria: list[dict]) -> float:
    """Σ note / note_max × weight over the RC's criteria (out of 100 when weights sum to 100)."""
    total = 0.0
    for c in criteria:
        if c["name"] in notes:
            total += notes[c["name"]] / max_score(c) * float(c.get("weight") or 0)
    return total


def rank(totals: dict[Any, float]) -> list[tuple[int, list[Any], float]]:
    """Competition ranking, best first: [(rank, [keys tied at that rank], total)]."""
    groups: dict[float, list[Any]] = {}
    for key, total in totals.items():
        groups.setdefault(round(total, TIE_DECIMALS), []).append(key)
    result, position = [], 1
    for total in sorted(groups, reverse=True):
        keys = groups[total]
        result.append((position, keys, total))
        position += len(keys)
    return result
