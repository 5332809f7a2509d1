"""Footprint computation: Procure's wrapper against a bare EcoLogits call (same inputs, same run)."""

from __future__ import annotations

from ecologits.electricity_mix_repository import electricity_mixes
from ecologits.impacts.llm import compute_llm_impacts

from procure.evaluation import footprint as fp

DECL = {
    "model_total_parameters": 8_000_000_000,
    "country": "FRA",
    "pue": 1.25,
    "wue": 0.3,
    "hardware_lifetime_years": 5,
}


def bare():
    mix = electricity_mixes.find_electricity_mix("FRA")
    return compute_llm_impacts(
        model_active_parameter_count=8,
        model_total_parameter_count=8,
        output_token_count=400,
        if_electricity_mix_adpe=mix.adpe,
        if_electricity_mix_pe=mix.pe,
        if_electricity_mix_gwp=mix.gwp,
        if_electricity_mix_wue=mix.wue,
        datacenter_pue=1.25,
        datacenter_wue=0.3,
        server_lifetime=5 * 365 * 24 * 3600,
    )


def procure_footprint():
    return fp.compute(
        fp.validate_declaration(DECL), requests_per_year=1_000_000, tokens_per_request=400
    )


def test_bench_ecologits_bare(benchmark):
    benchmark.group = "footprint"
    benchmark(bare)


def test_bench_procure_footprint(benchmark):
    benchmark.group = "footprint"
    benchmark(procure_footprint)
