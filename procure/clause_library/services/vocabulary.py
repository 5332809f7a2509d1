"""The clause format's vocabulary: families, pieces, conditions, subjects, variable types, fields.

One definition of each list: the parser, the form, the version table's writers and the tenders
room all read them from here (through the `procure.clause_library.services` facade).
"""

from __future__ import annotations

import re

FAMILIES: tuple[str, ...] = (
    "reversibilite",
    "auditabilite",
    "donnees",
    "environnement",
    "securite",
    "supervision-humaine",
    "competences",
    "execution",
    "conformite-ia",
)
FAMILY_LABELS: dict[str, str] = {
    "reversibilite": "Réversibilité et sortie",
    "auditabilite": "Auditabilité, traçabilité et documentation",
    "donnees": "Données et propriété intellectuelle",
    "environnement": "Empreinte environnementale",
    "securite": "Sécurité et hébergement souverain",
    "supervision-humaine": "Supervision humaine et transparence",
    "competences": "Transfert de compétences",
    "execution": "Exécution : niveaux de service, recette, prix, responsabilité, continuité",
    "conformite-ia": "Conformité au règlement sur l'IA (AI Act)",
}
# The pieces of a tender file a clause belongs to, with the heading of the exported document.
PIECES: dict[str, str] = {
    "RC": "Règlement de la consultation (RC)",
    "CCAP": "Cahier des clauses administratives particulières (CCAP)",
    "CCTP": "Cahier des clauses techniques particulières (CCTP)",
}
CONDITIONS: dict[str, str] = {
    "ai_high_risk": "système d'IA à haut risque",
    "personal_data": "données personnelles",
    "sensitive_data": "données sensibles",
}
COVERS: dict[str, str] = {
    "reversibilite": "plan et opérations de réversibilité",
    "documentation-technique": "documentation technique et notice d'utilisation",
    "journalisation": "journaux automatiques et leur conservation",
    "registre-modeles": "registre des modèles et versions, préavis de changement",
    "explicabilite": "explication des sorties individuelles",
    "audit": "droit d'audit et mesures correctives",
    "incidents": "signalement des incidents",
    "analyse-impact": "appui au registre IA et à l'analyse d'impact",
    "propriete-donnees": "propriété des données d'entrée, de sortie et dérivées",
    "non-entrainement": "pas d'entraînement sur les données de l'acheteur sans accord",
    "traitement-donnees-personnelles": "sous-traitance au sens du RGPD (art. 28)",
    "hebergement-secnumcloud": "hébergement qualifié SecNumCloud",
    "localisation-ue": "pas de transfert hors de l'Union européenne",
    "sous-traitants": "liste et contrôle des sous-traitants",
    "destruction-donnees": "destruction avec preuve",
    "propriete-intellectuelle": "dérogations au régime de PI du CCAG-TIC",
    "licences": "licences tierces et libres",
    "empreinte-environnementale": "déclaration et suivi de l'empreinte",
    "critere-environnemental": "critère d'attribution environnemental (RC)",
    "securite": "sécurité du système",
    "supervision-humaine": "mesures de contrôle humain",
    "arret": "capacité d'arrêter ou de suspendre le système",
    "hebergement-hds": "hébergement certifié HDS (données de santé)",
    "transparence": "information des usagers",
    "competences": "transfert de compétences",
    "niveaux-de-service": "niveaux de service, leur mesure et leurs pénalités",
    "bordereau-prix": "bordereau des prix (prix unitaires, bons de commande, maximum)",
    "revision-prix": "révision des prix",
    "responsabilite-assurance": "responsabilité, plafonds et assurances",
    "recette": "vérifications (VA, VSR) et admission",
    "garantie-performance": "garantie contre la dérive des performances",
    "clause-reexamen": "clause de réexamen (remplacement ou fin de vie d'un modèle)",
    "continuite-fournisseur": "changement de contrôle et continuité du titulaire",
    "accessibilite": "accessibilité numérique (RGAA)",
    "gouvernance-donnees": "gouvernance des données et biais",
    "gestion-qualite": "système de gestion de la qualité (AI Act, art. 17)",
    "obligations-deployeur": "appui aux obligations du déployeur (AI Act, art. 26)",
    "requalification-fournisseur": "acheteur devenant fournisseur (AI Act, art. 25)",
    "pratiques-interdites": "absence de pratique interdite (AI Act, art. 5)",
    "information-aval-gpai": "informations du fournisseur de modèle à usage général (art. 53)",
    "transparence-algorithmique": "publication des règles des traitements algorithmiques (CRPA)",
    "gestion-des-risques": "système de gestion des risques (AI Act, art. 9)",
    "sanctions-manquements": "constat des manquements et leurs conséquences",
}
VARIABLE_TYPES: dict[str, str] = {
    "text": "texte",
    "integer": "nombre entier",
    "decimal": "nombre décimal",
    "boolean": "oui / non",
    "date": "date",
    "choice": "choix",
    "list": "liste",
    "penalty": "montant de pénalité (euros HT)",
}
# What a clause's text can do that departs from the CCAG-TIC, and the articles a departure that
# does it must name (see docs/clause-format.md, « Dérogations »).
DEPARTURE_EFFECTS: dict[str, tuple[str, tuple[int, ...]]] = {
    "penalites": ("fixe des pénalités (régime de l'article 14)", (14,)),
    "renonciation-indemnite": (
        "écarte une indemnité de résiliation (chapitre 8)",
        (47, 48, 49, 50, 51, 52, 53, 54),
    ),
    "droits-resultats": (
        "règle les droits sur les résultats ou les données autrement que le chapitre 7",
        (43, 44, 45, 46),
    ),
}

