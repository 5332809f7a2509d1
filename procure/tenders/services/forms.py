"""A tender's fields: parsing form strings or JSON values into clean values, and back."""

from __future__ import annotations

import re
from typing import Any

from procure.core.formatting import (
    NumberError,
    format_number,
    parse_number,
    parse_optional_number,
)
from procure.tenders.models import Tender
from procure.tenders.services.choices import (
    CRITERION_KINDS,
    MAX_CRITERIA,
    METHODS,
    PROCEDURES,
    REFERENCE_RE,
)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "on", "oui", "true", "vrai", "yes")
    return bool(value)


def _int_or_none(
    value: Any, field_name: str, label: str, errors: dict, *, low: int = 0
) -> int | None:
    """An optional whole number typed in French ("1 200 000", any kind of space), at least `low`."""
    try:
        number = parse_optional_number(value, integer=True)
    except NumberError as exc:
        errors[field_name] = f"{label} : {exc}"
        return None
    if number is None:
        return None
    if number < low:
        errors[field_name] = f"{label} : doit être supérieur ou égal à {low}."
        return None
    return int(number)


def parse_cpv(raw: Any, errors: dict) -> list[str]:
    from sourcing.cpv import normalise_cpv

    items = raw if isinstance(raw, list) else re.split(r"[\s,;]+", str(raw or ""))
    codes: list[str] = []
    bad: list[str] = []
    for item in items:
        item = str(item).strip()
        if not item:
            continue
        code = normalise_cpv(item)
        if code is None:
            bad.append(item)
        elif code not in codes:
            codes.append(code)
    if bad:
        errors["cpv"] = (
            f"Code CPV inconnu : {', '.join(bad)} (8 chiffres et chiffre de contrôle, ex. 72000000-5)."
        )
    return codes


def parse_criteria(raw: list[dict], errors: dict) -> list[dict]:
    """Award criteria rows (empty rows ignored) -> [{name, kind, weight, method, max_score, sub_criteria}]."""
    out: list[dict] = []
    if not isinstance(raw, list | tuple):  # found by fuzzing: "award_criteria": true crashed
        errors["criteria"] = "Critères d'attribution : une liste de critères est attendue."
        return out
    for i, row in enumerate(raw, start=1):
        if not isinstance(row, dict):
            errors[f"criteria-{i}"] = f"Critère {i} : objet attendu."
            continue
        name = str(row.get("name") or "").strip()
        weight_raw = row.get("weight")
        if not name and weight_raw in (None, ""):
            continue
        kind = str(row.get("kind") or "other").strip()
        method = str(row.get("method") or "").strip()
        if not name:
            errors[f"criteria-{i}-name"] = f"Critère {i} : nom obligatoire."
        if len(name) > 200:
            errors[f"criteria-{i}-name"] = f"Critère {i} : nom trop long (200 caractères au plus)."
        if kind not in CRITERION_KINDS:
            errors[f"criteria-{i}-kind"] = (
                f"Critère {i} : nature « {kind} » inconnue ({', '.join(CRITERION_KINDS)})."
            )
        if method and method not in METHODS:
            errors[f"criteria-{i}-method"] = (
                f"Critère {i} : méthode « {method} » inconnue ({', '.join(METHODS)})."
            )
        try:
            weight = parse_number(weight_raw)
            if weight <= 0 or weight > 100:
                raise ValueError
        except ValueError:  # NumberError included
            errors[f"criteria-{i}-weight"] = (
                f"Critère {i} : pondération entre 0 et 100 attendue (reçu « {weight_raw} »)."
            )
            weight = 0.0
        if not method:
            method = {"price": "proportionnelle", "environment": "proportionnelle"}.get(
                kind, "bareme"
            )
        weight = int(weight) if float(weight).is_integer() else weight
        max_score = row.get("max_score") or 20
        if isinstance(max_score, bool) or not isinstance(max_score, int) or max_score <= 0:
            try:  # found by fuzzing: "max_score": "abc" or [] crashed
                max_score = int(parse_number(max_score, integer=True))
                if max_score <= 0:
                    raise ValueError
            except ValueError:
                errors[f"criteria-{i}-max_score"] = f"Critère {i} : note maximale entière attendue."
                max_score = 20
        sub_criteria = row.get("sub_criteria") or []
        if not isinstance(sub_criteria, list):
            errors[f"criteria-{i}-sub_criteria"] = f"Critère {i} : sous-critères en liste attendus."
            sub_criteria = []
        out.append(
            {
                "name": name,
                "kind": kind,
                "weight": weight,
                "method": method,
                "max_score": max_score,
                "sub_criteria": sub_criteria,
            }
        )
    if len(out) > MAX_CRITERIA:
        errors["criteria"] = f"{MAX_CRITERIA} critères au plus."
    return out


