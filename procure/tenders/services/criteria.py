"""The tender's award criteria as text: the one place RC, clauses, evaluation and report read them.

The criteria, their weights, sub-criteria and scoring methods, the functional unit and the lots
live once, in the tender. Every document that mentions them prints the text built here, and the
clause bodies print it through the reserved `{{ marche.* }}` placeholders (`tender_values`), so a
change of a weight or a method shows everywhere at once. Pure: no database, no Flask.
"""

from __future__ import annotations

from procure.core.formatting import format_number
from procure.tenders.models import Tender
from procure.tenders.services.choices import (
    DEFAULT_LOG_CAP,
    METHODS,
    SUB_METRICS,
    THRESHOLDS_METHOD,
)


def max_score(criterion: dict) -> float:
    try:
        value = float(criterion.get("max_score") or 20)
    except (TypeError, ValueError):
        value = 20.0
    return value if value > 0 else 20.0


def cap_of(criterion: dict) -> float:
    try:
        value = float(criterion.get("cap") or DEFAULT_LOG_CAP)
    except (TypeError, ValueError):
        value = DEFAULT_LOG_CAP
    return value if value > 1 else DEFAULT_LOG_CAP


def method_text(criterion: dict, method: str | None = None) -> str:
    """The published wording of a scoring method (with the log scale's cap)."""
    key = method if method is not None else str(criterion.get("method") or "")
    if key == "seuils":
        return THRESHOLDS_METHOD
    if key == "logarithmique":
        cap = format_number(cap_of(criterion))
        return (
            "échelle logarithmique écrêtée : la meilleure offre obtient la note maximale, une offre "
            f"{cap} fois moins bonne ou pire obtient zéro, les offres intermédiaires une note "
            "proportionnelle à l'écart des logarithmes"
        )
    return METHODS.get(key, key)


def sub_method(criterion: dict, sub: dict) -> str:
    """The method of a sub-criterion: its own, else the criterion's for a measured quantity."""
    if not sub.get("metric"):
        return "bareme"
    if sub.get("metric") == "hosting":  # scored by thresholds, whatever the criterion's method
        return "seuils"
    return str(sub.get("method") or criterion.get("method") or "proportionnelle")


def sub_criteria_text(criterion: dict) -> str:
    """One sentence per sub-criterion: name, share of the criterion, points, what is measured, method."""
    subs = criterion.get("sub_criteria") or []
    total = max_score(criterion)
    if not subs:
        return (
            f"le critère est noté en un seul bloc sur {format_number(total)} points, "
            f"selon la méthode : {method_text(criterion)}"
        )
    parts = []
    for sub in subs:
        share = float(sub.get("weight") or 0)
        points = round(total * share / 100, 2)
        metric = SUB_METRICS.get(str(sub.get("metric") or ""), SUB_METRICS[""])
        parts.append(
            f"« {sub.get('name', '')} », pour {format_number(share)} % du critère "
            f"({format_number(points)} points), {metric}, noté selon la méthode : "
            f"{method_text(criterion, sub_method(criterion, sub))}"
        )
    return " ; ".join(parts)


def weight_text(criterion: dict) -> str:
    """ "15 %", or "non pondéré" (a MAPA may announce criteria without weights)."""
    weight = criterion.get("weight")
    if weight is None:
        return "non pondéré"
    return f"{format_number(float(weight))} %"


def criteria_text(tender: Tender) -> str:
    return " ; ".join(
        f"{c.get('name', '')} ({weight_text(c)})" for c in tender.award_criteria or []
    )


def environment_criterion(tender: Tender) -> dict | None:
    return next((c for c in tender.award_criteria or [] if c.get("kind") == "environment"), None)


def functional_unit_text(tender: Tender) -> str:
    if not (tender.requests_per_year and tender.tokens_per_request):
        return ""
    return (
        f"une requête de {format_number(tender.tokens_per_request)} jetons, pour un volume annuel "
        f"de référence de {format_number(tender.requests_per_year)} requêtes"
    )


def lots_text(tender: Tender) -> str:
    if tender.lots:
        return f"le marché est alloti en {len(tender.lots)} lot(s) : " + " ; ".join(
            f"lot {lot['number']}, {lot['title']}" for lot in tender.lots
        )
    reason = (tender.lots_reason or "").strip()
    return "le marché n'est pas alloti" + (f" ({reason})" if reason else "")


def tender_values(tender: Tender) -> dict[str, str]:
    """The text of every reserved `marche.*` placeholder for this tender ("" when not set)."""
    env = environment_criterion(tender)
    values = {
        "marche.criteres": criteria_text(tender),
        "marche.unite_fonctionnelle": functional_unit_text(tender),
        "marche.requetes_par_an": format_number(tender.requests_per_year)
        if tender.requests_per_year
        else "",
        "marche.jetons_par_requete": format_number(tender.tokens_per_request)
        if tender.tokens_per_request
        else "",
        "marche.lots": lots_text(tender),
    }
    if env is not None:
        values.update(
            {
                "marche.critere_env_nom": str(env.get("name", "")),
                "marche.critere_env_ponderation": weight_text(env),
                "marche.critere_env_note_max": format_number(max_score(env)),
                "marche.critere_env_methode": method_text(env),
                "marche.critere_env_sous_criteres": sub_criteria_text(env),
            }
        )
    return values


def criterion_text(criterion: dict) -> str:
    """How a criterion is scored, as the RC publishes it (sub-criteria or the method)."""
    if criterion.get("sub_criteria"):
        return sub_criteria_text(criterion)
    return method_text(criterion)
