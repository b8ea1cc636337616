"""The top-level scoring configuration."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.config import ScoringConfig
from bridgewatch.scoring.preprocess import CoreScopeConfig


def test_defaults_are_the_reference_constants() -> None:
    config = ScoringConfig()
    assert config.max_round1_train_mse == 0.16
    assert config.final_min_ratings_per_note == 5
    assert config.population_sampled_note_ratio == 10.0
    assert config.stable_init.modeling_group == 13
    assert config.scope.min_capture_share == 0.5


def test_variants_are_values() -> None:
    single = replace(ScoringConfig(), scope=CoreScopeConfig(single_population=True))
    assert single.scope.single_population and not ScoringConfig().scope.single_population


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_round1_train_mse", 0.0),
        ("final_min_ratings_per_note", -1),
        ("population_sampled_note_ratio", 0.0),
    ],
)
def test_out_of_range_values_name_the_field(field: str, value: float) -> None:
    with pytest.raises(ConfigError, match=field):
        ScoringConfig(**{field: value})  # type: ignore[arg-type]
