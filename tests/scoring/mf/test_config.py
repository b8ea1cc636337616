"""MFConfig defaults and range checks (scoring-core.md §3.2, Appendix A)."""

from __future__ import annotations

from typing import Any

import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.mf import MFConfig


def test_defaults_are_the_core_lambdas() -> None:
    cfg = MFConfig()
    assert (cfg.rater_factor_lambda, cfg.note_factor_lambda) == (0.03, 0.03)
    assert cfg.rater_intercept_lambda == cfg.note_intercept_lambda == 0.15
    assert cfg.global_intercept_lambda == 0.15
    assert cfg.diamond_lambda == 0.0 and cfg.n_factors == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("note_intercept_lambda", 0.0),
        ("rater_factor_lambda", -1.0),
        ("global_intercept_lambda", float("nan")),
        ("diamond_lambda", -0.1),
        ("global_intercept_lambda", -0.01),
        ("use_global_intercept", 1),
        ("normalized_loss", "group14"),
        ("n_factors", 0),
        ("n_factors", 1.5),
        ("n_factors", True),
        ("tolerance", 0.0),
        ("param_tolerance", float("inf")),
        ("max_iterations", 0),
        ("acceleration_depth", -1),
    ],
)
def test_out_of_range_values_name_the_field(field: str, value: Any) -> None:
    with pytest.raises(ConfigError) as err:
        MFConfig(**{field: value})
    assert err.value.field == field
