"""The clause edit form: the form's fields for a version, and a validated clause from the form.

The structured fields (variables, variants, references, departures, dependencies) are repeated
groups of plain fields, one row per item, posted as `<group>-<n>-<field>` (for example
`variables-0-label`); `rows_from_fields` reads them back. A YAML text per group is still read
for scripts that post the file format."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

import yaml

from procure.clause_library.models import Clause, ClauseVersion
from procure.clause_library.services.clause_format import parse_clause_text
from procure.clause_library.services.clause_review import review_clause
from procure.clause_library.services.clause_spec import ClauseFormatError, ClauseSpec
from procure.clause_library.services.vocabulary import (
    FORM_FIELDS,
    STRUCTURED_FIELDS,
    VARIABLE_FIELDS,
)
from procure.clause_library.services.yaml_bounds import YamlAliasError, refuse_aliases
from procure.core.errors import ValidationError
from procure.core.formatting import format_number, parse_number

# The fields of each repeated group, in the order the form shows them.
ROW_FIELDS: dict[str, tuple[str, ...]] = {
    "variables": VARIABLE_FIELDS,
    "variants": ("key", "label"),
    "references": ("source", "article", "note"),
    "departures": ("article", "effect", "variants", "text"),
    "depends": ("subject", "note"),
}
# How the form names an item and its fields, for error messages and labels (French).
ROW_NOUNS = {
    "variables": "Variable",
    "variants": "Variante",
    "references": "Référence",
    "departures": "Dérogation",
    "depends": "Dépendance",
}
FIELD_LABELS: dict[str, dict[str, str]] = {
    "variables": {
        "name": "Identifiant",
        "label": "Libellé",
        "type": "Type",
        "default": "Valeur par défaut",
        "min": "Minimum",
        "max": "Maximum",
        "max_length": "Longueur maximale",
        "choices": "Choix (séparés par « ; »)",
        "required": "Obligatoire",
    },
    "variants": {"key": "Clé", "label": "Libellé"},
    "references": {"source": "Source", "article": "Article", "note": "Note"},
    "departures": {
        "article": "Article du CCAG-TIC",
        "effect": "Effet",
        "variants": "Variantes concernées (clés séparées par des virgules)",
        "text": "Motif",
    },
    "depends": {"subject": "Sujet", "note": "Note"},
}
MAX_ROWS = 60  # per group: far above any clause of the library (the most has 12 variables)
MAX_CELL = 2000  # characters per field of a row
BLANK_ROWS = 2  # empty rows offered after the filled ones (what "Ajouter" does without JS)
_ROW_KEY_RE = re.compile(r"^([a-z]+)-(\d{1,3})-([a-z_]+)$")


def blank_row(group: str) -> dict[str, str]:
    return dict.fromkeys(ROW_FIELDS[group], "")


def rows_from_fields(fields: Mapping[str, str]) -> dict[str, list[dict[str, str]]]:
    """The repeated groups posted as `<group>-<n>-<field>`: {group: [row, ...]} in row order,
    only for the groups present; blank rows and rows ticked "remove" are dropped."""
    found: dict[str, dict[int, dict[str, str]]] = {}
    for key, value in fields.items():
        m = _ROW_KEY_RE.match(key)
        if not m or m.group(1) not in ROW_FIELDS:
            continue
        group, index, name = m.group(1), int(m.group(2)), m.group(3)
        if name not in (*ROW_FIELDS[group], "remove", "present") or index >= MAX_ROWS:
            continue
        found.setdefault(group, {}).setdefault(index, {})[name] = str(value or "")[:MAX_CELL]
    out: dict[str, list[dict[str, str]]] = {}
    for group, rows in found.items():
        kept = []
        for _index, row in sorted(rows.items()):
            if row.get("remove"):
                continue
            cells = {f: row.get(f, "").strip() for f in ROW_FIELDS[group]}
            if group == "variables":
                cells["required"] = "1" if cells["required"] else ""
                if not any(v for f, v in cells.items() if f not in ("type", "required")):
                    continue  # a blank row (its type select always has a value)
            elif not any(cells.values()):
                continue
            kept.append(cells)
        out[group] = kept
    return out


def _split(text: str, sep: str) -> list[str]:
    return [part.strip() for part in text.split(sep) if part.strip()]


def _bound(text: str, *, integer: bool) -> Any:
    """A number typed in French; the text itself when it is not one (the parser says why)."""
    try:
        return parse_number(text, integer=integer)
    except ValueError:
        return text


def _item_from_row(group: str, row: dict[str, str]) -> dict[str, Any]:
    """A row of the form as the file format's item (the parser then checks it)."""
    item: dict[str, Any] = {}
    for name in ROW_FIELDS[group]:
        value = row.get(name, "")
        if group == "variables" and name == "required":
            item["required"] = bool(value)
            continue
        if not value:
            continue
        if group == "variables" and name in ("min", "max", "max_length"):
            item[name] = _bound(value, integer=name == "max_length" or row["type"] == "integer")
        elif group == "variables" and (
            name == "choices" or (name == "default" and row.get("type") == "list")
        ):
            item[name] = _split(value, ";")
        elif group == "departures" and name == "variants":
            item[name] = _split(value, ",")
        else:
            item[name] = value
    return item


