"""Footprints in human units: one rule per quantity, French decimals, the unit in every cell.

Each quantity picks its unit by magnitude with one rule applied everywhere (the offer page, the
comparison table, the analysis report): energy in Wh, kWh or MWh; emissions in gCO2e, kgCO2e or
tCO2e; water in L or m³; parameter counts in millions or milliards.
"""

from __future__ import annotations

import math
import re
from typing import Any

from procure.core.formatting import format_number
from procure.evaluation import footprint as fp

SHORT_LABELS = {
    "model_total_parameters": "Paramètres du modèle (total)",
    "model_active_parameters": "Paramètres actifs par jeton",
    "quantization_bits": "Précision des poids",
    "gpu_model": "Modèle de GPU",
    "gpu_count": "Nombre de GPU",
    "server_power_kw": "Puissance du serveur hors GPU",
    "hardware_lifetime_years": "Durée d'usage du matériel",
    "country": "Pays d'inférence (mix électrique)",
    "pue": "PUE du centre de données",
    "wue": "WUE du centre de données",
    "renewable_share": "Part d'électricité renouvelable",
    "renewable_instrument": "Mode d'achat de l'électricité renouvelable",
    "measured_wh_per_1000_requests": "Énergie mesurée pour 1 000 requêtes",
    "measurement_method": "Méthode de mesure",
    "labels": "Labels et engagements",
    "evidence": "Justificatifs",
}


def significant(value: float, figures: int = 3) -> str:
    """`value` with about `figures` significant digits, French decimals, no trailing zero:
    0.001234 -> "0,00123", 7.0 -> "7"."""
    if value == 0 or not math.isfinite(value):
        return format_number(value, 0)
    magnitude = math.floor(math.log10(abs(value)))
    digits = max(0, figures - 1 - magnitude)
    if digits > 9:  # too small for plain decimals: the formatter writes × 10^n
        return format_number(value, 2)
    if digits > 6:  # the formatter's plain pattern stops at six decimals
        return format_number(value, digits).rstrip("0").rstrip(",")
    return format_number(round(value, digits))


def _scaled(value: float | None, steps: list[tuple[float, str]]) -> str:
    """The first step (threshold, unit) whose threshold the value reaches, else the last."""
    if value is None:
        return "—"
    for factor, unit in steps:
        if abs(value) >= factor or factor == steps[-1][0]:
            return f"{significant(value / factor)} {unit}"
    raise AssertionError("unreachable")


def energy(wh: float | None) -> str:
    """Energy from Wh: "0,35 Wh", "350 Wh", "1,2 kWh", "3,4 MWh"."""
    return _scaled(wh, [(1e6, "MWh"), (1e3, "kWh"), (1, "Wh")])


def co2(kg: float | None) -> str:
    """Emissions from kgCO2e: "12,3 gCO2e", "4,56 kgCO2e", "1,2 tCO2e"."""
    return _scaled(kg, [(1e3, "tCO2e"), (1, "kgCO2e"), (1e-3, "gCO2e")])


def water(litres: float | None) -> str:
    """Water from litres: "0,45 L", "450 L", "12,3 m³"."""
    return _scaled(litres, [(1e3, "m³"), (1, "L")])


def count(n: float | None, noun: str = "") -> str:
    """A large count in words: 141_000_000_000 -> "141 milliards de paramètres"."""
    if n is None:
        return "—"
    for factor, word in ((1e12, "billions"), (1e9, "milliards"), (1e6, "millions")):
        if abs(n) >= factor:
            scaled = significant(n / factor)
            plural = word if n / factor >= 2 else word[:-1]
            return f"{scaled} {plural}" + (f" de {noun}" if noun else "")
    return format_number(n, 0) + (f" {noun}" if noun else "")


def value_text(name: str, value: Any) -> str:
    """A declaration value as a person reads it, with its unit."""
    if value is None or value == "":
        return "—"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "—"
    if name in ("model_total_parameters", "model_active_parameters"):
        return count(value, "paramètres")
    if name == "renewable_share":
        return f"{format_number(value * 100)} %"
    if name == "measured_wh_per_1000_requests":
        return energy(value)
    if name == "hardware_lifetime_years":
        return f"{format_number(value)} an" + ("s" if value >= 2 else "")
    if name == "gpu_count":
        return f"{format_number(value, 0)} GPU"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        unit = fp.FIELDS.get(name, ("", "", ""))[1]
        unit = "" if unit in ("0 à 1", "ISO 3166 alpha-3") else unit
        return format_number(value) + (f" {unit}" if unit else "")
    return str(value)


def values_rows(footprint: dict[str, Any]) -> list[dict[str, Any]]:
    """The values a footprint used, declared or by default: [{name, label, value, default, source}]."""
    used = dict(footprint.get("values_used", {}))
    defaults = footprint.get("defaults_applied", [])
    if "gpu_count" in defaults and "gpu_count" not in used:
        used["gpu_count"] = footprint.get("gpu_count")
    rows = []
    for name in fp.FIELDS:
        if name not in used:
            continue
        rows.append(
            {
                "name": name,
                "label": SHORT_LABELS.get(name, name),
                "value": value_text(name, used[name]),
                "default": name in defaults,
                "source": footprint.get("default_sources", {}).get(name, ""),
            }
        )
    return rows


def defaults_text(footprint: dict[str, Any]) -> str:
    """The defaults a footprint applied, in words: "PUE du centre de données : 2 ; ..."."""
    return " ; ".join(
        f"{r['label']} : {r['value']}" for r in values_rows(footprint) if r["default"]
    )


def declared_text(footprint: dict[str, Any]) -> str:
    """The fields the supplier declared, by their French labels."""
    return ", ".join(SHORT_LABELS.get(n, n) for n in footprint.get("declared", []))


_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w.])")


def constant_text(value: Any) -> str:
    """A constant as stored ("1.17e-06 / 0.0089", 80, "80 Go") with French decimals."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return significant(value, 4)
    return _NUMBER.sub(lambda m: significant(float(m.group()), 4), str(value))