# The fields of a clause. The key and the family identify it; the content fields are what a
# version stores (and what its hash covers); the header is the file's YAML front matter.
REQUIRED_FIELDS = ("key", "family", "title", "piece")
STRUCTURED_FIELDS = ("variables", "variants", "references", "departures", "depends")  # YAML lists
OPTIONAL_FIELDS = ("summary", "covers", "conditions", *STRUCTURED_FIELDS)
HEADER_FIELDS = (*REQUIRED_FIELDS, *OPTIONAL_FIELDS)
CONTENT_FIELDS = ("title", "piece", *OPTIONAL_FIELDS, "body")
# The clause form: the file name and family, then every content field.
FORM_FIELDS = ("name", "family", *CONTENT_FIELDS)
# A variable's fields, in the order the clause form shows them.
VARIABLE_FIELDS = (
    "name",
    "label",
    "type",
    "default",
    "min",
    "max",
    "max_length",
    "choices",
    "required",
)

# The syntax of keys, names, placeholders and variant blocks.
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
KEY_RE = re.compile(r"^([a-z0-9]+(?:-[a-z0-9]+)*)\.([a-z0-9]+(?:-[a-z0-9]+)*)$")
VARIANT_KEY_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
PLACEHOLDER_RE = re.compile(r"\{\{(.*?)\}\}")
VARIANT_OPEN_RE = re.compile(r"^:::\s*variante\s+(\S+)\s*$")
TEMPLATE_CODE_RE = re.compile(r"\{%|%\}|\{#|#\}|\$\{")

# Reserved placeholders: values that live once in the tender (award criteria, weights, scoring
# methods, functional unit, lots). A clause prints them with `{{ marche.<name> }}` and never
# declares a variable that repeats them; the tenders room supplies the already-formatted text,
# and outside a tender they render as "[valeur du marché : <label>]".
TENDER_PREFIX = "marche."
TENDER_PLACEHOLDERS: dict[str, str] = {
    "marche.criteres": "critères d'attribution et leurs pondérations",
    "marche.critere_env_nom": "nom du critère environnemental",
    "marche.critere_env_ponderation": "pondération du critère environnemental",
    "marche.critere_env_note_max": "note maximale du critère environnemental",
    "marche.critere_env_methode": "méthode de notation du critère environnemental",
    "marche.critere_env_sous_criteres": "sous-critères du critère environnemental",
    "marche.unite_fonctionnelle": "unité fonctionnelle",
    "marche.requetes_par_an": "volume annuel de requêtes",
    "marche.jetons_par_requete": "jetons par requête",
    "marche.lots": "allotissement",
}