def parse_lots(raw: Any, errors: dict) -> list[dict]:
    if isinstance(raw, list):
        lines = [str(x.get("title") if isinstance(x, dict) else x) for x in raw]
    else:
        lines = str(raw or "").splitlines()
    lots = [
        {"number": i, "title": line.strip()[:300]}
        for i, line in enumerate((ln for ln in lines if ln.strip()), start=1)
    ]
    return lots


def parse_tender_data(data: dict) -> tuple[dict, dict[str, str]]:
    """Validate the tender's fields (form strings or JSON values); return (clean, errors)."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, label, limit in (
        ("title", "Intitulé", 300),
        ("buyer", "Acheteur (organisation)", 200),
    ):
        value = str(data.get(name) or "").strip()
        if not value:
            errors[name] = f"{label} : champ obligatoire."
        elif len(value) > limit:
            errors[name] = f"{label} : {limit} caractères au plus."
        clean[name] = value
    reference = str(data.get("reference") or "").strip()
    if reference and not REFERENCE_RE.match(reference):
        errors["reference"] = (
            "Référence : 3 à 60 caractères, lettres sans accent, chiffres, « - », « _ », "
            "« . » ou « / »."
        )
    clean["reference"] = reference
    procedure = str(data.get("procedure") or "").strip()
    if procedure not in PROCEDURES:
        errors["procedure"] = (
            f"Procédure : choisissez une procédure de la liste ({', '.join(PROCEDURES)})."
        )
    clean["procedure"] = procedure
    clean["cpv_codes"] = parse_cpv(data.get("cpv"), errors)
    amount = data.get("amount")
    if amount in (None, ""):
        clean["amount"] = None
    else:
        try:
            clean["amount"] = float(parse_number(amount, unit="€"))
            if clean["amount"] < 0:
                raise ValueError
        except ValueError:  # NumberError included
            errors["amount"] = (
                f"Montant estimé : « {amount} » n'est pas un montant positif en euros HT."
            )
            clean["amount"] = None
    clean["lots"] = parse_lots(data.get("lots"), errors)
    for flag in ("ai_high_risk", "personal_data", "sensitive_data"):
        clean[flag] = _flag(data.get(flag))
    clean["hosting"] = str(data.get("hosting") or "").strip()[:200]
    clean["award_criteria"] = parse_criteria(data.get("award_criteria") or [], errors)
    clean["requests_per_year"] = _int_or_none(
        data.get("requests_per_year"), "requests_per_year", "Requêtes par an", errors, low=1
    )
    clean["tokens_per_request"] = _int_or_none(
        data.get("tokens_per_request"), "tokens_per_request", "Jetons par requête", errors, low=1
    )
    return clean, errors


def form_to_data(form) -> dict:
    """A tender form (werkzeug MultiDict-like) -> the dict parse_tender_data reads."""
    data = {
        k: form.get(k, "")
        for k in (
            "reference",
            "title",
            "buyer",
            "procedure",
            "amount",
            "lots",
            "hosting",
            "requests_per_year",
            "tokens_per_request",
        )
    }
    cpv = list(form.getlist("cpv_pick")) + [form.get("cpv", "")]
    data["cpv"] = " ".join(c for c in cpv if c)
    for flag in ("ai_high_risk", "personal_data", "sensitive_data"):
        data[flag] = form.get(flag, "")
    data["award_criteria"] = [
        {
            "name": form.get(f"crit-{i}-name", ""),
            "kind": form.get(f"crit-{i}-kind", "other"),
            "weight": form.get(f"crit-{i}-weight", ""),
            "method": form.get(f"crit-{i}-method", ""),
        }
        for i in range(1, MAX_CRITERIA + 1)
    ]
    return data


def tender_form(tender: Tender | None) -> dict:
    """Form values for editing (the inverse of form_to_data)."""
    if tender is None:
        return {
            "procedure": "aoo",
            "cpv": "",
            "award_criteria": [
                {"name": "Prix", "kind": "price", "weight": 40, "method": "proportionnelle"},
                {"name": "Valeur technique", "kind": "technical", "weight": 45, "method": "bareme"},
                {
                    "name": "Performance environnementale",
                    "kind": "environment",
                    "weight": 15,
                    "method": "logarithmique",
                },
            ],
        }
    return {
        "reference": tender.reference,
        "title": tender.title,
        "buyer": tender.buyer,
        "procedure": tender.procedure,
        "cpv": " ".join(tender.cpv_codes),
        "amount": "" if tender.amount is None else format_number(tender.amount),
        "lots": "\n".join(lot["title"] for lot in tender.lots),
        "hosting": tender.hosting,
        "ai_high_risk": tender.ai_high_risk,
        "personal_data": tender.personal_data,
        "sensitive_data": tender.sensitive_data,
        "award_criteria": tender.award_criteria,
        "requests_per_year": tender.requests_per_year or "",
        "tokens_per_request": tender.tokens_per_request or "",
    }
