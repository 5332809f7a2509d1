"""The reviewer's automatable checks of a clause (`procure clauses lint`, and sync).

A parsed clause is well formed (clause_format); these checks look at what it says. Each finding
names the file, the line and the field, like a parse error. The heuristics are documented in
docs/clause-format.md (« Contrôles de relecture ») and docs/checklist-juriste.md; they are
deliberately simple regular expressions over the text of each variant, so that a legal user can
predict them, and a false alarm is fixed by rewording the clause or declaring what it does.
Pure: no DB, no Flask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from procure.clause_library.services.ccag import parse_ref
from procure.clause_library.services.clause_checks import Locator
from procure.clause_library.services.clause_spec import ClauseFormatError, ClauseSpec
from procure.clause_library.services.vocabulary import (
    COVERS,
    DEPARTURE_EFFECTS,
    PLACEHOLDER_RE,
    VARIANT_OPEN_RE,
)

KINDS = {
    "article-inconnu": "article du CCAG-TIC inconnu ou de 2009",
    "derogation-non-declaree": "dérogation au CCAG-TIC non déclarée",
    "dependance": "dépendance non déclarée ou absente de la bibliothèque",
    "variable": "variable inutilisée dans une variante",
    "delai": "obligation sans délai",
    "consequence": "obligation sans conséquence",
    "regle": "règle de droit méconnue",
}


class ReviewFinding(ClauseFormatError):
    def __init__(self, kind: str, message: str, *, file: str, line: int | None, field: str):
        super().__init__(message, file=file, line=line, field=field)
        self.kind = kind


# --- effects that need a departure ------------------------------------------------------------
_AMOUNT = r"(?:\{\{\s*\w+\s*\}\}|\d[\d\s\u202f\u00a0]*(?:,\d+)?\s*(?:euros|€|%))"
EFFECT_CUES: dict[str, re.Pattern] = {
    "penalites": re.compile(
        r"pénalités?\b[^.;:]{0,120}?" + _AMOUNT + r"|pénalit[^.]{0,80}sans mise en demeure",
        re.IGNORECASE,
    ),
    "renonciation-indemnite": re.compile(
        r"\bsans\s+(?:aucune\s+)?indemnit|\baucune\s+indemnit|\bn'ouvre\s+(?:droit\s+)?à\s+aucune|"
        r"\bsans\s+(?:droit\s+à\s+)?indemnisation|\bsans\s+que\s+le\s+titulaire\s+puisse\s+"
        r"(?:prétendre|demander|réclamer)\s+(?:à\s+)?(?:une\s+|aucune\s+)?indemn",
        re.IGNORECASE,
    ),
    "droits-resultats": re.compile(
        r"\bcession\s+(?:exclusive\s+)?des\s+droits|\bcèdent?\s+(?:à\s+l'acheteur|les\s+droits)|"
        r"\bcédés?\s+à\s+l'acheteur|à\s+titre\s+exclusif|\bdroits?\s+exclusifs?|"
        r"\bexploitation\s+commerciale|\bpropriété\s+de\s+l'acheteur",
        re.IGNORECASE,
    ),
}
# A clause covering these subjects rules on results or data: it must declare its chapter 7
# departure even when its wording escapes the cues above.
COVERS_EFFECTS = {
    "propriete-intellectuelle": "droits-resultats",
    "propriete-donnees": "droits-resultats",
}

# --- cross-references that need a dependency --------------------------------------------------
DEPENDENCY_CUES: dict[str, re.Pattern] = {
    "niveaux-de-service": re.compile(
        r"niveaux?\s+de\s+service|pénalités?\s+de\s+disponibilité|taux\s+de\s+disponibilité",
        re.IGNORECASE,
    ),
    "bordereau-prix": re.compile(r"\bbordereau\b|\bprix\s+unitaires?\b", re.IGNORECASE),
    "recette": re.compile(
        r"vérification\s+d'aptitude|vérification\s+de\s+service\s+régulier|\bVSR\b",
        re.IGNORECASE,
    ),
    "responsabilite-assurance": re.compile(r"plafond\s+de\s+responsabilité", re.IGNORECASE),
}

# --- misapplied rules of law (wordings a legal review refused) ---------------------------------
RULE_CUES: list[tuple[re.Pattern, str, str]] = [
    (
        re.compile(r"tous\s+usages\s*,?\s+(?:et\s+)?(?:sur\s+)?tous\s+supports", re.IGNORECASE),
        "",
        "« tous usages, tous supports » : une cession de droits d'auteur énumère chaque droit "
        "cédé, son étendue, sa destination, son lieu et sa durée (CPI, art. L131-3).",
    ),
    (
        re.compile(
            r"données[^.]{0,120}\b(?:appartien\w+|restent\s+la\s+propriété|sont\s+la\s+propriété)"
            r"|devien\w+\s+(?:sa|la)\s+propriété"
            r"|\bappartien(?:t|nent)\s+(?:en\s+propre\s+)?à\s+l'acheteur",
            re.IGNORECASE,
        ),
        "",
        "les données (et les résultats) ne s'attribuent pas par une formule de propriété : "
        "accordez expressément les "
        "droits (utilisation, reproduction, modification, communication) au lieu d'écrire "
        "qu'elles « appartiennent » à une partie.",
    ),
    (
        re.compile(r"deviennent\s+contractuel", re.IGNORECASE),
        "RC",
        "le règlement de la consultation n'est pas une pièce du marché : des valeurs déclarées "
        "n'y « deviennent » pas contractuelles (renvoyez au CCAP ou à l'acte d'engagement).",
    ),
    (
        re.compile(r"réputée?s?\s+non\s+écrite?s?", re.IGNORECASE),
        "",
        "« réputé non écrit » libère le titulaire de son offre : prévoyez la preuve à fournir et "
        "la conséquence d'une allégation non prouvée.",
    ),
    (
        re.compile(
            r"suspen\w*[^.]{0,80}délais?\s+de\s+paiement|délais?\s+de\s+paiement[^.]{0,80}suspen",
            re.IGNORECASE,
        ),
        "",
        "le délai de paiement est fixé par la loi (code de la commande publique, art. L2192-10 "
        "et suivants) : le marché ne peut pas le suspendre.",
    ),
    (
        re.compile(
            r"(?:retenue|conserve|retient)[^.]{0,80}?\b(?:[6-9]|[1-9]\d)\s*%", re.IGNORECASE
        ),
        "",
        "une retenue de garantie ne peut excéder 5 % du montant du marché (code de la commande "
        "publique, art. R2191-33).",
    ),
    (
        re.compile(
            r"(?:remise|libér\w*|résili\w*|obtient)[^.]{0,100}"
            r"(?:ouverture\s+d'une\s+procédure\s+collective|en\s+cas\s+de\s+procédure\s+collective)",
            re.IGNORECASE,
        ),
        "",
        "l'ouverture d'une procédure collective ne met pas fin au contrat à elle seule : "
        "prévoyez un déclenchement sur une défaillance constatée (cessation d'activité, "
        "liquidation, absence de maintenance).",
    ),
]

# --- obligations, deadlines and consequences ---------------------------------------------------
OBLIGATION_RE = re.compile(
    r"\b(?:le\s+titulaire|il)\s+(?:(?:s'engage\s+à|doit)\s+)?(?:lui\s+|leur\s+|en\s+)?"
    r"(remet|transmet|communique|fournit|livre|notifie|restitue|supprime|détruit|corrige|"
    r"signale|dépose|produit|présente|met\s+à\s+jour|tient\s+à\s+jour|actualise|publie|"
    r"remettre|transmettre|communiquer|fournir|livrer|notifier|restituer|supprimer|"
    r"détruire|corriger|signaler)\b",
    re.IGNORECASE,
)
DEADLINE_RE = re.compile(
    r"\bdélai|\bau\s+plus\s+tard|\bavant\b|\bsans\s+délai|\bdès\b|\bimmédiatement|"
    r"\bà\s+chaque\b|\bchaque\s+(?:mois|année|trimestre|semestre|version|mise)|\btous\s+les\b|"
    r"\bau\s+moins\b|\bjours?\b|\bmois\b|\bheures?\b|\bsemaines?\b|\blors\s+d[eu']|"
    r"\bà\s+la\s+demande|\bà\s+compter|\bpendant\b|\bdurant\b|\bà\s+l'issue|\bau\s+terme|"
    r"\bjusqu'|\bpériodique|\bannuel|\bmensuel|\btrimestriel|\bà\s+la\s+notification|"
    r"\bdans\s+les?\s+\S+\s+(?:jours|mois|heures)|\{\{\s*(?:delai|periodicite|duree)\w*\s*\}\}",
    re.IGNORECASE,
)
CONSEQUENCE_RE = re.compile(
    r"pénalit|résili|mise\s+en\s+demeure|à\s+ses\s+frais|aux\s+frais|ajourne|réfaction|"
    r"\brejet|\brefus|mesures?\s+correctives?|manquement|retenue|réduction\s+de\s+prix|"
    r"à\s+ses\s+torts|exécution\s+aux\s+frais|responsab",
    re.IGNORECASE,
)
# Subjects whose clause states the consequences for the clauses that rely on it.
CONSEQUENCE_SUBJECTS = ("sanctions-manquements", "niveaux-de-service")


@dataclass
class _Line:
    number: int
    text: str
    variant: str | None  # None: common to every variant


def _body_lines(text: str) -> list[_Line]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = next(i for i in range(1, len(lines)) if lines[i].strip() == "---") + 1
    result, current = [], None
    for index in range(start, len(lines)):
        stripped = lines[index].strip()
        opening = VARIANT_OPEN_RE.match(stripped)
        if opening:
            current = opening.group(1)
            continue
        if stripped == ":::":
            current = None
            continue
        if stripped:
            result.append(_Line(index + 1, stripped, current))
    return result


def _locator(text: str) -> Locator:
    lines = text.replace("\r\n", "\n").split("\n")
    end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    return Locator(yaml.compose("\n".join(lines[1:end])), 2)


def _sentences(line: _Line) -> list[str]:
    return [s for s in re.split(r"(?<=[.;:])\s+", line.text) if s.strip()]


def review_clause(spec: ClauseSpec, text: str, *, filename: str) -> list[ReviewFinding]:
    """Every finding of the reviewer's automatable checks for one parsed clause file."""
    text = text.lstrip("\ufeff")
    loc = _locator(text)
    lines = _body_lines(text)
    found: list[ReviewFinding] = []

    def add(kind: str, message: str, line: int | None, field: str) -> None:
        found.append(ReviewFinding(kind, message, file=filename, line=line, field=field))

    variant_keys = [v["key"] for v in spec.variants] or [None]

    def variant_lines(variant: str | None) -> list[_Line]:
        return [ln for ln in lines if ln.variant is None or ln.variant == variant]

    # Departures: each effect found in a variant's text must be declared for that variant.
    penalty_vars = {v["name"] for v in spec.variables if v["type"] == "penalty"}
    for variant in variant_keys:
        declared = [
            d
            for d in spec.departures
            if not d.get("variants") or variant is None or variant in d["variants"]
        ]

        def covered(effect: str, declared: list[dict] = declared) -> bool:
            allowed = set(DEPARTURE_EFFECTS[effect][1])
            for dep in declared:
                ref = parse_ref(dep["article"])
                if dep.get("effect") == effect or (ref and set(ref.numbers) <= allowed):
                    return True
            return False

        seen_effects: set[str] = set()
        for ln in variant_lines(variant):
            effects = {e for e, cue in EFFECT_CUES.items() if cue.search(ln.text)}
            names = {m.group(1).strip() for m in PLACEHOLDER_RE.finditer(ln.text)}
            if names & penalty_vars:
                effects.add("penalites")
            for effect in sorted(effects - seen_effects):
                seen_effects.add(effect)
                if not covered(effect):
                    label, allowed = DEPARTURE_EFFECTS[effect]
                    where = f" (variante « {variant} »)" if variant else ""
                    add(
                        "derogation-non-declaree",
                        f"le texte{where} {label} sans déclarer la dérogation : ajoutez dans "
                        f"« departures » l'article {_articles_text(allowed)} du CCAG-TIC et son motif.",
                        ln.number,
                        "departures",
                    )
        for subject, effect in COVERS_EFFECTS.items():
            if subject in spec.covers and effect not in seen_effects and not covered(effect):
                seen_effects.add(effect)
                label, allowed = DEPARTURE_EFFECTS[effect]
                add(
                    "derogation-non-declaree",
                    f"la clause couvre « {subject} » : elle {label} et doit déclarer la "
                    f"dérogation (article {_articles_text(allowed)} du CCAG-TIC).",
                    loc.line("covers"),
                    "departures",
                )

    # Cross-references: a subject the text relies on is covered here or declared in `depends`.
    relied = set(spec.covers) | {d["subject"] for d in spec.depends}
    for subject, cue in DEPENDENCY_CUES.items():
        if subject in relied:
            continue
        hit = next((ln for ln in lines if cue.search(ln.text)), None)
        if hit is not None:
            add(
                "dependance",
                f"le texte renvoie à « {COVERS[subject]} » sans le déclarer : ajoutez "
                f"« depends: [{{subject: {subject}}}] » (une clause de la bibliothèque doit le couvrir).",
                hit.number,
                "depends",
            )

    # Variables: used somewhere, and a required one used in every variant.
    for index, var in enumerate(spec.variables):
        uses = {
            ln.variant
            for ln in lines
            if any(m.group(1).strip() == var["name"] for m in PLACEHOLDER_RE.finditer(ln.text))
        }
        line = loc.line("variables", index, "name")
        if not uses:
            add(
                "variable",
                f"la variable « {var['name']} » n'apparaît dans aucune variante du texte.",
                line,
                f"variables.{index}",
            )
        elif None not in uses and var.get("required"):
            missing = [k for k in variant_keys if k not in uses]
            if missing:
                add(
                    "variable",
                    f"la variable obligatoire « {var['name']} » n'est pas employée par la variante "
                    f"« {missing[0]} » : elle y serait demandée sans être imprimée "
                    "(rendez-la facultative ou employez-la).",
                    line,
                    f"variables.{index}",
                )

    # A variable named after what a "sans-..." variant leaves out must not be printed in it.
    for variant in variant_keys:
        if not variant or not re.match(r"^sans[-_]", variant):
            continue
        stem = re.split(r"[-_]", variant, maxsplit=1)[1].replace("-", "_")
        for ln in lines:
            if ln.variant != variant:
                continue
            for m in PLACEHOLDER_RE.finditer(ln.text):
                name = m.group(1).strip()
                if stem and stem in name:
                    add(
                        "variable",
                        f"la variable « {name} » est imprimée dans la variante « {variant} », "
                        "qui exclut justement ce qu'elle décrit.",
                        ln.number,
                        "corps",
                    )

    # Rules of law.
    for ln in lines:
        for cue, piece, message in RULE_CUES:
            if (not piece or piece == spec.piece) and cue.search(ln.text):
                add("regle", message, ln.number, "corps")

    # Obligations: a deadline in the sentence, a consequence in the clause.
    all_text = " ".join(ln.text for ln in lines)
    first_obligation = None
    for ln in lines:
        for sentence in _sentences(ln):
            if OBLIGATION_RE.search(sentence):
                first_obligation = first_obligation or ln.number
                if not DEADLINE_RE.search(sentence):
                    add(
                        "delai",
                        f"obligation sans délai ni échéance : « {sentence[:90]} ».",
                        ln.number,
                        "corps",
                    )
    if (
        first_obligation is not None
        and spec.piece != "RC"
        and not CONSEQUENCE_RE.search(all_text)
        and not relied & set(CONSEQUENCE_SUBJECTS)
    ):
        add(
            "consequence",
            "la clause impose des obligations sans dire ce qu'entraîne leur méconnaissance : "
            "prévoyez une conséquence (pénalité, mesures correctives, résiliation) ou déclarez "
            "« depends: [{subject: sanctions-manquements}] ».",
            first_obligation,
            "corps",
        )
    return found


def _articles_text(allowed: tuple[int, ...]) -> str:
    return str(allowed[0]) if len(allowed) == 1 else f"{allowed[0]} à {allowed[-1]}"


def review_library(specs: list[tuple[str, ClauseSpec, str]]) -> list[ReviewFinding]:
    """Library-wide checks: every dependency is covered by some clause of the library."""
    covered = {subject for _f, spec, _t in specs for subject in spec.covers}
    found = []
    for filename, spec, text in specs:
        loc = _locator(text.lstrip("\ufeff"))
        for index, dep in enumerate(spec.depends):
            if dep["subject"] not in covered:
                found.append(
                    ReviewFinding(
                        "dependance",
                        f"aucune clause de la bibliothèque ne couvre « {dep['subject']} », dont "
                        "cette clause dépend.",
                        file=filename,
                        line=loc.line("depends", index, "subject"),
                        field=f"depends.{index}.subject",
                    )
                )
    return found
