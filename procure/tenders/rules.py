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
    "interacts_with_people": "système qui interagit avec le public ou génère du contenu",
    "health_data": "données de santé",
    "particularly_sensitive_data": "données d'une sensibilité particulière (loi SREN)",
    "defence_or_security": "marché de défense ou de sécurité",
    # Derived by `procure.tenders.services.library.profile_of`:
    "environment_required": "consultation lancée à compter du 21 août 2026, hors défense et sécurité",
    "sren_applies": "administration de l'État et données d'une sensibilité particulière",
    "sensitive_outside_sren": "données sensibles hors du champ de l'article 31 de la loi SREN",
}


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    basis: str  # the legal basis: text and article(s), shown with every proposal and finding
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


AI_ACT = "Règlement (UE) 2024/1689 (AI Act)"
GDPR = "Règlement (UE) 2016/679 (RGPD)"

RULES: tuple[Rule, ...] = (
    Rule(
        id="R01-socle",
        description="Tout marché de système d'IA comporte le socle contractuel : réversibilité, propriété "
        "des données, interdiction d'entraîner sur les données de l'acheteur, dérogations de propriété "
        "intellectuelle, licences et sécurité.",
        basis="CCAG-TIC 2021, art. 42 (réversibilité) et chapitre 7 (art. 43 à 46, utilisation des "
        "résultats) ; clauses contractuelles types de l'UE pour l'achat d'IA (MCC-AI, 2025)",
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
        id="R02-condition-environnementale",
        description="Une consultation lancée à compter du 21 août 2026 (hors défense et sécurité) prévoit "
        "une condition d'exécution environnementale : déclaration et suivi de l'empreinte.",
        basis="Code de la commande publique, art. L2112-2 (loi n° 2021-1104, art. 35 ; décret "
        "n° 2022-767)",
        condition={"environment_required": True},
        covers=("empreinte-environnementale",),
        required=("empreinte-environnementale",),
    ),
    Rule(
        id="R03-critere-environnemental",
        description="Le critère d'attribution environnemental et sa méthode de notation figurent au RC ; "
        "la clause les reprend depuis les critères du marché.",
        basis="Code de la commande publique, art. L2152-7 et R2152-7",
        covers=("critere-environnemental", "empreinte-environnementale"),
    ),
    Rule(
        id="R04-haut-risque-journaux",
        description="Un système à haut risque exige la journalisation automatique, avec une "
        "conservation des journaux d'au moins six mois.",
        basis=f"{AI_ACT}, art. 12, 19 et 26(6)",
        condition={"ai_high_risk": True},
        covers=("journalisation",),
        required=("journalisation",),
    ),
    Rule(
        id="R05-haut-risque-documentation",
        description="Un système à haut risque exige la documentation technique et la notice "
        "d'utilisation, tenues à jour.",
        basis=f"{AI_ACT}, art. 11, 13 et 26(1)",
        condition={"ai_high_risk": True},
        covers=("documentation-technique",),
        required=("documentation-technique",),
    ),
    Rule(
        id="R06-haut-risque-controle-humain",
        description="Un système à haut risque exige des mesures de contrôle humain, dont la capacité "
        "d'arrêter ou de suspendre le système ; une clause de formation seule ne suffit pas.",
        basis=f"{AI_ACT}, art. 14 (dont 14(4)(e), arrêt) et 26(2)",
        condition={"ai_high_risk": True},
        covers=("supervision-humaine", "arret"),
        required=("supervision-humaine", "arret"),
    ),
    Rule(
        id="R07-haut-risque-incidents",
        description="Un système à haut risque exige le signalement des incidents graves par le "
        "titulaire à l'acheteur.",
        basis=f"{AI_ACT}, art. 26(5) et 73",
        condition={"ai_high_risk": True},
        covers=("incidents",),
        required=("incidents",),
    ),
    Rule(
        id="R08-haut-risque-analyse-impact",
        description="Un acheteur public qui déploie un système à haut risque fait une analyse d'impact "
        "sur les droits fondamentaux : le titulaire lui fournit les informations nécessaires.",
        basis=f"{AI_ACT}, art. 27",
        condition={"ai_high_risk": True},
        covers=("analyse-impact",),
        required=("analyse-impact",),
    ),
    Rule(
        id="R09-haut-risque-suivi",
        description="Un système à haut risque appelle aussi le registre des modèles, l'explication des "
        "sorties et le droit d'audit.",
        basis=f"{AI_ACT}, art. 26 et 86 ; clauses MCC-AI (version haut risque)",
        condition={"ai_high_risk": True},
        covers=("registre-modeles", "explicabilite", "audit"),
    ),
    Rule(
        id="R10-transparence",
        description="Un système qui interagit avec des personnes ou génère du contenu pour le public "
        "exige l'information des usagers, qu'il soit à haut risque ou non.",
        basis=f"{AI_ACT}, art. 50",
        condition={"interacts_with_people": True},
        covers=("transparence",),
        required=("transparence",),
    ),
    Rule(
        id="R11-donnees-personnelles",
        description="Le traitement de données personnelles exige les clauses de sous-traitance, "
        "l'encadrement des sous-traitants ultérieurs et des transferts hors de l'Union, et "
        "propose l'aide à l'analyse d'impact (AIPD) et la destruction des données.",
        basis=f"{GDPR}, art. 28 (dont 28(2) et 28(4)), chapitre V (art. 44 à 49) et art. 35",
        condition={"personal_data": True},
        covers=(
            "traitement-donnees-personnelles",
            "sous-traitants",
            "localisation-ue",
            "analyse-impact",
            "destruction-donnees",
        ),
        required=("traitement-donnees-personnelles", "sous-traitants", "localisation-ue"),
    ),
    Rule(
        id="R12-secnumcloud-sren",
        description="Une administration de l'État qui confie des données d'une sensibilité "
        "particulière à un nuage commercial exige un hébergement qualifié SecNumCloud (ou "
        "équivalent européen).",
        basis="Loi n° 2024-449 du 21 mai 2024 (SREN), art. 31",
        condition={"sren_applies": True},
        covers=("hebergement-secnumcloud",),
        required=("hebergement-secnumcloud",),
    ),
    Rule(
        id="R13-secnumcloud-propose",
        description="Hors du champ de l'article 31 de la loi SREN, des données sensibles appellent un "
        "hébergement qualifié SecNumCloud, proposé sans être exigé.",
        basis="Doctrine « cloud au centre » de l'État ; loi n° 2024-449 (SREN), art. 31 (hors champ)",
        condition={"sensitive_outside_sren": True},
        covers=("hebergement-secnumcloud", "localisation-ue"),
    ),
    Rule(
        id="R14-hebergement-sante",
        description="Des données de santé exigent un hébergeur certifié HDS.",
        basis="Code de la santé publique, art. L1111-8",
        condition={"health_data": True},
        covers=("hebergement-hds",),
        required=("hebergement-hds",),
    ),
    Rule(
        id="R15-competences",
        description="Tout marché de système d'IA prévoit le transfert de compétences vers les agents de "
        "l'acheteur, pour garder son autonomie.",
        basis="Bonne pratique (fiche pratique MiNumEco/DAE pour l'achat de solutions d'IA, 2025)",
        covers=("competences",),
    ),
    Rule(
        id="R16-conditions-clause",
        description="Une clause dont les conditions d'emploi déclarées (haut risque, données "
        "personnelles, données sensibles) sont toutes remplies par le profil est proposée.",
        basis="Conditions d'emploi déclarées par les juristes dans la clause",
        by_clause_conditions=True,
    ),
    Rule(
        id="R17-execution",
        description="Tout marché de système d'IA fixe ses conditions d'exécution : niveaux de service, "
        "constat des manquements, forme et révision des prix, responsabilité et assurances, recette, "
        "garantie contre la dérive des performances, réexamen en cas de fin de vie d'un modèle, "
        "continuité du titulaire, accessibilité et absence de pratique interdite (AI Act, art. 5).",
        basis="CCAG-TIC 2021, art. 14 et chap. 5 ; code de la commande publique, art. R2194-1 ; "
        "loi n° 2005-102, art. 47 (RGAA) ; règlement (UE) 2024/1689 (AI Act), art. 5",
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
        id="R18-haut-risque-deployeur",
        description="Un système à haut risque appelle aussi la gouvernance des données (AI Act, art. 10), "
        "l'appui aux obligations du déployeur (art. 26) et la conduite à tenir si l'acheteur "
        "modifie le système ou le renomme (art. 25).",
        basis="Règlement (UE) 2024/1689 (AI Act), art. 10, 25 et 26",
        condition={"ai_high_risk": True},
        covers=("gouvernance-donnees", "obligations-deployeur", "requalification-fournisseur"),
    ),
    Rule(
        id="R19-dependances",
        description="Une clause proposée qui renvoie à un sujet qu'elle ne traite pas (par exemple les "
        "niveaux de service ou le bordereau des prix) entraîne la proposition d'une clause qui le "
        "couvre : une stipulation ne peut renvoyer qu'à ce que le marché contient.",
        basis="CCAG-TIC 2021, art. 1.2 (le CCAP fixe ce qui s'écarte du CCAG) ; cohérence des pièces",
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
    if profile.get("sensitive_data") or profile.get("particularly_sensitive_data"):
        preferred.insert(0, "secnumcloud")
    for key in preferred:
        if key in keys:
            return key
    return keys[0]
