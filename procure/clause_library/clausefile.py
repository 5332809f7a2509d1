"""Clause files: parse and validate, render with values, compare words. Pure: no DB, no Flask.

A clause file is YAML front matter between two `---` lines, then a French body (see
docs/clause-format.md). Placeholders `{{ name }}` are replaced by regex substitution of declared
identifiers only; the body is never given to a template engine, and anything that looks like
template code is refused at parse time, so a clause text can never run anything.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import PurePath
from typing import Any

import yaml

FAMILIES: tuple[str, ...] = (
    "reversibilite",
    "auditabilite",
    "donnees",
    "environnement",
    "securite",
    "supervision-humaine",
    "competences",
)
FAMILY_LABELS: dict[str, str] = {
    "reversibilite": "Réversibilité et sortie",
    "auditabilite": "Auditabilité, traçabilité et documentation",
    "donnees": "Données et propriété intellectuelle",
    "environnement": "Empreinte environnementale",
    "securite": "Sécurité et hébergement souverain",
    "supervision-humaine": "Supervision humaine et transparence",
    "competences": "Transfert de compétences",
}
PIECES = ("RC", "CCAP", "CCTP")
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
    "supervision-humaine": "contrôle humain et capacité d'arrêt",
    "transparence": "information des usagers",
    "competences": "transfert de compétences",
}
VARIABLE_TYPES: dict[str, str] = {
    "text": "texte",
    "integer": "nombre entier",
    "decimal": "nombre décimal",
    "boolean": "oui / non",
    "date": "date",
    "choice": "choix",
    "list": "liste",
}
FIELDS = (
    "key",
    "family",
    "title",
    "piece",
    "summary",
    "covers",
    "conditions",
    "variables",
    "variants",
    "references",
    "departures",
)
REQUIRED_FIELDS = ("key", "family", "title", "piece")
VARIABLE_FIELDS = (
    "name",
    "type",
    "label",
    "default",
    "min",
    "max",
    "max_length",
    "choices",
    "required",
)
MAX_FILE_CHARS = 200_000
# libyaml's safe loader when built in (same rules, about 10 times faster), else PyYAML's.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
KEY_RE = re.compile(r"^([a-z0-9]+(?:-[a-z0-9]+)*)\.([a-z0-9]+(?:-[a-z0-9]+)*)$")
VARIANT_KEY_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
PLACEHOLDER_RE = re.compile(r"\{\{(.*?)\}\}")
VARIANT_OPEN_RE = re.compile(r"^:::\s*variante\s+(\S+)\s*$")
TEMPLATE_CODE_RE = re.compile(r"\{%|%\}|\{#|#\}|\$\{")
ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FR_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
TRUE_WORDS = {"oui", "true", "vrai", "1", "on", "yes", "o"}
FALSE_WORDS = {"non", "false", "faux", "0", "off", "no", "n"}
SPACES_RE = re.compile(r"[\s\u00a0\u202f]")


class ClauseFormatError(ValueError):
    """A clause file or form refused: which file, which line, which field, why (in French)."""

    def __init__(
        self, message: str, *, file: str = "", line: int | None = None, field: str | None = None
    ):
        self.file, self.line, self.field, self.message = file, line, field, message
        where = file + (f":{line}" if line else "")
        super().__init__(f"{where}: " + (f"{field}: " if field else "") + message)


@dataclass
class ClauseSpec:
    """A validated clause, in canonical form (what a version stores and what the hash covers)."""

    key: str
    family: str
    title: str
    piece: str
    summary: str = ""
    covers: list[str] = field(default_factory=list)
    conditions: dict = field(default_factory=dict)
    variables: list[dict] = field(default_factory=list)
    variants: list[dict] = field(default_factory=list)
    references: list[dict] = field(default_factory=list)
    departures: list[dict] = field(default_factory=list)
    body: str = ""

    @property
    def name(self) -> str:
        """The file name without `.md` (the part of the key after the family)."""
        return self.key.split(".", 1)[1]

    def to_dict(self) -> dict:
        return asdict(self)

    def content_hash(self) -> str:
        """sha256 hex of a canonical JSON of every field."""
        canonical = json.dumps(
            self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def front_matter(self) -> dict:
        """The YAML header as an ordered dict, leaving out empty optional fields."""
        data: dict[str, Any] = {
            "key": self.key,
            "family": self.family,
            "title": self.title,
            "piece": self.piece,
        }
        if self.summary:
            data["summary"] = self.summary
        for name in ("covers", "conditions", "variables", "variants", "references", "departures"):
            value = getattr(self, name)
            if value:
                data[name] = value
        return data

    def to_front_matter_text(self) -> str:
        """The .md file text: YAML front matter, then the body."""
        header = yaml.safe_dump(
            self.front_matter(),
            allow_unicode=True,
            sort_keys=False,
            default_flow_style=False,
            width=100_000,
        )
        return f"---\n{header}---\n{self.body}\n"


# --- parsing -------------------------------------------------------------------------------


class _Locator:
    """Line numbers of front-matter nodes, from the YAML node tree (1-based, in the file)."""

    def __init__(self, root: yaml.Node | None, offset: int):
        self.root, self.offset = root, offset

    def line(self, *path: str | int) -> int | None:
        node, best = self.root, None
        for step in path:
            if node is None:
                break
            best = node.start_mark.line
            if isinstance(node, yaml.MappingNode) and isinstance(step, str):
                nxt = None
                for key_node, value_node in node.value:
                    if getattr(key_node, "value", None) == step:
                        best, nxt = key_node.start_mark.line, value_node
                        break
                node = nxt
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(step, int)
                and step < len(node.value)
            ):
                node = node.value[step]
                best = node.start_mark.line
            else:
                node = None
        if best is None:
            return self.offset
        return best + self.offset


def _find_duplicate_keys(node: yaml.Node | None) -> yaml.Node | None:
    """The first key that appears twice in one mapping (PyYAML silently keeps the last)."""
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for key_node, value_node in node.value:
            value = getattr(key_node, "value", None)
            if value in seen:
                return key_node
            seen.add(value)
            found = _find_duplicate_keys(value_node)
            if found is not None:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found = _find_duplicate_keys(item)
            if found is not None:
                return found
    return None


def _split_front_matter(text: str, filename: str) -> tuple[str, str, int]:
    """Return (front matter, body, line number of the body's first line)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ClauseFormatError(
            "le fichier doit commencer par une ligne « --- » suivie de l'en-tête YAML.",
            file=filename,
            line=1,
        )
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]), index + 2
    raise ClauseFormatError(
        "l'en-tête YAML n'est pas fermé par une ligne « --- ».", file=filename, line=1
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not (isinstance(value, float) and not math.isfinite(value))
    )


