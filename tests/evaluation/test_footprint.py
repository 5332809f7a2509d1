"""Footprint of a declaration: equal to EcoLogits for the same inputs; bad declarations refused."""

from __future__ import annotations

import json
import math

import pytest
from ecologits.electricity_mix_repository import electricity_mixes
from ecologits.impacts.llm import compute_llm_impacts

from procure.core.errors import ValidationError
from procure.evaluation import footprint as fp

YEAR_S = 365 * 24 * 3600


def ecologits_reference(
    *, total_b, active_b, zone, pue, wue, tokens, lifetime_years, bits=16, server_power=1.2
):
    """EcoLogits called directly, as its own tracers do (billions of parameters, kWh, kgCO2e)."""
    mix = electricity_mixes.find_electricity_mix(zone)
    return compute_llm_impacts(
        model_active_parameter_count=active_b,
        model_total_parameter_count=total_b,
        output_token_count=tokens,
        if_electricity_mix_adpe=mix.adpe,
        if_electricity_mix_pe=mix.pe,
        if_electricity_mix_gwp=mix.gwp,
        if_electricity_mix_wue=mix.wue,
        datacenter_pue=pue,
        datacenter_wue=wue,
        model_quantization_bits=bits,
        server_power=server_power,
        server_lifetime=lifetime_years * YEAR_S,
    )


@pytest.mark.parametrize(
    "decl,ref",
    [
        (
            {
                "model_total_parameters": 8_000_000_000,
                "country": "FRA",
                "pue": 1.2,
                "wue": 0.3,
                "hardware_lifetime_years": 5,
            },
            {
                "total_b": 8,
                "active_b": 8,
                "zone": "FRA",
                "pue": 1.2,
                "wue": 0.3,
                "lifetime_years": 5,
            },
        ),
        (
            {
                "model_total_parameters": 141_000_000_000,
                "model_active_parameters": 39_000_000_000,
                "country": "DEU",
                "pue": 1.4,
                "wue": 1.1,
                "quantization_bits": 8,
                "server_power_kw": 2.0,
                "hardware_lifetime_years": 4,
            },
            {
                "total_b": 141,
                "active_b": 39,
                "zone": "DEU",
                "pue": 1.4,
                "wue": 1.1,
                "lifetime_years": 4,
                "bits": 8,
                "server_power": 2.0,
            },
        ),
    ],
)
def test_footprint_equals_ecologits_for_the_same_inputs(decl, ref):
    requests, tokens = 2_000_000, 350
    result = fp.compute(
        fp.validate_declaration(decl), requests_per_year=requests, tokens_per_request=tokens
    )
    impacts = ecologits_reference(tokens=tokens, **ref)
    assert result["wh_per_request"] == pytest.approx(impacts.energy.value * 1000, rel=1e-12)
    assert result["kgco2e_per_year_use"] == pytest.approx(
        impacts.usage.gwp.value * requests, rel=1e-12
    )
    assert result["kgco2e_per_year_embodied"] == pytest.approx(
        impacts.embodied.gwp.value * requests, rel=1e-12
    )
    assert result["kgco2e_per_year"] == pytest.approx(impacts.gwp.value * requests, rel=1e-12)
    assert result["kgco2e_per_1000_requests"] == pytest.approx(impacts.gwp.value * 1000, rel=1e-12)
    assert result["water_l_per_year"] == pytest.approx(impacts.wcf.value * requests, rel=1e-12)
    assert (
        result["electricity_mix"]["gwp_kgco2e_per_kwh"]
        == electricity_mixes.find_electricity_mix(ref["zone"]).gwp
    )


def test_missing_values_get_conservative_defaults_shown_as_such():
    result = fp.compute(
        fp.validate_declaration({"model_total_parameters": 8e9}),
        requests_per_year=1000,
        tokens_per_request=100,
    )
    assert {"pue", "country", "hardware_lifetime_years", "wue", "gpu_count"} <= set(
        result["defaults_applied"]
    )
    assert result["values_used"]["pue"] == 2.0 and result["values_used"]["country"] == "WOR"
    assert result["values_used"]["hardware_lifetime_years"] == 3
    assert result["declared"] == ["model_total_parameters"]
    assert all(result["default_sources"][k] for k in result["defaults_applied"])
    impacts = ecologits_reference(
        total_b=8, active_b=8, zone="WOR", pue=2.0, wue=1.8, tokens=100, lifetime_years=3
    )
    assert result["kgco2e_per_1000_requests"] == pytest.approx(impacts.gwp.value * 1000, rel=1e-12)


