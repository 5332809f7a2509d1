"""The checks of the law on a tender's profile, criteria and procedure, each with its basis.

And the one-source-of-truth check: a pinned clause (an older version, written before the
criteria moved to the tender) that still repeats a weight, a method or the functional unit in
its own variables or variant, and disagrees with the tender, is an error. Pure: reads the
tender and its clause rows, no database.
"""

from __future__ import annotations

from procure.core.formatting import format_date, format_money, format_number
from procure.tenders import legal
from procure.tenders.models import Tender
from procure.tenders.services.choices import METHODS, PROCEDURES
from procure.tenders.services.clauses import ClauseRow
from procure.tenders.services.criteria import cap_of, environment_criterion, max_score
from procure.tenders.services.findings import Finding

EDIT = {"target": "edit", "anchor": "criteres"}
AI_ACT_LOGS = "Règlement (UE) 2024/1689 (AI Act), art. 19 et 26(6)"
LOCALISATION_BASIS = "Règlement (UE) 2018/1807, art. 4"
MIN_LOG_DAYS = 183  # six months


def profile_findings(tender: Tender) -> list[Finding]:
    found: list[Finding] = []
    if not tender.profile_confirmed:
        found.append(
            Finding(
                "PROFIL-A-CONFIRMER",
                "warning",
                "Le profil de ce marché a été complété par des valeurs par défaut lors d'une mise à "
                "jour (nature de l'acheteur « autre », interaction avec le public, données de santé "
                "ou d'une sensibilité particulière, défense et sécurité : non ; date de lancement "
                "inconnue) : vérifiez-les et enregistrez le marché pour les confirmer.",
                {"target": "edit", "anchor": "profil"},
            )
        )
    return found


def criteria_findings(tender: Tender, profile: dict) -> list[Finding]:
    criteria = tender.award_criteria or []
    found: list[Finding] = []
    if not criteria:
        found.append(
            Finding(
                "CRITERES-ABSENTS",
                "error",
                "Aucun critère d'attribution n'est défini.",
                EDIT,
                "Code de la commande publique, art. L2152-7 et R2152-7",
            )
        )
    environmental = [c for c in criteria if c.get("kind") == "environment"]
    life_cycle_alone = len(criteria) == 1 and criteria[0].get("kind") == "life_cycle_cost"
    if not environmental and not life_cycle_alone:
        if profile.get("environment_required"):
            when = (
                f"lancée le {format_date(tender.launch_date)}"
                if tender.launch_date
                else "sans date de lancement, donc réputée lancée à ce jour"
            )
            found.append(
                Finding(
                    "CRITERE-ENVIRONNEMENTAL-ABSENT",
                    "error",
                    "Aucun critère d'attribution ne prend en compte les caractéristiques "
                    f"environnementales de l'offre, obligatoire pour une consultation {when} "
                    "(à compter du 21 août 2026, hors marchés de défense ou de sécurité). Un "
                    "critère unique de coût du cycle de vie est aussi admis.",
                    EDIT,
                    legal.ENVIRONMENT_BASIS + " ; " + legal.LIFE_CYCLE_BASIS,
                )
            )
        else:
            why = (
                "marché de défense ou de sécurité"
                if tender.defence_or_security
                else "consultation lancée avant le 21 août 2026"
            )
            found.append(
                Finding(
                    "CRITERE-ENVIRONNEMENTAL-FACULTATIF",
                    "info",
                    f"Pas de critère environnemental : non obligatoire ici ({why}), mais recommandé.",
                    EDIT,
                    legal.ENVIRONMENT_BASIS,
                )
            )
    weights = [c.get("weight") for c in criteria]
    total = sum(float(w or 0) for w in weights)
    if criteria and all(w is None for w in weights):
        found.append(
            Finding(
                "CRITERES-NON-PONDERES",
                "info" if tender.procedure == "mapa" else "error",
                "Les critères ne sont pas pondérés : admis en procédure adaptée (annoncez-les "
                "par ordre d'importance), non en procédure formalisée, sauf impossibilité "
                "objective de pondérer.",
                EDIT,
                legal.WEIGHTS_BASIS,
            )
        )
    elif criteria and abs(total - 100) > 1e-9:
        found.append(
            Finding(
                "PONDERATIONS",
                "warning",
                f"Les pondérations des critères totalisent {format_number(total)} au lieu de 100 : "
                "le total de 100 est un usage, non une règle de droit ; vérifiez que le RC annonce "
                "bien la pondération voulue (des fourchettes sont permises, et une hiérarchisation "
                "lorsque la pondération est impossible ; une procédure adaptée peut retenir des "
                "critères non pondérés).",
                EDIT,
                legal.WEIGHTS_BASIS,
            )
        )
    for c in criteria:
        subs = c.get("sub_criteria") or []
        if subs and all("weight" in s for s in subs):
            share = sum(float(s.get("weight") or 0) for s in subs)
            if abs(share - 100) > 1e-9:
                found.append(
                    Finding(
                        "SOUS-CRITERES",
                        "error",
                        f"Les sous-critères du critère « {c.get('name')} » totalisent "
                        f"{format_number(share)} % au lieu de 100 % : le RC publierait une "
                        "répartition que l'évaluation ne peut pas appliquer.",
                        EDIT,
                        legal.WEIGHTS_BASIS,
                    )
                )
    if environmental and not (tender.requests_per_year and tender.tokens_per_request):
        found.append(
            Finding(
                "UNITE-FONCTIONNELLE",
                "warning",
                "L'unité fonctionnelle (requêtes par an, jetons par requête) n'est pas fixée : "
                "les empreintes des offres ne seront pas comparables.",
                {"target": "edit", "anchor": "unite"},
                "Code de la commande publique, art. R2152-7 (critères liés à l'objet et "
                "permettant une comparaison objective des offres)",
            )
        )
    return found