class _Checker:
    def __init__(self, filename: str, locator: _Locator):
        self.filename, self.loc = filename, locator

    def fail(self, message: str, *path: str | int, field: str | None = None) -> ClauseFormatError:
        label = field if field is not None else ".".join(str(p) for p in path) or None
        return ClauseFormatError(
            message, file=self.filename, line=self.loc.line(*path), field=label
        )

    def text(
        self, data: dict, name: str, *, required: bool, max_length: int, path: tuple = ()
    ) -> str:
        value = data.get(name)
        full = (*path, name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.fail("champ obligatoire manquant ou vide.", *full)
            return ""
        if isinstance(value, bool | list | dict):
            raise self.fail("doit être un texte.", *full)
        value = str(value).strip()
        if len(value) > max_length:
            raise self.fail(
                f"texte trop long ({len(value)} caractères, {max_length} au plus).", *full
            )
        return value


def _check_variable(chk: _Checker, index: int, raw: Any, names: set[str]) -> dict:
    path: tuple = ("variables", index)
    if not isinstance(raw, dict):
        raise chk.fail("chaque variable doit être un dictionnaire (name, type, label...).", *path)
    unknown = sorted(set(raw) - set(VARIABLE_FIELDS))
    if unknown:
        raise chk.fail(
            f"champ inconnu « {unknown[0]} » (champs permis : {', '.join(VARIABLE_FIELDS)}).",
            *path,
            unknown[0],
        )
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise chk.fail(
            "identifiant invalide : lettres minuscules, chiffres et « _ », "
            "commençant par une lettre.",
            *path,
            "name",
        )
    if name in names:
        raise chk.fail(f"la variable « {name} » est déclarée deux fois.", *path, "name")
    vtype = raw.get("type")
    if vtype not in VARIABLE_TYPES:
        raise chk.fail(
            f"type inconnu « {vtype} » (types permis : {', '.join(VARIABLE_TYPES)}).", *path, "type"
        )
    label = chk.text(raw, "label", required=True, max_length=300, path=path)
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise chk.fail("doit valoir true ou false.", *path, "required")
    var: dict[str, Any] = {"name": name, "type": vtype, "label": label, "default": None}

    for bound in ("min", "max"):
        if bound in raw:
            if vtype not in ("integer", "decimal"):
                raise chk.fail(
                    f"« {bound} » n'est permis que pour les types integer et decimal.", *path, bound
                )
            value = raw[bound]
            if vtype == "integer" and not _is_int(value):
                raise chk.fail("doit être un nombre entier.", *path, bound)
            if vtype == "decimal" and not _is_number(value):
                raise chk.fail("doit être un nombre.", *path, bound)
            var[bound] = value if vtype == "integer" else float(value)
    if "min" in var and "max" in var and var["min"] > var["max"]:
        raise chk.fail(
            f"le minimum ({var['min']}) dépasse le maximum ({var['max']}).", *path, "min"
        )
    if "max_length" in raw:
        if vtype not in ("text", "list"):
            raise chk.fail(
                "« max_length » n'est permis que pour les types text et list.", *path, "max_length"
            )
        if not _is_int(raw["max_length"]) or raw["max_length"] < 1:
            raise chk.fail("doit être un nombre entier positif.", *path, "max_length")
        var["max_length"] = raw["max_length"]
    if vtype == "choice":
        choices = raw.get("choices")
        if not isinstance(choices, list) or not choices:
            raise chk.fail(
                "une variable de type choice doit déclarer une liste de choix non vide.",
                *path,
                "choices",
            )
        choices = [str(c).strip() for c in choices if not isinstance(c, dict | list)]
        if len(set(choices)) != len(choices) or not all(choices):
            raise chk.fail(
                "les choix doivent être des textes non vides et distincts.", *path, "choices"
            )
        var["choices"] = choices
    elif "choices" in raw:
        raise chk.fail("« choices » n'est permis que pour le type choice.", *path, "choices")

    if raw.get("default") is not None:
        try:
            default = _coerce(var, raw["default"])
        except ValueError as exc:
            raise chk.fail(f"valeur par défaut invalide : {exc}", *path, "default") from None
        var["default"] = default.isoformat() if isinstance(default, date) else default
    var["required"] = required
    names.add(name)
    return var


def _check_list_of_dicts(
    chk: _Checker, data: dict, name: str, fields: dict[str, tuple[bool, int]]
) -> list[dict]:
    raw = data.get(name)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise chk.fail("doit être une liste.", name)
    result = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise chk.fail(
                f"chaque élément doit être un dictionnaire ({', '.join(fields)}).", name, index
            )
        unknown = sorted(set(item) - set(fields))
        if unknown:
            raise chk.fail(
                f"champ inconnu « {unknown[0]} » (champs permis : {', '.join(fields)}).",
                name,
                index,
                unknown[0],
            )
        result.append(
            {
                f: chk.text(item, f, required=req, max_length=size, path=(name, index))
                for f, (req, size) in fields.items()
            }
        )
    return result


def _check_body(
    chk: _Checker, body: str, first_line: int, names: set[str], variant_keys: set[str]
) -> str:
    lines = body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    # Trim blank lines at both ends, keeping line numbers right.
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    end = len(lines)
    while end > start and not lines[end - 1].strip():
        end -= 1
    if start == end:
        raise ClauseFormatError(
            "le corps de la clause est vide.", file=chk.filename, line=first_line, field="corps"
        )
    open_variant: tuple[str, int] | None = None
    used_variants: set[str] = set()
    kept = []
    for offset, line in enumerate(lines[start:end]):
        number = first_line + start + offset
        line = line.rstrip()
        kept.append(line)

        def fail(message: str, number: int = number) -> ClauseFormatError:
            return ClauseFormatError(message, file=chk.filename, line=number, field="corps")

        stripped = line.strip()
        if TEMPLATE_CODE_RE.search(line):
            raise fail(
                "code de gabarit interdit : seules les variables déclarées, écrites "
                "« {{ nom_variable }} », sont permises."
            )
        for match in PLACEHOLDER_RE.finditer(line):
            inner = match.group(1).strip()
            if not NAME_RE.match(inner):
                raise fail(
                    f"code de gabarit interdit « {match.group(0)} » : une variable s'écrit "
                    "« {{ nom_variable }} », sans attribut, appel ni filtre."
                )
            if inner not in names:
                raise fail(f"variable non déclarée « {inner} » : déclarez-la dans « variables ».")
        if "{{" in PLACEHOLDER_RE.sub("", line) or "}}" in PLACEHOLDER_RE.sub("", line):
            raise fail(
                "accolades doubles non appariées : une variable s'écrit « {{ nom_variable }} »."
            )
        if stripped.startswith("#"):
            raise fail(
                "pas de titre ni d'autre balisage dans le corps (le titre vient de l'en-tête)."
            )
        if stripped.startswith(":::"):
            opening = VARIANT_OPEN_RE.match(stripped)
            if opening:
                if open_variant:
                    raise fail(
                        f"bloc de variante ouvert alors que le bloc « {open_variant[0]} » "
                        f"(ligne {open_variant[1]}) n'est pas fermé."
                    )
                key = opening.group(1)
                if key not in variant_keys:
                    known = ", ".join(sorted(variant_keys)) or "aucune variante déclarée"
                    raise fail(f"variante « {key} » non déclarée dans « variants » ({known}).")
                open_variant = (key, number)
                used_variants.add(key)
            elif stripped == ":::":
                if not open_variant:
                    raise fail("fermeture « ::: » sans bloc de variante ouvert.")
                open_variant = None
            else:
                raise fail(
                    "bloc invalide : écrivez « ::: variante <clé> » puis « ::: » pour fermer."
                )
    if open_variant:
        raise ClauseFormatError(
            f"le bloc de variante « {open_variant[0]} » n'est pas fermé par « ::: ».",
            file=chk.filename,
            line=open_variant[1],
            field="corps",
        )
    return "\n".join(kept)


def parse_clause_text(text: str, *, filename: str) -> ClauseSpec:
    """Parse and validate a clause file's text; raise ClauseFormatError with file, line and field."""
    if not isinstance(text, str):
        raise ClauseFormatError("le fichier n'est pas un texte.", file=filename)
    if len(text) > MAX_FILE_CHARS:
        raise ClauseFormatError(
            f"fichier trop volumineux ({len(text)} caractères, {MAX_FILE_CHARS} au plus).",
            file=filename,
        )
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    front, body, body_line = _split_front_matter(text, filename)
    try:
        root = yaml.compose(front, Loader=_YAML_LOADER)
        data = yaml.load(front, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ClauseFormatError(
            f"YAML invalide : {problem}.", file=filename, line=mark.line + 2 if mark else 2
        ) from None
    locator = _Locator(root, 2)
    chk = _Checker(filename, locator)
    if not isinstance(data, dict):
        raise ClauseFormatError(
            "l'en-tête YAML doit être un dictionnaire de champs (key, family, title...).",
            file=filename,
            line=2,
        )
    duplicate = _find_duplicate_keys(root)
    if duplicate is not None:
        raise ClauseFormatError(
            f"le champ « {duplicate.value} » apparaît deux fois.",
            file=filename,
            line=duplicate.start_mark.line + 2,
            field=str(duplicate.value),
        )
    unknown = [k for k in data if k not in FIELDS]
    if unknown:
        raise chk.fail(f"champ inconnu (champs permis : {', '.join(FIELDS)}).", str(unknown[0]))
    for name in REQUIRED_FIELDS:
        if data.get(name) in (None, ""):
            raise chk.fail("champ obligatoire manquant.", name)

    family = chk.text(data, "family", required=True, max_length=40)
    if family not in FAMILIES:
        raise chk.fail(
            f"famille inconnue « {family} » (familles permises : {', '.join(FAMILIES)}).", "family"
        )
    key = chk.text(data, "key", required=True, max_length=120)
    match = KEY_RE.match(key)
    if not match:
        raise chk.fail("clé invalide : « famille.nom », en minuscules, chiffres et tirets.", "key")
    if match.group(1) != family:
        raise chk.fail(f"la clé doit commencer par la famille « {family}. ».", "key")
    path = PurePath(filename)
    if path.suffix == ".md" and path.stem != match.group(2):
        raise chk.fail(
            f"la clé doit être « {family}.{path.stem} » (famille + nom du fichier).", "key"
        )
    if path.suffix == ".md" and len(path.parts) > 1 and path.parent.name != family:
        raise chk.fail(
            f"le fichier doit être rangé dans le dossier « {family} » de sa famille "
            f"(il est dans « {path.parent.name} »).",
            "family",
        )
    title = chk.text(data, "title", required=True, max_length=200)
    piece = chk.text(data, "piece", required=True, max_length=10)
    if piece not in PIECES:
        raise chk.fail(
            f"pièce inconnue « {piece} » (pièces permises : {', '.join(PIECES)}).", "piece"
        )
    summary = chk.text(data, "summary", required=False, max_length=1000)

    covers = data.get("covers") or []
    if not isinstance(covers, list):
        raise chk.fail("doit être une liste de sujets.", "covers")
    for index, subject in enumerate(covers):
        if subject not in COVERS:
            raise chk.fail(
                f"sujet inconnu « {subject} » (voir le vocabulaire de docs/clause-format.md).",
                "covers",
                index,
                field="covers",
            )
    if len(set(covers)) != len(covers):
        raise chk.fail("un sujet est cité deux fois.", "covers")

    conditions = data.get("conditions") or {}
    if not isinstance(conditions, dict):
        raise chk.fail(
            "doit être un dictionnaire (par exemple « ai_high_risk: true »).", "conditions"
        )
    for name, value in conditions.items():
        if name not in CONDITIONS:
            raise chk.fail(
                f"condition inconnue « {name} » (conditions permises : {', '.join(CONDITIONS)}).",
                "conditions",
                str(name),
            )
        if not isinstance(value, bool):
            raise chk.fail("doit valoir true ou false.", "conditions", name)

    raw_variables = data.get("variables") or []
    if not isinstance(raw_variables, list):
        raise chk.fail("doit être une liste de variables.", "variables")
    names: set[str] = set()
    variables = [_check_variable(chk, i, raw, names) for i, raw in enumerate(raw_variables)]

    variants = _check_list_of_dicts(
        chk, data, "variants", {"key": (True, 60), "label": (True, 200)}
    )
    seen: set[str] = set()
    for index, variant in enumerate(variants):
        if not VARIANT_KEY_RE.match(variant["key"]):
            raise chk.fail(
                "clé de variante invalide : minuscules, chiffres, « - » ou « _ ».",
                "variants",
                index,
                "key",
            )
        if variant["key"] in seen:
            raise chk.fail(
                f"la variante « {variant['key']} » est déclarée deux fois.",
                "variants",
                index,
                "key",
            )
        seen.add(variant["key"])
    if len(variants) == 1:
        raise chk.fail(
            "une seule variante déclarée : il en faut au moins deux, ou aucune.", "variants"
        )
    references = _check_list_of_dicts(
        chk,
        data,
        "references",
        {"source": (True, 200), "article": (False, 200), "note": (False, 1000)},
    )
    departures = _check_list_of_dicts(
        chk, data, "departures", {"article": (True, 200), "text": (True, 2000)}
    )

    body = _check_body(chk, body, body_line, names, seen)
    return ClauseSpec(
        key=key,
        family=family,
        title=title,
        piece=piece,
        summary=summary,
        covers=list(covers),
        conditions=dict(conditions),
        variables=variables,
        variants=variants,
        references=references,
        departures=departures,
        body=body,
    )


# --- values ----------------------------------------------------------------------------------


def _number_text(text: str) -> str:
    return SPACES_RE.sub("", text).replace(",", ".")


def _coerce(var: dict, value: Any) -> Any:
    """Convert one value (typed, or a string from a form) to the variable's type; ValueError in French."""
    vtype = var["type"]
    if vtype == "integer":
        if isinstance(value, str):
            text = _number_text(value)
            if not re.fullmatch(r"[+-]?\d+", text):
                raise ValueError(f"« {value} » n'est pas un nombre entier.")
            value = int(text)
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        if not _is_int(value):
            raise ValueError(f"« {value} » n'est pas un nombre entier.")
    elif vtype == "decimal":
        if isinstance(value, str):
            text = _number_text(value)
            if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
                raise ValueError(f"« {value} » n'est pas un nombre.")
            value = float(text)
        if not _is_number(value):
            raise ValueError(f"« {value} » n'est pas un nombre.")
        value = float(value)
    elif vtype == "boolean":
        if isinstance(value, str):
            word = value.strip().lower()
            if word in TRUE_WORDS:
                value = True
            elif word in FALSE_WORDS:
                value = False
        if not isinstance(value, bool):
            raise ValueError(f"« {value} » : répondez oui ou non.")
    elif vtype == "date":
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, str):
            text = value.strip()
            try:
                if ISO_DATE_RE.match(text):
                    value = date.fromisoformat(text)
                elif m := FR_DATE_RE.match(text):
                    value = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            except ValueError:
                raise ValueError(f"« {value} » n'est pas une date valide.") from None
        if not isinstance(value, date):
            raise ValueError(f"« {value} » n'est pas une date (écrivez JJ/MM/AAAA).")
    elif vtype == "choice":
        text = str(value).strip() if not isinstance(value, dict | list) else None
        choices = var.get("choices") or []
        match = next((c for c in choices if text is not None and c.lower() == text.lower()), None)
        if match is None:
            raise ValueError(f"« {value} » n'est pas un des choix permis ({', '.join(choices)}).")
        value = match
    elif vtype == "list":
        if isinstance(value, str):
            value = [part for part in re.split(r"[,;\n]", value)]
        if not isinstance(value, list | tuple):
            raise ValueError("doit être une liste de textes.")
        value = [
            str(item).strip()
            for item in value
            if not isinstance(item, dict | list) and str(item).strip()
        ]
        limit = var.get("max_length")
        too_long = [item for item in value if limit and len(item) > limit]
        if too_long:
            raise ValueError(f"« {too_long[0][:40]} » dépasse {limit} caractères.")
    else:  # text
        if isinstance(value, dict | list):
            raise ValueError("doit être un texte.")
        if isinstance(value, float):  # an unquoted YAML "3.2" is meant as text
            value = repr(value)
        value = str(value).strip()
        limit = var.get("max_length")
        if limit and len(value) > limit:
            raise ValueError(f"texte trop long ({len(value)} caractères, {limit} au plus).")
    if vtype in ("integer", "decimal"):
        low, high = var.get("min"), var.get("max")
        if low is not None and value < low:
            raise ValueError(
                f"{_format_value(var, value)} est inférieur au minimum ({_format_value(var, low)})."
            )
        if high is not None and value > high:
            raise ValueError(
                f"{_format_value(var, value)} dépasse le maximum ({_format_value(var, high)})."
            )
    return value


def _is_empty(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, list | tuple) and not value)
    )


