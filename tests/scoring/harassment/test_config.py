"""HarassmentConfig defaults and range checks."""

from __future__ import annotations

import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.harassment import HarassmentConfig


def test_defaults_are_the_reference_constants() -> None:
    cfg = HarassmentConfig()
    assert (cfg.rater_factor_lambda, cfg.note_factor_lambda) == (0.03, 0.03)
    assert cfg.note_intercept_lambda == cfg.rater_intercept_lambda == 0.15
    assert cfg.global_intercept_lambda == 0.15
    assert cfg.init_factor_multiplier == 2.0
    assert cfg.min_created_at_ms == 1639699200000
    assert (cfg.min_ratings_per_note, cfg.min_ratings_per_rater) == (5, 10)
    assert (cfg.min_intercept_to_penalize, cfg.penalty_per_rating) == (2.0, 10.0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("note_factor_lambda", -0.1),
        ("global_intercept_lambda", float("nan")),
        ("init_factor_multiplier", 0.0),
        ("tolerance", 0.0),
        ("min_ratings_per_rater", 0),
        ("max_sweeps", 0),
        ("min_created_at_ms", -1),
    ],
)
def test_out_of_range_values_name_the_field(field: str, value: float) -> None:
    with pytest.raises(ConfigError, match=field):
        HarassmentConfig(**{field: value})  # type: ignore[arg-type]
