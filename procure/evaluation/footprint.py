"""Environmental footprint of an AI offer, computed with EcoLogits (pure: no Flask, no database).

A supplier's declaration (JSON names fixed by issue 6) is validated, missing values get
conservative defaults (reported in `defaults_applied`), and the EcoLogits LLM impact graph
(`ecologits.impacts.llm.dag`) is executed with the declared values. EcoLogits works in billions
of parameters, kWh and seconds; the declaration uses parameter counts, Wh and years.

Declared values override EcoLogits' intermediate results where the supplier knows better:
`gpu_count` replaces the estimated `gpu_required_count` and `measured_wh_per_1000_requests`
(IT energy, before the data centre's PUE) replaces the estimated `request_it_energy`.
"""

from __future__ import annotations

import csv
import io
import json
import math
from importlib.metadata import version as _pkg_version
from typing import Any

from ecologits.electricity_mix_repository import electricity_mixes
from ecologits.impacts import llm as eco

from procure.core.errors import ValidationError
from procure.core.formatting import parse_number

ECOLOGITS_VERSION = _pkg_version("ecologits")
SECONDS_PER_YEAR = 365 * 24 * 60 * 60

# name: (type, unit, French label). The order is the template's order.
FIELDS: dict[str, tuple[str, str, str]] = {
    "model_total_parameters": (
        "int",
        "paramètres",
        "Nombre total de paramètres du modèle (en nombre, pas en milliards)",
    ),
    "model_active_parameters": (
        "int",
        "paramètres",
        "Nombre de paramètres actifs par jeton (modèles MoE ; sinon égal au total)",
    ),
    "quantization_bits": ("int", "bits", "Précision des poids en inférence (16, 8, 4...)"),
    "gpu_model": ("str", "", "Modèle de GPU (ex. NVIDIA H100 80 Go)"),
    "gpu_count": ("int", "GPU", "Nombre de GPU mobilisés par une instance du modèle"),
    "server_power_kw": ("float", "kW", "Puissance du serveur hors GPU"),
    "hardware_lifetime_years": (
        "float",
        "années",
        "Durée d'usage du matériel (amortissement de la fabrication)",
    ),
    "country": (
        "str",
        "ISO 3166 alpha-3",
        "Pays d'inférence (zone de mix électrique EcoLogits : FRA, DEU, SWE...)",
    ),
    "pue": ("float", "", "PUE annuel mesuré du centre de données (≥ 1)"),
    "wue": ("float", "L/kWh", "WUE du centre de données"),
    "renewable_share": (
        "float",
        "0 à 1",
        "Part d'électricité renouvelable ou décarbonée (0,75 = 75 %)",
    ),
    "renewable_instrument": (
        "str",
        "",
        "Mode d'achat : PPA, garanties d'origine, autoproduction...",
    ),
    "measured_wh_per_1000_requests": (
        "float",
        "Wh",
        "Énergie informatique mesurée pour 1 000 requêtes (hors PUE)",
    ),
    "measurement_method": ("str", "", "Méthode de mesure (outil, période, périmètre)"),
    "labels": ("list", "", "Labels et engagements (ex. Climate Neutral Data Centre Pact)"),
    "evidence": ("str", "", "Justificatifs RGESN / AFNOR Spec 2314 « IA frugale »"),
}

# Conservative defaults for missing values (shown as such on every result).
DEFAULTS: dict[str, Any] = {
    "model_total_parameters": 70_000_000_000,
    "quantization_bits": eco.MODEL_QUANTIZATION_BITS,
    "server_power_kw": eco.SERVER_POWER,
    "hardware_lifetime_years": 3,
    "country": "WOR",
    "pue": 2.0,
    "wue": 1.8,
    "renewable_share": 0.0,
}
DEFAULT_SOURCES = {
    "model_total_parameters": "Procure : 70 milliards de paramètres, hypothèse défavorable (grand modèle dense)",
    "model_active_parameters": "égal au nombre total de paramètres (modèle dense, hypothèse défavorable)",
    "quantization_bits": "EcoLogits MODEL_QUANTIZATION_BITS (16 bits)",
    "gpu_count": "EcoLogits : GPU nécessaires pour charger le modèle (mémoire 1,2 × paramètres × bits / 8, GPU de 80 Go)",
    "server_power_kw": "EcoLogits SERVER_POWER (serveur 8 GPU, 1,2 kW hors GPU)",
    "hardware_lifetime_years": "3 ans, hypothèse défavorable (EcoLogits HARDWARE_LIFESPAN)",
    "country": "mix électrique mondial « WOR » d'EcoLogits",
    "pue": "2,0, hypothèse défavorable (critère environnemental du RC)",
    "wue": "1,8 L/kWh, moyenne des centres de données américains (LBNL, 2016)",
    "renewable_share": "0, aucune part déclarée",
}