def validate_values(variables: list[dict], values: dict) -> tuple[dict, dict[str, str]]:
    """Check values against declared variables: (typed clean values, {name: French error}).

    Accepts typed values or strings from forms ("12", "1 234,5", "oui", "2026-01-31" or
    "31/01/2026", "a, b" for lists). A missing name takes the default; an empty value is None
    (an error when the variable is required). Dates come back as `datetime.date`. Unknown names
    are ignored.
    """
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    values = values or {}
    for var in variables:
        name = var["name"]
        raw = values[name] if name in values else var.get("default")
        if var["type"] == "list" and isinstance(raw, str) and not raw.strip():
            raw = None
        if _is_empty(raw):
            clean[name] = [] if var["type"] == "list" else None
            if var.get("required"):
                errors[name] = f"{var['label']} : valeur obligatoire."
            continue
        try:
            clean[name] = _coerce(var, raw)
        except ValueError as exc:
            errors[name] = f"{var['label']} : {exc}"
            continue
        if var["type"] == "list" and not clean[name] and var.get("required"):
            errors[name] = f"{var['label']} : valeur obligatoire."
    return clean, errors


# --- rendering -------------------------------------------------------------------------------


def _group_thousands(digits: str) -> str:
    groups = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return " ".join(groups)


def _format_number(value: float | int) -> str:
    negative = value < 0
    if _is_int(value):
        text = _group_thousands(str(abs(value)))
    else:
        text = f"{abs(value):.6f}".rstrip("0").rstrip(".")
        whole, _, frac = text.partition(".")
        text = _group_thousands(whole) + (f",{frac}" if frac else "")
    return ("-" if negative else "") + text