def procedure_findings(tender: Tender) -> list[Finding]:
    found: list[Finding] = []
    limit = legal.threshold(tender.buyer_kind)
    if tender.amount is None:
        found.append(
            Finding(
                "MONTANT-ABSENT",
                "warning",
                "Le montant estimé n'est pas indiqué : le choix de la procédure ne peut pas être "
                f"vérifié au regard du seuil européen ({format_money(limit)} HT pour ce type "
                "d'acheteur).",
                {"target": "edit", "anchor": "procedure"},
                legal.MAPA_BASIS,
            )
        )
    elif tender.procedure == "mapa" and tender.amount >= limit:
        found.append(
            Finding(
                "PROCEDURE-SEUIL",
                "error",
                f"Une procédure adaptée n'est pas possible pour un montant estimé de "
                f"{format_money(tender.amount)} HT : le seuil européen des marchés de fournitures "
                f"et de services est de {format_money(limit)} HT pour ce type d'acheteur "
                f"({legal.THRESHOLD_SOURCE}). Choisissez une procédure formalisée "
                f"({PROCEDURES['aoo']}, {PROCEDURES['aor']}...), sauf petits lots de l'art. "
                "R2123-1 (2°).",
                {"target": "edit", "anchor": "procedure"},
                legal.MAPA_BASIS + " ; " + legal.THRESHOLD_SOURCE,
            )
        )
    if not tender.lots and not (tender.lots_reason or "").strip():
        found.append(
            Finding(
                "ALLOTISSEMENT",
                "warning",
                "Le marché n'est pas alloti et les motifs de ce choix ne sont pas indiqués : "
                "l'acheteur qui ne divise pas son marché en lots doit motiver ce choix.",
                {"target": "edit", "anchor": "lots"},
                legal.LOTS_BASIS,
            )
        )
    return found


def _countries(value) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(v).strip().lower() for v in items if str(v).strip()]