_LIMITS = {  # field: (min, max, inclusive min)
    "quantization_bits": (1, 32, True),
    "gpu_count": (1, 100_000, True),
    "server_power_kw": (0, 200, False),
    "hardware_lifetime_years": (0, 30, False),
    "pue": (1.0, 5.0, True),
    "wue": (0.0, 50.0, True),
    "renewable_share": (0.0, 1.0, True),
    "measured_wh_per_1000_requests": (0.0, 1e9, True),
}
MIN_PARAMETERS = 1_000_000  # smaller than any language model: a count given in billions
MAX_PARAMETERS = 100_000_000_000_000


def known_zones() -> list[str]:
    return sorted(m.zone for m in electricity_mixes.list_electricity_mixes())


def _number(value: Any, kind: str) -> float | int:
    """A declared number, typed in French or not (NumberError, a ValueError, otherwise)."""
    return parse_number(value, integer=kind == "int")


def validate_declaration(raw: dict[str, Any]) -> dict[str, Any]:
    """Check a declaration; return the clean values (empty ones dropped) or raise ValidationError."""
    if not isinstance(raw, dict):
        raise ValidationError("La déclaration doit être un objet JSON (champ : valeur).")
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in FIELDS:
            errors[name] = f"Champ inconnu (champs admis : {', '.join(FIELDS)})."
            continue
        kind = FIELDS[name][0]
        if value is None or (isinstance(value, str) and not value.strip()) or value == []:
            continue
        if kind in ("int", "float"):
            try:
                clean[name] = _number(value, kind)
            except (TypeError, ValueError):
                errors[name] = "Nombre entier attendu." if kind == "int" else "Nombre attendu."
        elif kind == "list":
            if isinstance(value, str):
                value = [v.strip() for v in value.replace(";", "|").split("|")]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors[name] = "Liste de textes attendue."
            else:
                clean[name] = [v.strip() for v in value if v.strip()]
        else:
            clean[name] = str(value).strip()

    for name, (low, high, inclusive) in _LIMITS.items():
        if name not in clean:
            continue
        value = clean[name]
        if name == "renewable_share" and 1 < value <= 100:
            errors[name] = (
                f"Part au plus 1 (= 100 %) attendue : {value:g} dépasse 100 % "
                f"(si c'est un pourcentage, {value:g} % s'écrit {value / 100:g})."
            )
        elif name == "pue" and value < 1:
            errors[name] = "Un PUE est au moins égal à 1 (énergie totale / énergie informatique)."
        elif value < low or (value == low and not inclusive):
            errors[name] = (
                "Valeur négative impossible."
                if value < 0
                else f"Valeur strictement supérieure à {low:g} attendue."
            )
        elif value > high:
            errors[name] = f"Valeur invraisemblable (au plus {high:g})."
    for name in ("model_total_parameters", "model_active_parameters"):
        if name in clean and not MIN_PARAMETERS <= clean[name] <= MAX_PARAMETERS:
            errors[name] = (
                f"{clean[name]:g} paramètres : nombre invraisemblable. Indiquez un nombre de paramètres "
                f"(7 milliards s'écrit 7000000000), pas des milliards."
                if clean[name] < MIN_PARAMETERS
                else f"{clean[name]:g} paramètres : nombre invraisemblable."
            )
    total, active = clean.get("model_total_parameters"), clean.get("model_active_parameters")
    if total and active and active > total and "model_active_parameters" not in errors:
        errors["model_active_parameters"] = (
            "Les paramètres actifs ne peuvent pas dépasser le total."
        )
    if "country" in clean:
        zone = clean["country"].upper()
        if electricity_mixes.find_electricity_mix(zone) is None:
            errors["country"] = (
                f"Code pays inconnu « {clean['country']} » : code ISO 3166 alpha-3 attendu "
                f"(FRA, DEU, IRL, SWE, USA... ou WOR pour le mix mondial)."
            )
        else:
            clean["country"] = zone
    if errors:
        raise ValidationError("Déclaration refusée : corrigez les champs signalés.", fields=errors)
    return clean


