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
    "other": "Autre",
}


METHODS: dict[str, str] = {
    "proportionnelle": "note = note maximale × meilleure offre / offre notée (prix, empreinte)",
    "logarithmique": "échelle logarithmique écrêtée : la meilleure offre obtient la note maximale, "
    "une offre mille fois moins bonne ou pire obtient zéro",
    "bareme": "barème appliqué au mémoire technique, publié en annexe du règlement",
}


# The pieces and their names are the clause library's: one list for both rooms.
PIECES = LIBRARY_PIECES


FORMATS = ("docx", "odt")


MAX_CRITERIA = 8


REFERENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{2,59}$")
