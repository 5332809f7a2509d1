"""The checks of a clause file: front-matter line numbers, variables, lists and the body."""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml

from procure.clause_library.services.ccag import articles, check_ref, parse_ref
from procure.clause_library.services.clause_spec import ClauseFormatError
from procure.clause_library.services.values import coerce_value, is_int, is_number
from procure.clause_library.services.vocabulary import (
    DEPARTURE_EFFECTS,
    NAME_RE,
    PLACEHOLDER_RE,
    TEMPLATE_CODE_RE,
    TENDER_PLACEHOLDERS,
    TENDER_PREFIX,
    VARIABLE_FIELDS,
    VARIABLE_TYPES,
    VARIANT_OPEN_RE,
)


class Locator:
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


def find_duplicate_keys(node: yaml.Node | None) -> yaml.Node | None:
    """The first key that appears twice in one mapping (PyYAML silently keeps the last)."""
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for key_node, value_node in node.value:
            value = getattr(key_node, "value", None)
            if value in seen:
                return key_node
            seen.add(value)
            found = find_duplicate_keys(value_node)
            if found is not None:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found = find_duplicate_keys(item)
            if found is not None:
                return found
    return None


class Checker:
    def __init__(self, filename: str, locator: Locator):
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


def check_variable(chk: Checker, index: int, raw: Any, names: set[str]) -> dict:
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
            if vtype not in ("integer", "decimal", "penalty"):
                raise chk.fail(
                    f"« {bound} » n'est permis que pour les types integer, decimal et penalty.",
                    *path,
                    bound,
                )
            value = raw[bound]
            if vtype == "integer" and not is_int(value):
                raise chk.fail("doit être un nombre entier.", *path, bound)
            if vtype in ("decimal", "penalty") and not is_number(value):
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
        if not is_int(raw["max_length"]) or raw["max_length"] < 1:
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
            default = coerce_value(var, raw["default"])
        except ValueError as exc:
            raise chk.fail(f"valeur par défaut invalide : {exc}", *path, "default") from None
        var["default"] = default.isoformat() if isinstance(default, date) else default
    var["required"] = required
    names.add(name)
    return var


def check_list_of_dicts(
    chk: Checker, data: dict, name: str, fields: dict[str, tuple[bool, int]]
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


def check_departures(chk: Checker, data: dict, variant_keys: set[str]) -> list[dict]:
    """Departures: a CCAG-TIC article of the 2021 table, a one-line reason, optionally the
    effect it covers (see DEPARTURE_EFFECTS) and the variants it applies to."""
    raw = data.get("departures")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise chk.fail("doit être une liste.", "departures")
    result = []
    fields = ("article", "text", "effect", "variants")
    for index, item in enumerate(raw):
        path = ("departures", index)
        if not isinstance(item, dict):
            raise chk.fail(
                f"chaque élément doit être un dictionnaire ({', '.join(fields)}).", *path
            )
        unknown = sorted(set(item) - set(fields))
        if unknown:
            raise chk.fail(
                f"champ inconnu « {unknown[0]} » (champs permis : {', '.join(fields)}).",
                *path,
                unknown[0],
            )
        article = chk.text(item, "article", required=True, max_length=60, path=path)
        problem = check_ref(article)
        if problem:
            raise chk.fail(problem, *path, "article")
        text = chk.text(item, "text", required=True, max_length=300, path=path)
        if "\n" in text:
            raise chk.fail("le motif tient en une ligne.", *path, "text")
        entry: dict[str, Any] = {"article": article, "text": text}
        effect = chk.text(item, "effect", required=False, max_length=40, path=path)
        if effect:
            if effect not in DEPARTURE_EFFECTS:
                raise chk.fail(
                    f"effet inconnu « {effect} » (effets permis : {', '.join(DEPARTURE_EFFECTS)}).",
                    *path,
                    "effect",
                )
            ref = parse_ref(article)
            allowed = DEPARTURE_EFFECTS[effect][1]
            if ref is None or not set(ref.numbers) <= set(allowed):
                chapters = sorted({articles()[n].chapter for n in allowed})
                raise chk.fail(
                    f"une dérogation « {effect} » porte sur "
                    + (
                        f"l'article {allowed[0]}"
                        if len(allowed) == 1
                        else f"un article du chapitre {chapters[0]} (art. {allowed[0]} à {allowed[-1]})"
                    )
                    + f" du CCAG-TIC, pas sur « {article} ».",
                    *path,
                    "article",
                )
            entry["effect"] = effect
        variants = item.get("variants")
        if variants is not None:
            if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
                raise chk.fail("doit être une liste de clés de variantes.", *path, "variants")
            for key in variants:
                if key not in variant_keys:
                    raise chk.fail(f"variante « {key} » non déclarée.", *path, "variants")
            if variants:
                entry["variants"] = list(variants)
        result.append(entry)
    return result


def check_body(
    chk: Checker, body: str, first_line: int, names: set[str], variant_keys: set[str]
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
            if inner.startswith(TENDER_PREFIX):
                if inner not in TENDER_PLACEHOLDERS:
                    raise fail(
                        f"valeur du marché inconnue « {inner} » : valeurs permises "
                        f"{', '.join(TENDER_PLACEHOLDERS)}."
                    )
                continue
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