def clause_findings(tender: Tender, rows: list[ClauseRow]) -> list[Finding]:
    """What the pinned clauses' values say against the law: log retention, France-only hosting."""
    found: list[Finding] = []
    for r in rows:
        target = {"target": "clause", "link_id": r.link.id}
        days = r.link.values.get("duree_conservation_jours")
        if (
            "journalisation" in r.version.covers
            and isinstance(days, int | float)
            and days < MIN_LOG_DAYS
            and tender.ai_high_risk
        ):
            found.append(
                Finding(
                    "JOURNAUX-DUREE",
                    "error",
                    f"Clause « {r.version.title} » : les journaux d'un système à haut risque "
                    f"sont conservés au moins six mois ({MIN_LOG_DAYS} jours), non "
                    f"{format_number(days)} jours.",
                    {**target, "field": "duree_conservation_jours"},
                    AI_ACT_LOGS,
                )
            )
        for var in r.version.variables:
            if var.get("type") != "list" or not var["name"].startswith("pays"):
                continue
            countries = _countries(r.link.values.get(var["name"]))
            if countries == ["france"] and not (tender.hosting_security_reason or "").strip():
                found.append(
                    Finding(
                        "HEBERGEMENT-FRANCE",
                        "warning",
                        f"Clause « {r.version.title} » : l'hébergement est limité à la France "
                        "sans motif de sécurité publique indiqué. Une exigence de localisation "
                        "dans un seul État membre doit être justifiée par la sécurité publique ; "
                        "SecNumCloud s'obtient aussi ailleurs dans l'Union. Indiquez le motif "
                        "dans le profil du marché ou élargissez la liste des pays.",
                        {**target, "field": var["name"]},
                        LOCALISATION_BASIS,
                    )
                )
    return found


# Variables and variants older clause versions used to repeat the tender's criteria.
_REPEATED = {
    "ponderation_pct": (
        "la pondération du critère environnemental",
        lambda env, t: env.get("weight"),
    ),
    "note_max": ("la note maximale du critère environnemental", lambda env, t: max_score(env)),
    "part_empreinte_pct": (
        "la part du sous-critère d'empreinte",
        lambda env, t: next(
            (s.get("weight") for s in env.get("sub_criteria") or [] if s.get("metric")), None
        ),
    ),
    "plafond_rapport": ("le plafond de l'échelle logarithmique", lambda env, t: cap_of(env)),
    "volume_annuel_requetes": ("le volume annuel de requêtes", lambda env, t: t.requests_per_year),
}


def consistency_findings(tender: Tender, rows: list[ClauseRow]) -> list[Finding]:
    """Errors for every pinned clause that repeats a tender value and disagrees with it."""
    found: list[Finding] = []
    env = environment_criterion(tender) or {}
    for r in rows:
        target = {"target": "clause", "link_id": r.link.id}
        names = {v["name"] for v in r.version.variables}
        for name, (label, getter) in _REPEATED.items():
            if name not in names or name not in r.link.values:
                continue
            expected = getter(env, tender)
            given = r.link.values.get(name)
            try:
                same = expected is not None and abs(float(given or 0) - float(expected)) < 1e-9
            except (TypeError, ValueError):
                same = False
            if not same:
                shown = "non défini" if expected is None else format_number(float(expected))
                found.append(
                    Finding(
                        "INCOHERENCE-MARCHE",
                        "error",
                        f"Clause « {r.version.title} » (version {r.version.number}) : {label} y "
                        f"vaut {given}, le marché indique {shown}. Passez à la version de la "
                        "clause qui reprend les valeurs du marché.",
                        {**target, "field": name},
                        legal.WEIGHTS_BASIS,
                    )
                )
        variant = r.link.variant
        method = env.get("method")
        if (
            "critere-environnemental" in r.version.covers
            and variant in METHODS
            and variant != method
        ):
            found.append(
                Finding(
                    "INCOHERENCE-MARCHE",
                    "error",
                    f"Clause « {r.version.title} » (version {r.version.number}) : la variante "
                    f"« {variant} » annonce une autre méthode de notation que le critère du "
                    f"marché (« {method or 'aucune'} »). Passez à la version de la clause qui "
                    "reprend la méthode du marché.",
                    target,
                    legal.WEIGHTS_BASIS,
                )
            )
    return found