# Bounds on a declaration file (issue 10): a declaration is a few dozen short fields.
MAX_DECLARATION_CHARS = 64 * 1024
MAX_DECLARATION_ROWS = 200
MAX_LINE_CHARS = 4000


def _delimiter(first_line: str) -> str:
    """The CSV delimiter: the most frequent of , ; and tab on the first line (linear, where
    csv.Sniffer is quadratic in the line's length: 48 KB took 18 s)."""
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_declaration(text: str, filename: str = "déclaration") -> dict[str, Any]:
    """Read a declaration file's text: JSON object, or CSV rows `champ,valeur[,unité,description]`."""
    if len(text) > MAX_DECLARATION_CHARS:
        raise ValidationError(
            f"{filename} : fichier trop volumineux ({len(text)} caractères, "
            f"{MAX_DECLARATION_CHARS} au plus).",
            fields={"file": f"{MAX_DECLARATION_CHARS // 1024} Ko au plus."},
        )
    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        raise ValidationError(f"{filename} : fichier vide.")
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ValidationError(
                f"{filename}, ligne {exc.lineno} : JSON invalide ({exc.msg})."
            ) from exc
        except RecursionError:  # found by fuzzing: '{"a": [[[[...' nested too deep
            raise ValidationError(
                f"{filename} : JSON invalide (imbrication trop profonde)."
            ) from None
        return validate_declaration(data)
    lines = stripped.splitlines()
    if len(lines) > MAX_DECLARATION_ROWS:
        raise ValidationError(
            f"{filename} : trop de lignes ({len(lines)}, {MAX_DECLARATION_ROWS} au plus).",
            fields={"file": f"{MAX_DECLARATION_ROWS} lignes au plus."},
        )
    long_line = next((i for i, line in enumerate(lines, 1) if len(line) > MAX_LINE_CHARS), None)
    if long_line is not None:
        raise ValidationError(
            f"{filename}, ligne {long_line} : ligne trop longue ({MAX_LINE_CHARS} caractères au plus).",
            fields={"file": f"ligne {long_line} : trop longue"},
        )
    data: dict[str, Any] = {}
    try:
        rows = list(csv.reader(io.StringIO(stripped), delimiter=_delimiter(lines[0])))
    except csv.Error as exc:  # found by fuzzing: a field over the csv module's size limit
        raise ValidationError(f"{filename} : CSV illisible ({exc}).") from None
    for lineno, row in enumerate(rows, start=1):
        if not row or not row[0].strip() or row[0].strip().lower() in ("champ", "field"):
            continue
        name = row[0].strip()
        if name in data:
            raise ValidationError(
                f"{filename}, ligne {lineno} : champ « {name} » en double.",
                fields={name: f"ligne {lineno} : en double"},
            )
        data[name] = row[1].strip() if len(row) > 1 else ""
    try:
        return validate_declaration(data)
    except ValidationError as exc:
        raise ValidationError(f"{filename} : {exc.message}", fields=exc.fields) from exc


def template_json() -> str:
    example = {name: None for name in FIELDS}
    example["labels"] = []
    return json.dumps(example, ensure_ascii=False, indent=2) + "\n"


def template_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["champ", "valeur", "unité", "description"])
    for name, (_kind, unit, label) in FIELDS.items():
        writer.writerow([name, "", unit, label])
    return out.getvalue()