def _cell(value: Any, vtype: str = "") -> str:
    """A stored value as the form shows it (French numbers, dates JJ/MM/AAAA, lists with ;)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, list | tuple):
        return " ; ".join(str(v) for v in value)
    if vtype == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return str(value)


def rows_of(group: str, items: list[dict]) -> list[dict[str, str]]:
    """A version's items of `group` as the form's rows."""
    rows = []
    for item in items:
        row = blank_row(group)
        for name in ROW_FIELDS[group]:
            if group == "variables" and name == "required":
                row[name] = "1" if item.get("required") else ""
            elif group == "departures" and name == "variants":
                row[name] = ", ".join(item.get("variants") or [])
            else:
                row[name] = _cell(item.get(name), item.get("type", ""))
        rows.append(row)
    return rows


def row_error(group: str, index: int, name: str, detail: str) -> str:
    """A message naming the row and the field, in French."""
    label = FIELD_LABELS[group].get(name, name)
    return f"{ROW_NOUNS[group]} {index + 1}, champ « {label} » : {detail}"


def _form_list(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v).strip()]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def _yaml_field(form: dict, name: str, errors: dict[str, str]) -> Any:
    text = (form.get(name) or "").strip()
    if not text:
        return None
    try:
        refuse_aliases(text)
        return yaml.safe_load(text)
    except YamlAliasError as exc:
        errors[name] = f"YAML refusé (ligne {exc.line} de ce champ) : {exc}"
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (ligne {mark.line + 1} de ce champ)" if mark else ""
        errors[name] = f"YAML invalide{where} : {getattr(exc, 'problem', None) or exc}."
        return None


def spec_from_form(form: dict) -> ClauseSpec:
    """Build and validate a clause from the edit form, through the same parser as the files.

    `form`: name, family, title, piece, summary, covers (list), conditions (list of names that
    are true), variables / variants / references / departures / depends (each a list of the
    form's rows, see `rows_from_fields`, or a YAML text), body.
    """
    errors: dict[str, str] = {}
    family = (form.get("family") or "").strip()
    name = (form.get("name") or "").strip()
    data: dict[str, Any] = {
        "key": f"{family}.{name}",
        "family": family,
        "title": form.get("title", ""),
        "piece": form.get("piece", ""),
        "summary": form.get("summary", ""),
    }
    if not name:
        errors["name"] = (
            "Nom obligatoire (minuscules, chiffres et tirets, par exemple plan-de-sortie)."
        )
    data["covers"] = _form_list(form.get("covers"))
    data["conditions"] = {c: True for c in _form_list(form.get("conditions"))}
    for structured in STRUCTURED_FIELDS:
        raw = form.get(structured)
        if isinstance(raw, list):  # the form's rows
            if raw:
                data[structured] = [_item_from_row(structured, row) for row in raw]
            continue
        value = _yaml_field(form, structured, errors)
        if value is not None:
            data[structured] = value
    if errors:
        raise ValidationError(
            "La clause n'a pas été enregistrée : corrigez les champs signalés.", fields=errors
        )
    header = yaml.safe_dump(
        {k: v for k, v in data.items() if v not in ("", [], {})},
        allow_unicode=True,
        sort_keys=False,
        width=100_000,
    )
    body = (form.get("body") or "").replace("\r\n", "\n")
    text = f"---\n{header}---\n{body}\n"
    try:
        spec = parse_clause_text(text, filename=f"{family}/{name}.md")
        # The reviewer's checks apply to the form as to the files (docs/checklist-juriste.md).
        findings = review_clause(spec, text, filename=f"{family}/{name}.md")
        if findings:
            raise findings[0]
        return spec
    except ClauseFormatError as exc:
        path = (exc.field or "").split(".")
        field_name = {"corps": "body", "key": "name"}.get(path[0], path[0]) or "body"
        if field_name not in FORM_FIELDS:
            field_name = "body"
        detail = exc.message
        if field_name == "body" and exc.line:
            detail = f"ligne {exc.line - header.count(chr(10)) - 2} du texte : {detail}"
        elif (
            len(path) > 1
            and path[1].isdigit()
            and isinstance(form.get(field_name), list)
            and field_name in ROW_FIELDS
        ):
            index = int(path[1])
            name = path[2] if len(path) > 2 else ROW_FIELDS[field_name][0]
            message = row_error(field_name, index, name, detail)
            raise ValidationError(
                "La clause n'a pas été enregistrée : corrigez les champs signalés.",
                fields={field_name: message, f"{field_name}-{index}-{name}": message},
            ) from None
        elif len(path) > 1:
            detail = (
                f"élément {int(path[1]) + 1}"
                + (f", « {path[2]} »" if len(path) > 2 else "")
                + f" : {detail}"
                if path[1].isdigit()
                else f"« {path[1]} » : {detail}"
            )
        raise ValidationError(
            "La clause n'a pas été enregistrée : corrigez les champs signalés.",
            fields={field_name: detail},
        ) from None


def form_of(clause: Clause | None, version: ClauseVersion | None) -> dict:
    """The edit form's fields for a version (rows for the structured fields)."""
    if version is None or clause is None:
        empty: dict[str, Any] = {name: "" for name in FORM_FIELDS}
        rows: dict[str, Any] = {name: [] for name in STRUCTURED_FIELDS}
        return {**empty, **rows, "piece": "CCAP", "covers": [], "conditions": []}

    return {
        "family": clause.family,
        "name": clause.key.split(".", 1)[1],
        "title": version.title,
        "piece": version.piece,
        "summary": version.summary,
        "covers": list(version.covers),
        "conditions": [c for c, v in version.conditions.items() if v],
        **{name: rows_of(name, getattr(version, name) or []) for name in STRUCTURED_FIELDS},
        "body": version.body,
    }
