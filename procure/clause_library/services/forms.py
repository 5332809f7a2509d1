"""The clause edit form: the form's fields for a version, and a validated clause from the form."""

from __future__ import annotations

from typing import Any

import yaml

from procure.clause_library.models import Clause, ClauseVersion
from procure.clause_library.services.clause_format import parse_clause_text
from procure.clause_library.services.clause_review import review_clause
from procure.clause_library.services.clause_spec import ClauseFormatError, ClauseSpec
from procure.clause_library.services.vocabulary import FORM_FIELDS, STRUCTURED_FIELDS
from procure.clause_library.services.yaml_bounds import YamlAliasError, refuse_aliases
from procure.core.errors import ValidationError


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
    are true), variables / variants / references / departures (YAML lists), body.
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
    """The edit form's fields for a version (YAML for the structured fields)."""
    if version is None or clause is None:
        empty: dict[str, Any] = {name: "" for name in FORM_FIELDS}
        return {**empty, "piece": "CCAP", "covers": [], "conditions": []}

    def dump(value: Any) -> str:
        return (
            yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=100_000)
            if value
            else ""
        )

    return {
        "family": clause.family,
        "name": clause.key.split(".", 1)[1],
        "title": version.title,
        "piece": version.piece,
        "summary": version.summary,
        "covers": list(version.covers),
        "conditions": [c for c, v in version.conditions.items() if v],
        **{name: dump(getattr(version, name)) for name in STRUCTURED_FIELDS},
        "body": version.body,
    }