def compute(
    declaration: dict[str, Any], *, requests_per_year: int, tokens_per_request: int
) -> dict[str, Any]:
    """Footprint of one offer for the tender's functional unit; `declaration` must be validated."""
    if not requests_per_year or requests_per_year <= 0:
        raise ValidationError(
            "Le nombre de requêtes par an doit être positif.",
            fields={"requests_per_year": "Nombre positif attendu."},
        )
    if not tokens_per_request or tokens_per_request <= 0:
        raise ValidationError(
            "Le nombre de jetons par requête doit être positif.",
            fields={"tokens_per_request": "Nombre positif attendu."},
        )
    d = dict(declaration)
    defaults: list[str] = []
    for name, value in DEFAULTS.items():
        if name not in d:
            d[name] = value
            defaults.append(name)
    if "model_active_parameters" not in d:
        d["model_active_parameters"] = d["model_total_parameters"]
        defaults.append("model_active_parameters")
    measured = d.get("measured_wh_per_1000_requests")
    mix = electricity_mixes.find_electricity_mix(d["country"])

    inputs: dict[str, Any] = {
        "model_active_parameter_count": d["model_active_parameters"] / 1e9,
        "model_total_parameter_count": d["model_total_parameters"] / 1e9,
        "model_quantization_bits": d["quantization_bits"],
        "output_token_count": tokens_per_request,
        "request_latency": math.inf,
        "if_electricity_mix_gwp": mix.gwp,
        "if_electricity_mix_adpe": mix.adpe,
        "if_electricity_mix_pe": mix.pe,
        "if_electricity_mix_wue": mix.wue,
        "datacenter_pue": d["pue"],
        "datacenter_wue": d["wue"],
        "server_power": d["server_power_kw"],
        "server_lifetime": d["hardware_lifetime_years"] * SECONDS_PER_YEAR,
        "gpu_energy_alpha": eco.GPU_ENERGY_ALPHA,
        "gpu_energy_beta": eco.GPU_ENERGY_BETA,
        "gpu_energy_gamma": eco.GPU_ENERGY_GAMMA,
        "latency_alpha": eco.LATENCY_ALPHA,
        "latency_beta": eco.LATENCY_BETA,
        "latency_gamma": eco.LATENCY_GAMMA,
        "gpu_memory": eco.GPU_MEMORY,
        "gpu_embodied_gwp": eco.GPU_EMBODIED_IMPACT_GWP,
        "gpu_embodied_adpe": eco.GPU_EMBODIED_IMPACT_ADPE,
        "gpu_embodied_pe": eco.GPU_EMBODIED_IMPACT_PE,
        "server_gpu_count": eco.SERVER_GPUS,
        "server_embodied_gwp": eco.SERVER_EMBODIED_IMPACT_GWP,
        "server_embodied_adpe": eco.SERVER_EMBODIED_IMPACT_ADPE,
        "server_embodied_pe": eco.SERVER_EMBODIED_IMPACT_PE,
        "batch_size": eco.BATCH_SIZE,
    }
    if "gpu_count" in d:
        inputs["gpu_required_count"] = d["gpu_count"]
    else:
        defaults.append("gpu_count")
    if measured is not None:
        inputs["request_it_energy"] = (
            measured / 1000 / 1000
        )  # Wh per 1,000 requests -> kWh per request
    r = eco.dag.execute(**inputs, tps=None, ttft=None)

    wh = r["request_energy"] * 1000
    use_kg = r["request_usage_gwp"]
    embodied_kg = r["request_embodied_gwp"]
    water_l = r["request_usage_wcf"]
    n = requests_per_year
    return {
        "method": "EcoLogits "
        + ECOLOGITS_VERSION
        + (" (énergie mesurée déclarée)" if measured is not None else " (énergie estimée)"),
        "energy_source": "mesurée" if measured is not None else "estimée",
        "functional_unit": {"requests_per_year": n, "tokens_per_request": tokens_per_request},
        "wh_per_request": wh,
        "wh_per_1000_requests": wh * 1000,
        "it_wh_per_request": r["request_it_energy"] * 1000,
        "kwh_per_year": r["request_energy"] * n,
        "kgco2e_per_request": use_kg + embodied_kg,
        "kgco2e_per_1000_requests": (use_kg + embodied_kg) * 1000,
        "kgco2e_per_1000_requests_use": use_kg * 1000,
        "kgco2e_per_1000_requests_embodied": embodied_kg * 1000,
        "kgco2e_per_year": (use_kg + embodied_kg) * n,
        "kgco2e_per_year_use": use_kg * n,
        "kgco2e_per_year_embodied": embodied_kg * n,
        "water_l_per_request": water_l,
        "water_l_per_1000_requests": water_l * 1000,
        "water_l_per_year": water_l * n,
        "gpu_count": r["gpu_required_count"],
        "generation_latency_s": r["generation_latency"],
        "values_used": {name: d.get(name) for name in FIELDS if d.get(name) is not None},
        "declared": sorted(k for k in declaration if k in FIELDS),
        "defaults_applied": defaults,
        "default_sources": {k: DEFAULT_SOURCES[k] for k in defaults},
        "electricity_mix": {
            "zone": mix.zone,
            "gwp_kgco2e_per_kwh": mix.gwp,
            "wue_l_per_kwh": mix.wue,
            "warnings": [w.message for w in mix.warnings],
            "source": f"ecologits/data/electricity_mixes.json (EcoLogits {ECOLOGITS_VERSION})",
        },
        "constants": constants(),
        # The supplier's renewable share is reported and scored (hosting thresholds) but does not
        # change the emission factor: location-based accounting, as EcoLogits does.
        "renewable_share": d["renewable_share"],
    }


