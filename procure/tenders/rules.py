"""Proposal rules: which library clauses a tender needs, given its profile.

Written to be read by a legal user: each rule has an identifier, a French description, the
condition on the tender's profile, and what it proposes — the clauses that cover some subjects
(`covers` in the clause files, see docs/clause-format.md) or the clauses whose own declared
conditions of use match the profile. A rule marked `required` also feeds the compliance check: a
tender whose profile meets the condition must hold at least one clause for each required subject.
Every proposed clause records the rule that proposed it (TenderClause.proposed_by). Pure: no
database, no Flask.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PROFILE_FLAGS: dict[str, str] = {
    "ai_high_risk": "système d'IA à haut risque (AI Act)",
    "personal_data": "traitement de données personnelles",
    "sensitive_data": "données sensibles",
}


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    condition: dict = field(default_factory=dict)  # {flag: True}; empty = every AI tender
    covers: tuple[str, ...] = ()  # subjects proposed
    required: tuple[str, ...] = ()  # subjects the compliance check requires (error if missing)
    by_clause_conditions: bool = False  # propose clauses whose declared conditions all hold

    def applies(self, profile: dict) -> bool:
        return all(bool(profile.get(flag)) == bool(value) for flag, value in self.condition.items())

    def condition_text(self) -> str:
        if not self.condition:
            return "tout marché de système d'IA"
        return " et ".join(
            ("" if value else "pas de ") + PROFILE_FLAGS.get(flag, flag)
            for flag, value in self.condition.items()
        )


RULES: tuple[Rule, ...] = (
    Rule(
        id="R01-socle",
        description="Tout marché de système d'IA comporte le socle contractuel : réversibilité, propriété "
        "des données, interdiction d'entraîner sur les données de l'acheteur, dérogations de propriété "
        "intellectuelle, licences et sécurité.",
        covers=(
            "reversibilite",
            "propriete-donnees",
            "non-entrainement",
            "propriete-intellectuelle",
            "licences",
            "securite",
        ),
    ),
    Rule(
        id="R02-environnement",
        description="Depuis le 22 août 2026 (loi Climat et Résilience, art. 35), tout marché prend en "
        "compte l'environnement dans ses spécifications, ses conditions d'exécution et au moins un "
        "critère d'attribution : déclaration de l'empreinte et critère environnemental.",
        covers=("empreinte-environnementale", "critere-environnemental"),
    ),
    Rule(
        id="R03-haut-risque",
        description="Un système à haut risque (AI Act, art. 11 à 14) exige la journalisation automatique, "
        "la documentation technique et le contrôle humain.",
        condition={"ai_high_risk": True},
        covers=("journalisation", "documentation-technique", "supervision-humaine"),
        required=("journalisation", "documentation-technique", "supervision-humaine"),
    ),
    Rule(
        id="R04-haut-risque-suivi",
        description="Un système à haut risque appelle aussi le registre des modèles, l'explication des "
        "sorties, l'audit, le signalement des incidents, l'appui à l'analyse d'impact et la "
        "transparence envers les usagers.",
        condition={"ai_high_risk": True},
        covers=(
            "registre-modeles",
            "explicabilite",
            "audit",
            "incidents",
            "analyse-impact",
            "transparence",
        ),
    ),
    Rule(
        id="R05-donnees-personnelles",
        description="Le traitement de données personnelles exige les clauses de sous-traitance au sens "
        "du RGPD (art. 28), avec la liste des sous-traitants et la destruction des données.",
        condition={"personal_data": True},
        covers=("traitement-donnees-personnelles", "sous-traitants", "destruction-donnees"),
        required=("traitement-donnees-personnelles",),
    ),
    Rule(
        id="R06-donnees-sensibles",
        description="Des données sensibles confiées à un nuage commercial exigent un hébergement qualifié "
        "SecNumCloud (loi SREN, art. 31) sans transfert hors de l'Union européenne.",
        condition={"sensitive_data": True},
        covers=("hebergement-secnumcloud", "localisation-ue"),
        required=("hebergement-secnumcloud",),
    ),
    Rule(
        id="R07-competences",
        description="Tout marché de système d'IA prévoit le transfert de compétences vers les agents de "
        "l'acheteur, pour garder son autonomie.",
        covers=("competences",),
    ),
    Rule(
        id="R08-conditions-clause",
        description="Une clause dont les conditions d'emploi déclarées (haut risque, données "
        "personnelles, données sensibles) sont toutes remplies par le profil est proposée.",
        by_clause_conditions=True,
    ),
    Rule(
        id="R09-execution",
        description="Tout marché de système d'IA fixe ses conditions d'exécution : niveaux de service, "
        "constat des manquements, forme et révision des prix, responsabilité et assurances, recette, "
        "garantie contre la dérive des performances, réexamen en cas de fin de vie d'un modèle, "
        "continuité du titulaire, accessibilité et absence de pratique interdite (AI Act, art. 5).",
        covers=(
            "niveaux-de-service",
            "sanctions-manquements",
            "bordereau-prix",
            "revision-prix",
            "responsabilite-assurance",
            "recette",
            "garantie-performance",
            "clause-reexamen",
            "continuite-fournisseur",
            "accessibilite",
            "pratiques-interdites",
        ),
    ),
    Rule(
        id="R10-haut-risque-deployeur",
        description="Un système à haut risque appelle aussi la gouvernance des données (AI Act, art. 10), "
        "l'appui aux obligations du déployeur (art. 26) et la conduite à tenir si l'acheteur "
        "modifie le système ou le renomme (art. 25).",
        condition={"ai_high_risk": True},
        covers=("gouvernance-donnees", "obligations-deployeur", "requalification-fournisseur"),
    ),
    Rule(
        id="R11-dependances",
        description="Une clause proposée qui renvoie à un sujet qu'elle ne traite pas (par exemple les "
        "niveaux de service ou le bordereau des prix) entraîne la proposition d'une clause qui le "
        "couvre : une stipulation ne peut renvoyer qu'à ce que le marché contient.",
    ),
)

RULES_BY_ID = {rule.id: rule for rule in RULES}
MANUAL = "ajout manuel"


def clause_fits(conditions: dict, profile: dict) -> bool:
    """True when every declared condition of a clause holds for the profile."""
    return all(bool(profile.get(flag)) == bool(value) for flag, value in (conditions or {}).items())


def proposing_rule(*, covers: list[str], conditions: dict, profile: dict) -> Rule | None:
    """The first rule that proposes a clause with these subjects and conditions, or None."""
    if not clause_fits(conditions, profile):
        return None
    for rule in RULES:
        if not rule.applies(profile):
            continue
        if rule.by_clause_conditions and conditions:
            return rule
        if set(rule.covers) & set(covers or []):
            return rule
    return None


def required_subjects(profile: dict) -> list[tuple[str, Rule]]:
    """(subject, rule) pairs the profile requires, in rule order."""
    return [(subject, rule) for rule in RULES if rule.applies(profile) for subject in rule.required]


def default_variant(variants: list[dict], profile: dict) -> str:
    """The variant matching the profile (haut-risque / allégée, SecNumCloud), else the first."""
    keys = [v["key"] for v in variants or []]
    if not keys:
        return ""
    preferred = ["haut-risque"] if profile.get("ai_high_risk") else ["allegee"]
    if profile.get("sensitive_data"):
        preferred.insert(0, "secnumcloud")
    for key in preferred:
        if key in keys:
            return key
    return keys[0]
