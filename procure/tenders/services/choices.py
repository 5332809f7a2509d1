"""The tenders room's fixed choices: procedures, criterion kinds, scoring methods, pieces, formats."""

from __future__ import annotations

import re

from procure.clause_library.services import PIECES as LIBRARY_PIECES

PROCEDURES: dict[str, str] = {
    "mapa": "Procédure adaptée (MAPA)",
    "aoo": "Appel d'offres ouvert",
    "aor": "Appel d'offres restreint",
    "pcn": "Procédure concurrentielle avec négociation",
    "dialogue": "Dialogue compétitif",
    "negocie-sans-pub": "Marché négocié sans publicité ni mise en concurrence préalables",
}


CRITERION_KINDS: dict[str, str] = {
    "price": "Prix",
    "technical": "Valeur technique",
    "environment": "Performance environnementale",
    # R2152-7: a single criterion of cost, on a life-cycle approach taking the environmental
    # characteristics of the offer into account, satisfies the environmental obligation.
    "life_cycle_cost": "Coût du cycle de vie (caractéristiques environnementales comprises)",
    "other": "Autre",
}


METHODS: dict[str, str] = {
    "proportionnelle": "note = note maximale × meilleure offre / offre notée (prix, empreinte)",
    "logarithmique": "échelle logarithmique écrêtée : la meilleure offre obtient la note maximale, "
    "une offre mille fois moins bonne ou pire obtient zéro",
    "bareme": "barème appliqué au mémoire technique, publié en annexe du règlement",
}


# The method's name in a table cell; METHODS (or criteria.method_text) gives the whole rule.
METHOD_NAMES: dict[str, str] = {
    "proportionnelle": "Proportionnelle",
    "logarithmique": "Échelle logarithmique écrêtée",
    "bareme": "Barème",
    "seuils": "Par seuils",
}


# What a sub-criterion of the environmental criterion measures ("" = assessed by the evaluators).
SUB_METRICS: dict[str, str] = {
    "kgco2e_per_year": "mesuré par les émissions annuelles de gaz à effet de serre de l'offre "
    "pour l'unité fonctionnelle, calculées à partir de sa déclaration d'empreinte",
    "hosting": "mesuré par l'efficacité de l'hébergement (PUE, WUE, part d'énergie renouvelable)",
    "": "apprécié au vu du mémoire technique selon une grille publiée en annexe",
}
# The hosting sub-criterion is scored by thresholds, never by a relative formula.
THRESHOLDS_METHOD = (
    "seuils de référence du Climate Neutral Data Centre Pact et du RGESN 2024 pour le PUE, le "
    "WUE et la part d'énergie renouvelable"
)
DEFAULT_LOG_CAP = 1000.0

# The buyer's kind decides the EU threshold of formalised procedures (procure/tenders/legal.py).
BUYER_KINDS: dict[str, str] = {
    "etat": "État ou l'un de ses établissements publics",
    "collectivite": "Collectivité territoriale ou l'un de ses établissements",
    "sante": "Établissement de santé",
    "autre": "Autre pouvoir adjudicateur",
}


def procedure_code(value: str) -> str | None:
    """A procedure by its code (`aoo`) or its label ("appel d'offres ouvert"), any case/accents."""
    import unicodedata

    def plain(text: str) -> str:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return " ".join(text.lower().replace("’", "'").replace("(", " ").replace(")", " ").split())

    wanted = plain(value or "")
    for code, label in PROCEDURES.items():
        if wanted in (code, plain(label)) or (code == "mapa" and wanted == "procedure adaptee"):
            return code
    return None


# The pieces and their names are the clause library's: one list for both rooms.
PIECES = LIBRARY_PIECES


FORMATS = ("docx", "odt")


MAX_CRITERIA = 8
MAX_SUB_CRITERIA = 3


REFERENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{2,59}$")
