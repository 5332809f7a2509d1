"""A tender's fields: parsing form strings or JSON values into clean values, and back."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from procure.core.formatting import (
    NumberError,
    format_number,
    parse_number,
    parse_optional_number,
)
from procure.tenders.models import Tender
from procure.tenders.services.choices import (
    BUYER_KINDS,
    CRITERION_KINDS,
    MAX_CRITERIA,
    MAX_SUB_CRITERIA,
    METHODS,
    PROCEDURES,
    REFERENCE_RE,
    SUB_METRICS,
    procedure_code,
)

PROFILE_FLAGS = (
    "ai_high_risk",
    "personal_data",
    "sensitive_data",
    "interacts_with_people",
    "health_data",
    "particularly_sensitive_data",
    "defence_or_security",
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


def _percent(raw: Any, errors: dict, field_name: str, message: str) -> float:
    """A share typed in French, above 0 and at most 100; 0.0 and the field's message otherwise."""
    try:
        value = parse_number(raw)
        if value <= 0 or value > 100:
            raise ValueError
    except ValueError:  # NumberError included
        errors[field_name] = message
        return 0.0
    return value


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


def parse_sub_criteria(raw: Any, i: int, errors: dict) -> list[dict]:
    """A criterion's sub-criteria: [{name, weight (% of the criterion), metric, method}].

    Their shares must total 100 % of the criterion: the RC publishes the split and the
    evaluation scores with it, so a split that does not add up is refused here."""
    if raw in (None, "", []):
        return []
    if not isinstance(raw, list):
        errors[f"criteria-{i}-sub"] = f"Critère {i} : sous-critères attendus en liste."
        return []
    out: list[dict] = []
    for j, sub in enumerate(raw, start=1):
        where = f"Critère {i}, sous-critère {j}"
        if not isinstance(sub, dict):
            errors[f"criteria-{i}-sub-{j}"] = f"{where} : objet attendu."
            continue
        name = str(sub.get("name") or "").strip()
        weight_raw = sub.get("weight")
        if not name and weight_raw in (None, ""):
            continue
        if not name or len(name) > 200:
            errors[f"criteria-{i}-sub-{j}-name"] = (
                f"{where} : nom obligatoire (200 caractères au plus)."
            )
        metric = str(sub.get("metric") or "").strip()
        if metric not in SUB_METRICS:
            errors[f"criteria-{i}-sub-{j}-metric"] = (
                f"{where} : mesure « {metric} » inconnue ({', '.join(k for k in SUB_METRICS if k)}, "
                "ou vide pour une appréciation au vu du mémoire technique)."
            )
        method = str(sub.get("method") or "").strip()
        if method and method not in METHODS:
            errors[f"criteria-{i}-sub-{j}-method"] = (
                f"{where} : méthode « {method} » inconnue ({', '.join(METHODS)})."
            )
        weight = _percent(
            weight_raw,
            errors,
            f"criteria-{i}-sub-{j}-weight",
            f"{where} : part du critère entre 0 et 100 % attendue (reçu « {weight_raw} »).",
        )
        entry = {
            "name": name,
            "weight": int(weight) if float(weight).is_integer() else weight,
            "metric": metric,
        }
        if metric == "kgco2e_per_year" and method:
            entry["method"] = method
        out.append(entry)
    if len(out) > MAX_SUB_CRITERIA:
        errors[f"criteria-{i}-sub"] = f"Critère {i} : {MAX_SUB_CRITERIA} sous-critères au plus."
    total = sum(float(sub["weight"]) for sub in out)
    if out and abs(total - 100) > 1e-9 and not any(f"criteria-{i}-sub-" in k for k in errors):
        errors[f"criteria-{i}-sub"] = (
            f"Critère {i} : les parts des sous-critères totalisent {format_number(total)} % au "
            "lieu de 100 %."
        )
    return out


def parse_criteria(raw: list[dict], errors: dict, *, unweighted_ok: bool = False) -> list[dict]:
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
        weight: float | None
        if unweighted_ok and weight_raw in (None, ""):
            weight = None  # a MAPA may announce criteria without weights
        else:
            weight = _percent(
                weight_raw,
                errors,
                f"criteria-{i}-weight",
                f"Critère {i} : pondération entre 0 et 100 attendue (reçu « {weight_raw} »).",
            )
        if not method:
            method = {"price": "proportionnelle", "environment": "proportionnelle"}.get(
                kind, "bareme"
            )
        if weight is not None and float(weight).is_integer():
            weight = int(weight)
        note_max = _int_or_none(
            row.get("max_score"),
            f"criteria-{i}-max_score",
            f"Critère {i}, note maximale",
            errors,
            low=1,
        )
        entry = {
            "name": name,
            "kind": kind,
            "weight": weight,
            "method": method,
            "max_score": min(note_max or 20, 1000),
            "sub_criteria": parse_sub_criteria(row.get("sub_criteria"), i, errors),
        }
        subs: list[dict] = entry["sub_criteria"]  # type: ignore[assignment]
        if method == "logarithmique" or any(sub.get("method") == "logarithmique" for sub in subs):
            cap = _int_or_none(
                row.get("cap"),
                f"criteria-{i}-cap",
                f"Critère {i}, plafond de rapport",
                errors,
                low=2,
            )
            entry["cap"] = min(cap or 1000, 1_000_000)
        out.append(entry)
    if len(out) > MAX_CRITERIA:
        errors["criteria"] = f"{MAX_CRITERIA} critères au plus."
    return out


