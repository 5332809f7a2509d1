"""Clause files: parse and validate. Pure: no DB, no Flask.

A clause file is YAML front matter between two `---` lines, then a French body (see
docs/clause-format.md). Placeholders `{{ name }}` are replaced by regex substitution of declared
identifiers only; the body is never given to a template engine, and anything that looks like
template code is refused at parse time, so a clause text can never run anything.
"""

from __future__ import annotations

from pathlib import PurePath

import yaml

from procure.clause_library.services.ccag import OBSOLETE_RE, check_ref
from procure.clause_library.services.clause_checks import (
    Checker,
    Locator,
    check_body,
    check_departures,
    check_list_of_dicts,
    check_variable,
    find_duplicate_keys,
)
from procure.clause_library.services.clause_spec import ClauseFormatError, ClauseSpec
from procure.clause_library.services.vocabulary import (
    CONDITIONS,
    COVERS,
    FAMILIES,
    HEADER_FIELDS,
    KEY_RE,
    PIECES,
    REQUIRED_FIELDS,
    VARIANT_KEY_RE,
)
from procure.clause_library.services.yaml_bounds import YamlAliasError, refuse_aliases

MAX_FILE_CHARS = 200_000
# libyaml's safe loader when built in (same rules, about 10 times faster), else PyYAML's.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def is_ccag_source(source: str) -> bool:
    return "CCAG" in (source or "").upper()


def _obsolete(note: str) -> str | None:
    if OBSOLETE_RE.search(note or ""):
        return (
            "la note cite le CCAG-TIC de 2009 (chapitre 5 ou options A et B) : en 2021, "
            "l'utilisation des résultats est le chapitre 7 (art. 43 à 46), à régime unique."
        )
    return None


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
        refuse_aliases(front)
        root = yaml.compose(front, Loader=_YAML_LOADER)
        data = yaml.load(front, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
    except YamlAliasError as exc:
        raise ClauseFormatError(str(exc), file=filename, line=exc.line + 1) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ClauseFormatError(
            f"YAML invalide : {problem}.", file=filename, line=mark.line + 2 if mark else 2
        ) from None
    locator = Locator(root, 2)
    chk = Checker(filename, locator)
    if not isinstance(data, dict):
        raise ClauseFormatError(
            "l'en-tête YAML doit être un dictionnaire de champs (key, family, title...).",
            file=filename,
            line=2,
        )
    duplicate = find_duplicate_keys(root)
    if duplicate is not None:
        raise ClauseFormatError(
            f"le champ « {duplicate.value} » apparaît deux fois.",
            file=filename,
            line=duplicate.start_mark.line + 2,
            field=str(duplicate.value),
        )
    unknown = [k for k in data if k not in HEADER_FIELDS]
    if unknown:
        raise chk.fail(
            f"champ inconnu (champs permis : {', '.join(HEADER_FIELDS)}).", str(unknown[0])
        )
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
    variables = [check_variable(chk, i, raw, names) for i, raw in enumerate(raw_variables)]

    variants = check_list_of_dicts(chk, data, "variants", {"key": (True, 60), "label": (True, 200)})
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
    references = check_list_of_dicts(
        chk,
        data,
        "references",
        {"source": (True, 200), "article": (False, 200), "note": (False, 1000)},
    )
    for index, ref in enumerate(references):
        if is_ccag_source(ref["source"]):
            problem = (check_ref(ref["article"]) if ref["article"] else None) or _obsolete(
                ref["note"]
            )
            if problem:
                raise chk.fail(problem, "references", index, "article")
    departures = check_departures(chk, data, seen)
    depends = check_list_of_dicts(
        chk, data, "depends", {"subject": (True, 60), "note": (False, 300)}
    )
    for index, dep in enumerate(depends):
        if dep["subject"] not in COVERS:
            raise chk.fail(
                f"sujet inconnu « {dep['subject']} » (voir le vocabulaire de docs/clause-format.md).",
                "depends",
                index,
                "subject",
            )
        if dep["subject"] in covers:
            raise chk.fail(
                f"la clause couvre déjà « {dep['subject']} » : elle ne peut pas en dépendre.",
                "depends",
                index,
                "subject",
            )

    body = check_body(chk, body, body_line, names, seen)
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
        depends=depends,
        body=body,
    )
