"""Variable values: typed or typed-in values checked against a clause's variables, and shown
in French. Numbers are read and written by procure.core.formatting, like everywhere else."""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from procure.core.formatting import format_number, french_list, parse_number

ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FR_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
TRUE_WORDS = {"oui", "true", "vrai", "1", "on", "yes", "o"}
FALSE_WORDS = {"non", "false", "faux", "0", "off", "no", "n"}


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not (isinstance(value, float) and not math.isfinite(value))
    )


def _coerce_number(value: Any, *, integer: bool) -> int | float:
    """A number typed in French ("1 234,5", any kind of space) or already typed; NumberError
    (a ValueError) in French otherwise. A decimal variable's value is always a float."""
    if isinstance(value, bool):  # YAML `true` is not a number
        raise ValueError(f"« {value} » n'est pas un nombre{' entier' if integer else ''}.")
    number = parse_number(value, integer=integer)
    return number if integer else float(number)


def coerce_value(var: dict, value: Any) -> Any:
    """Convert one value (typed, or a string from a form) to the variable's type; ValueError in French."""
    vtype = var["type"]
    if vtype in ("integer", "decimal", "penalty"):
        value = _coerce_number(value, integer=vtype == "integer")
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
        given = str(value).strip().lower() if not isinstance(value, dict | list) else None
        choices = var.get("choices") or []
        match = next((c for c in choices if c.lower() == given), None)
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
    if vtype in ("integer", "decimal", "penalty"):
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


def is_empty(value: Any) -> bool:
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
        if is_empty(raw):
            clean[name] = [] if var["type"] == "list" else None
            if var.get("required"):
                errors[name] = f"{var['label']} : valeur obligatoire."
            continue
        try:
            clean[name] = coerce_value(var, raw)
        except ValueError as exc:
            errors[name] = f"{var['label']} : {exc}"
            continue
        if var["type"] == "list" and not clean[name] and var.get("required"):
            errors[name] = f"{var['label']} : valeur obligatoire."
    return clean, errors


def _format_value(var: dict, value: Any) -> str:
    vtype = var.get("type")
    if isinstance(value, bool):
        return "oui" if value else "non"
    if vtype in ("integer", "decimal", "penalty") and is_number(value):
        return format_number(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, list | tuple):
        return french_list([_format_value({}, v) for v in value])
    return str(value)


def format_value(var: dict, value: Any) -> str:
    """A value as French text ("1 234,5" with a narrow no-break space, "31/01/2026", "oui" or
    "non", "a, b et c"); strings are coerced first."""
    if is_empty(value):
        return f"[à compléter : {var.get('label') or var.get('name')}]"
    if isinstance(value, str) and var.get("type") in (
        "integer",
        "decimal",
        "penalty",
        "date",
        "boolean",
        "list",
    ):
        try:
            value = coerce_value(var, value)
        except ValueError:
            return value
    return _format_value(var, value)