def _date_or_none(value: Any, errors: dict) -> date | None:
    """The launch date: ISO (2026-09-15) or French (15/09/2026)."""
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    text = str(value).strip()
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    try:
        if match:
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        return date.fromisoformat(text)
    except ValueError:
        errors["launch_date"] = (
            f"Date de lancement : « {text[:40]} » n'est pas une date (JJ/MM/AAAA ou AAAA-MM-JJ)."
        )
        return None


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
    given = str(data.get("procedure") or "").strip()
    procedure = procedure_code(given)
    if procedure is None:
        errors["procedure"] = (
            f"Procédure « {given} » inconnue : donnez un code ou un intitulé de la liste ("
            + " ; ".join(f"{code} : {label}" for code, label in PROCEDURES.items())
            + ")."
        )
    clean["procedure"] = procedure or given
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
    for flag in PROFILE_FLAGS:
        clean[flag] = _flag(data.get(flag))
    clean["hosting"] = str(data.get("hosting") or "").strip()[:200]
    kind = str(data.get("buyer_kind") or "autre").strip()
    if kind not in BUYER_KINDS:
        errors["buyer_kind"] = (
            f"Nature de l'acheteur « {kind} » inconnue ({', '.join(BUYER_KINDS)})."
        )
    clean["buyer_kind"] = kind if kind in BUYER_KINDS else "autre"
    clean["launch_date"] = _date_or_none(data.get("launch_date"), errors)
    for name, label in (
        ("lots_reason", "Motifs du non-allotissement"),
        ("hosting_security_reason", "Motif de sécurité publique de l'hébergement en France"),
    ):
        text = str(data.get(name) or "").strip()
        if len(text) > 2000:
            errors[name] = f"{label} : 2 000 caractères au plus."
        clean[name] = text[:2000]
    clean["award_criteria"] = parse_criteria(
        data.get("award_criteria") or [], errors, unweighted_ok=clean["procedure"] == "mapa"
    )
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
            "buyer_kind",
            "launch_date",
            "lots_reason",
            "hosting_security_reason",
        )
    }
    cpv = list(form.getlist("cpv_pick")) + [form.get("cpv", "")]
    data["cpv"] = " ".join(c for c in cpv if c)
    for flag in PROFILE_FLAGS:
        data[flag] = form.get(flag, "")
    data["award_criteria"] = [
        {
            "name": form.get(f"crit-{i}-name", ""),
            "kind": form.get(f"crit-{i}-kind", "other"),
            "weight": form.get(f"crit-{i}-weight", ""),
            "method": form.get(f"crit-{i}-method", ""),
            "max_score": form.get(f"crit-{i}-max_score", ""),
            "cap": form.get(f"crit-{i}-cap", ""),
            "sub_criteria": [
                {
                    "name": form.get(f"crit-{i}-sub-{j}-name", ""),
                    "weight": form.get(f"crit-{i}-sub-{j}-weight", ""),
                    "metric": form.get(f"crit-{i}-sub-{j}-metric", ""),
                    "method": form.get(f"crit-{i}-sub-{j}-method", ""),
                }
                for j in range(1, MAX_SUB_CRITERIA + 1)
            ],
        }
        for i in range(1, MAX_CRITERIA + 1)
    ]
    return data


# The split the RC publishes by default for the environmental criterion: a measured part and a
# part the evaluators assess from the technical proposal.
DEFAULT_ENVIRONMENT_SUBS: list[dict] = [
    {
        "name": "Empreinte par unité fonctionnelle",
        "weight": 70,
        "metric": "kgco2e_per_year",
    },
    {
        "name": "Qualité et vérifiabilité de la démarche environnementale",
        "weight": 30,
        "metric": "",
    },
]


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
                    "max_score": 20,
                    "cap": 1000,
                    "sub_criteria": DEFAULT_ENVIRONMENT_SUBS,
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
        "interacts_with_people": tender.interacts_with_people,
        "health_data": tender.health_data,
        "particularly_sensitive_data": tender.particularly_sensitive_data,
        "defence_or_security": tender.defence_or_security,
        "buyer_kind": tender.buyer_kind,
        "launch_date": tender.launch_date.isoformat() if tender.launch_date else "",
        "lots_reason": tender.lots_reason,
        "hosting_security_reason": tender.hosting_security_reason,
        "award_criteria": [_criterion_form(c) for c in tender.award_criteria],
        "requests_per_year": format_number(tender.requests_per_year, empty=""),
        "tokens_per_request": format_number(tender.tokens_per_request, empty=""),
    }


NUMERIC_CRITERION_FIELDS = ("weight", "max_score", "cap")


def _criterion_form(criterion: dict) -> dict:
    """A stored criterion with its numbers written in French for the form ("12,5", "1 000")."""

    def french(item: dict) -> dict:
        return {
            k: format_number(v) if k in NUMERIC_CRITERION_FIELDS and _is_number(v) else v
            for k, v in item.items()
        }

    shown = french(criterion)
    if criterion.get("sub_criteria"):
        shown["sub_criteria"] = [french(s) for s in criterion["sub_criteria"]]
    return shown


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