def french_list(items: list[str]) -> str:
    """'a', 'a et b', 'a, b et c'."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " et " + items[-1]


def _format_value(var: dict, value: Any) -> str:
    vtype = var.get("type")
    if isinstance(value, bool):
        return "oui" if value else "non"
    if vtype in ("integer", "decimal") and _is_number(value):
        return _format_number(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, list | tuple):
        return french_list([_format_value({}, v) for v in value])
    return str(value)


def format_value(var: dict, value: Any) -> str:
    """A value as French text (1 234,5 ; 31/01/2026 ; oui/non ; 'a, b et c'), strings coerced first."""
    if _is_empty(value):
        return f"[à compléter : {var.get('label') or var.get('name')}]"
    if isinstance(value, str) and var.get("type") in (
        "integer",
        "decimal",
        "date",
        "boolean",
        "list",
    ):
        try:
            value = _coerce(var, value)
        except ValueError:
            return value
    return _format_value(var, value)


def select_variant_lines(body: str, variant: str | None) -> list[str]:
    """The body's lines for one variant: common text plus that variant's blocks (a block
    boundary counts as a paragraph break)."""
    kept: list[str] = []
    current: str | None = None
    inside = False
    for line in body.split("\n"):
        stripped = line.strip()
        opening = VARIANT_OPEN_RE.match(stripped)
        if opening:
            inside, current = True, opening.group(1)
            kept.append("")
            continue
        if inside and stripped == ":::":
            inside, current = False, None
            kept.append("")
            continue
        if not inside or current == variant:
            kept.append(line)
    return kept


def body_variants(body: str) -> list[str]:
    """Variant keys in the order their blocks first appear in the body."""
    found: list[str] = []
    for line in body.split("\n"):
        opening = VARIANT_OPEN_RE.match(line.strip())
        if opening and opening.group(1) not in found:
            found.append(opening.group(1))
    return found


def render_blocks(
    body: str,
    variables: list[dict],
    variant: str | None,
    values: dict,
    *,
    variants: list[dict] | None = None,
) -> list[tuple[str, str]]:
    """Render a body: [("p" | "li", text)], with the chosen variant's blocks and the values.

    `variant=None` means the default variant: the first of `variants` when given, else the first
    variant block of the body. Placeholders of declared variables are replaced by French-formatted
    values; an empty value renders as "[à compléter : <label>]". The text is NOT escaped: escaping
    happens at output (HTML autoescape, DOCX/ODT writers).
    """
    if variant is None:
        keys = [v["key"] for v in variants] if variants else body_variants(body)
        variant = keys[0] if keys else None
    by_name = {v["name"]: v for v in variables}
    values = values or {}

    def substitute(match: re.Match) -> str:
        name = match.group(1).strip()
        var = by_name.get(name)
        if var is None:  # parse refuses this; never let it through as text
            return f"[variable inconnue : {name}]"
        return format_value(var, values.get(name))

    blocks: list[tuple[str, str]] = []
    current: list[str] = []
    kind = "p"

    def flush() -> None:
        nonlocal current
        if current:
            text = " ".join(part.strip() for part in current)
            blocks.append((kind, PLACEHOLDER_RE.sub(substitute, text)))
        current = []

    for line in select_variant_lines(body, variant):
        stripped = line.strip()
        if not stripped:
            flush()
            kind = "p"
        elif stripped.startswith("- "):
            flush()
            kind = "li"
            current = [stripped[2:]]
        else:
            if kind == "li" and not current:
                kind = "p"
            current.append(stripped)
    flush()
    return blocks


# --- comparing -------------------------------------------------------------------------------

TOKEN_RE = re.compile(r"\s+|[^\s]+")


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Word-level difference: [("equal" | "insert" | "delete", text)], whitespace kept."""
    a, b = TOKEN_RE.findall(old or ""), TOKEN_RE.findall(new or "")
    result: list[tuple[str, str]] = []

    def add(op: str, text: str) -> None:
        if not text:
            return
        if result and result[-1][0] == op:
            result[-1] = (op, result[-1][1] + text)
        else:
            result.append((op, text))

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            add("equal", "".join(a[i1:i2]))
        else:
            if tag in ("delete", "replace"):
                add("delete", "".join(a[i1:i2]))
            if tag in ("insert", "replace"):
                add("insert", "".join(b[j1:j2]))
    return result
