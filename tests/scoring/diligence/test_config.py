"""DiligenceConfig defaults and range checks."""

from __future__ import annotations

import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.diligence import DiligenceConfig


def test_defaults_are_the_reference_constants() -> None:
    cfg = DiligenceConfig()
    assert cfg.l2_lambda == 0.03
    assert (cfg.rater_intercept_multiplier, cfg.reputation_multiplier) == (10.0, 50.0)
    assert cfg.global_intercept_multiplier == 0.0
    assert (cfg.pos_weight, cfg.pos_weight_round3) == (100.0, 500.0)
    assert (cfg.reputation_alpha, cfg.reputation_exponent, cfg.note_norm_exponent) == (
        0.1,
        0.5,
        -0.5,
    )
    assert (cfg.learning_rate, cfg.max_epochs, cfg.stable_period) == (0.2, 300, 5)
    assert cfg.convergence == 1e-5
    assert cfg.low_diligence_threshold == 0.263


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("l2_lambda", -1.0),
        ("pos_weight", 0.0),
        ("learning_rate", float("inf")),
        ("note_norm_exponent", 0.5),
        ("adam_beta2", 1.0),
        ("max_epochs", -1),
        ("stable_period", 0),
        ("low_diligence_threshold", float("nan")),
    ],
)
def test_out_of_range_values_name_the_field(field: str, value: float) -> None:
    with pytest.raises(ConfigError, match=field):
        DiligenceConfig(**{field: value})  # type: ignore[arg-type]