def constants() -> list[dict[str, Any]]:
    """The EcoLogits constants used, with their meaning, for display next to every result."""
    src = f"EcoLogits {ECOLOGITS_VERSION}, ecologits/impacts/llm.py"
    return [
        {
            "name": "GPU_ENERGY_ALPHA/BETA/GAMMA",
            "value": f"{eco.GPU_ENERGY_ALPHA:.4g} / {eco.GPU_ENERGY_BETA:.4g} / {eco.GPU_ENERGY_GAMMA:.4g}",
            "meaning": "énergie GPU par jeton = α·e^(β·lot)·paramètres actifs (Md) + γ, en Wh",
            "source": src,
        },
        {
            "name": "LATENCY_ALPHA/BETA/GAMMA",
            "value": f"{eco.LATENCY_ALPHA:.4g} / {eco.LATENCY_BETA:.4g} / {eco.LATENCY_GAMMA:.4g}",
            "meaning": "latence par jeton = α·paramètres actifs (Md) + β·lot + γ, en s",
            "source": src,
        },
        {
            "name": "BATCH_SIZE",
            "value": eco.BATCH_SIZE,
            "meaning": "requêtes traitées simultanément",
            "source": src,
        },
        {
            "name": "GPU_MEMORY",
            "value": f"{eco.GPU_MEMORY} Go",
            "meaning": "mémoire d'un GPU",
            "source": src,
        },
        {
            "name": "SERVER_GPUS",
            "value": eco.SERVER_GPUS,
            "meaning": "GPU par serveur",
            "source": src,
        },
        {
            "name": "GPU_EMBODIED_IMPACT_GWP",
            "value": f"{eco.GPU_EMBODIED_IMPACT_GWP} kgCO2e",
            "meaning": "fabrication d'un GPU",
            "source": src,
        },
        {
            "name": "SERVER_EMBODIED_IMPACT_GWP",
            "value": f"{eco.SERVER_EMBODIED_IMPACT_GWP} kgCO2e",
            "meaning": "fabrication d'un serveur (hors GPU)",
            "source": src,
        },
    ]


FORMULA = (
    "énergie par requête (kWh) = PUE × [latence/3600 × puissance serveur × (GPU/8) / lot + GPU × énergie GPU] ; "
    "émissions d'usage = énergie × intensité carbone du mix du pays ; "
    "émissions de fabrication = latence × (part du serveur + GPU) × empreinte de fabrication / (durée de vie × lot) ; "
    "eau = énergie informatique × (WUE + PUE × eau du mix). Une énergie mesurée remplace l'énergie informatique estimée."
)
