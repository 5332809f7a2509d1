"""Scoring methods of the RC: hyperbolic, clipped log scale, hosting thresholds, weights and ties."""

from __future__ import annotations

import pytest

from procure.evaluation import scoring


def test_hyperbolic_gives_the_best_the_max_and_twice_the_best_half():
    assert scoring.hyperbolic(100, 100, 20) == 20
    assert scoring.hyperbolic(200, 100, 20) == 10
    assert scoring.hyperbolic(400, 100, 40) == 10


def test_log_scale_is_clipped_at_the_cap():
    assert scoring.log_scale(5, 5, 20, cap=1000) == 20
    assert scoring.log_scale(50, 5, 20, cap=1000) == pytest.approx(20 * (1 - 1 / 3))
    assert scoring.log_scale(5000, 5, 20, cap=1000) == pytest.approx(0, abs=1e-12)
    assert scoring.log_scale(5_000_000, 5, 20, cap=1000) == 0


@pytest.mark.parametrize(
    "values,expected",
    [
        ({"pue": 1.2, "wue": 0.3, "renewable_share": 1.0}, 10.0),
        ({"pue": 1.45, "wue": 0.8, "renewable_share": 0.8}, 10 * (0.6 + 0.5 + 0.75) / 3),
        ({"pue": 2.0, "wue": 1.8, "renewable_share": 0.0}, 0.0),  # the conservative defaults
    ],
)
def test_hosting_thresholds(values, expected):
    assert scoring.hosting_score(values, 10) == pytest.approx(expected)


def test_method_names_from_the_rc():
    assert scoring.method_of({"method": "proportionnelle"}) == "hyperbolic"
    assert scoring.method_of({"method": "hyperbolic"}) == "hyperbolic"
    assert scoring.method_of({"method": "logarithmique"}) == "log"
    assert scoring.method_of({"method": ""}) == "manual"


def test_proposals_for_price_and_environment_with_sub_criteria():
    offers = {
        "a": {
            "price": 100.0,
            "footprint": {
                "kgco2e_per_year": 10.0,
                "values_used": {"pue": 1.2, "wue": 0.3, "renewable_share": 1.0},
            },
        },
        "b": {
            "price": 200.0,
            "footprint": {
                "kgco2e_per_year": 100.0,
                "values_used": {"pue": 2.0, "wue": 1.8, "renewable_share": 0.0},
            },
        },
    }
    price = scoring.propose(
        {"name": "Prix", "kind": "price", "method": "hyperbolic", "max_score": 20}, offers
    )
    assert price["a"]["score"] == 20 and price["b"]["score"] == 10
    env = scoring.propose(
        {
            "name": "Environnement",
            "kind": "environment",
            "method": "logarithmique",
            "max_score": 20,
            "cap": 100,
            "sub_criteria": [
                {"name": "Émissions annuelles", "max_score": 14},
                {"name": "Hébergement (PUE, WUE, renouvelable)", "max_score": 6},
            ],
        },
        offers,
    )
    assert env["a"]["score"] == pytest.approx(20)
    assert env["b"]["score"] == pytest.approx(14 * (1 - 1 / 2) + 0)
    manual = scoring.propose(
        {"name": "Valeur technique", "kind": "technical", "max_score": 40}, offers
    )
    assert manual == {}
    # Only sub-criteria that need judgement: no formula for the criterion.
    assert (
        scoring.propose(
            {
                "name": "Env",
                "kind": "environment",
                "method": "log",
                "sub_criteria": [{"name": "Démarche et justificatifs", "max_score": 6}],
            },
            offers,
        )
        == {}
    )
    # The RC's split of a measured part and a judged part: the formula proposes the measured
    # part only, marked partial, and names the part left to the evaluators.
    split = scoring.propose(
        {
            "name": "Env",
            "kind": "environment",
            "method": "logarithmique",
            "max_score": 20,
            "cap": 100,
            "sub_criteria": [
                {"name": "Empreinte", "weight": 70, "metric": "kgco2e_per_year"},
                {"name": "Démarche", "weight": 30, "metric": ""},
            ],
        },
        offers,
    )
    assert split["a"]["partial"] and split["a"]["score"] == pytest.approx(14)
    assert split["b"]["score"] == pytest.approx(14 * (1 - 1 / 2))
    assert "Démarche : à apprécier par les évaluateurs (sur 6)" in split["b"]["detail"]


def test_weighted_total_and_ranking_with_ties():
    criteria = [
        {"name": "Prix", "weight": 40, "max_score": 20},
        {"name": "Technique", "weight": 45, "max_score": 20},
        {"name": "Environnement", "weight": 15, "max_score": 10},
    ]
    a = scoring.weighted_total({"Prix": 20, "Technique": 10, "Environnement": 5}, criteria)
    b = scoring.weighted_total({"Prix": 10, "Technique": 20, "Environnement": 2.5}, criteria)
    assert a == pytest.approx(40 + 22.5 + 7.5)
    assert b == pytest.approx(20 + 45 + 3.75)
    ranks = scoring.rank({"a": a, "b": b, "c": a, "d": 10.0})
    assert [(r, sorted(keys)) for r, keys, _ in ranks] == [(1, ["a", "c"]), (3, ["b"]), (4, ["d"])]
