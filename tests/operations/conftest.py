"""Hypothesis profiles: a short one in `make test`, a long one in `make fuzz`."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=False,
)
settings.register_profile("default", max_examples=150, **_COMMON)
settings.register_profile(
    "fuzz", max_examples=int(os.environ.get("FUZZ_EXAMPLES", 5000)), **_COMMON
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
