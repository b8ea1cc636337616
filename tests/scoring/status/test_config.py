"""StatusRulesConfig range checks."""

from __future__ import annotations

import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.scoring.status import StatusRulesConfig


def test_defaults_are_the_reference_values() -> None:
    cfg = StatusRulesConfig()
    assert (cfg.crh_threshold, cfg.crnh_intercept, cfg.crnh_factor_multiplier) == (0.4, -0.05, -0.8)
    assert (cfg.low_diligence_threshold, cfg.firm_reject_threshold) == (0.263, 0.30)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tag_filter_percentile", 101.0),
        ("min_ratings_to_get_rating", -1),
        ("min_ratings_to_get_rating", 2.5),
        ("crh_threshold", float("nan")),
        ("crh_inertia_delta", 0.0),
        ("net_helpful_balance_upper", 3),
        ("min_net_helpful_ratio", 1.5),
    ],
)
def test_out_of_range_values_name_the_field(field: str, value: float) -> None:
    with pytest.raises(ConfigError, match=field):
        StatusRulesConfig(**{field: value})  # type: ignore[arg-type]