def test_measured_energy_replaces_the_estimate():
    base = {"model_total_parameters": 8e9, "country": "FRA", "pue": 1.5, "wue": 0.5}
    estimated = fp.compute(
        fp.validate_declaration(base), requests_per_year=1000, tokens_per_request=200
    )
    measured = fp.compute(
        fp.validate_declaration({**base, "measured_wh_per_1000_requests": 500}),
        requests_per_year=1000,
        tokens_per_request=200,
    )
    assert measured["energy_source"] == "mesurée" and estimated["energy_source"] == "estimée"
    assert measured["it_wh_per_request"] == pytest.approx(0.5)
    assert measured["wh_per_request"] == pytest.approx(0.5 * 1.5)
    mix = electricity_mixes.find_electricity_mix("FRA")
    assert measured["kgco2e_per_year_use"] == pytest.approx(0.75 / 1000 * mix.gwp * 1000)
    assert measured["water_l_per_year"] == pytest.approx(0.5 / 1000 * (0.5 + 1.5 * mix.wue) * 1000)
    assert measured["kgco2e_per_year_embodied"] == pytest.approx(
        estimated["kgco2e_per_year_embodied"]
    )


def test_embodied_share_follows_the_declared_lifetime():
    decl = {"model_total_parameters": 8e9, "country": "FRA", "pue": 1.2}
    three = fp.compute(
        fp.validate_declaration({**decl, "hardware_lifetime_years": 3}),
        requests_per_year=10,
        tokens_per_request=10,
    )
    six = fp.compute(
        fp.validate_declaration({**decl, "hardware_lifetime_years": 6}),
        requests_per_year=10,
        tokens_per_request=10,
    )
    assert six["kgco2e_per_year_embodied"] == pytest.approx(three["kgco2e_per_year_embodied"] / 2)
    assert six["kgco2e_per_year_use"] == pytest.approx(three["kgco2e_per_year_use"])


@pytest.mark.parametrize(
    "field,value,reason",
    [
        ("pue", 0.8, "au moins égal à 1"),
        ("measured_wh_per_1000_requests", -3, "négative"),
        ("country", "FR", "Code pays inconnu"),
        ("country", "XYZ", "Code pays inconnu"),
        ("model_total_parameters", 7, "pas des milliards"),
        ("model_active_parameters", 70, "pas des milliards"),
        ("renewable_share", 75, "0,75".replace(",", ".")),
        ("renewable_share", 1.5, "au plus 1"),
        ("quantization_bits", "seize", "entier"),
        ("colour", "bleu", "Champ inconnu"),
    ],
)
def test_absurd_declarations_are_refused_with_field_and_reason(field, value, reason):
    with pytest.raises(ValidationError) as exc:
        fp.validate_declaration({"model_total_parameters": 8e9, field: value})
    assert field in exc.value.fields and reason in exc.value.fields[field]


def test_active_parameters_cannot_exceed_total():
    with pytest.raises(ValidationError) as exc:
        fp.validate_declaration({"model_total_parameters": 8e9, "model_active_parameters": 9e9})
    assert "model_active_parameters" in exc.value.fields


def test_templates_round_trip_through_the_parsers():
    assert set(json.loads(fp.template_json())) == set(fp.FIELDS)
    assert fp.parse_declaration(fp.template_json()) == {}
    csv_text = fp.template_csv().replace(
        "model_total_parameters,,", "model_total_parameters,8000000000,"
    )
    csv_text = csv_text.replace("country,,", "country,fra,").replace(
        "labels,,", "labels,Pacte CNDCP | ISO 50001,"
    )
    parsed = fp.parse_declaration(csv_text, "decl.csv")
    assert parsed == {
        "model_total_parameters": 8_000_000_000,
        "country": "FRA",
        "labels": ["Pacte CNDCP", "ISO 50001"],
    }


def test_csv_with_semicolons_and_french_decimals():
    parsed = fp.parse_declaration("champ;valeur\npue;1,25\nrenewable_share;0,8\n", "decl.csv")
    assert parsed == {"pue": 1.25, "renewable_share": 0.8}


def test_bad_files_name_the_file_and_line():
    with pytest.raises(ValidationError, match=r"decl.json, ligne 2"):
        fp.parse_declaration('{"pue": 1.2,\n oops}', "decl.json")
    with pytest.raises(ValidationError, match=r"decl.csv, ligne 3 : champ « pue » en double"):
        fp.parse_declaration("champ,valeur\npue,1.2\npue,1.3\n", "decl.csv")


def test_functional_unit_must_be_positive():
    with pytest.raises(ValidationError):
        fp.compute({}, requests_per_year=0, tokens_per_request=10)


def test_every_ecologits_zone_is_accepted_and_values_are_finite():
    for zone in ("FRA", "DEU", "USA", "IRL", "SWE", "WOR"):
        result = fp.compute(
            fp.validate_declaration({"country": zone.lower()}),
            requests_per_year=1,
            tokens_per_request=1,
        )
        assert math.isfinite(result["kgco2e_per_year"]) and result["kgco2e_per_year"] > 0
