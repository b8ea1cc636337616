"""SimConfig and BrigadeConfig validation."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from bridgewatch.errors import ConfigError
from bridgewatch.sim.config import BrigadeConfig, BrigadeGoal, SimConfig


def test_defaults_mirror_the_s_core_fixture() -> None:
    config = SimConfig()
    assert (config.n_notes, config.n_raters, config.n_ratings) == (2_000, 5_000, 100_000)
    assert config.end_ms - config.start_ms == 60 * 86_400_000
    assert config.brigades == ()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("n_notes", 0),
        ("n_notes", (1 << 22) + 1),
        ("n_raters", 1),
        ("n_ratings", -1),
        ("days", 0.0),
        ("polarization", -0.1),
        ("polarization", float("nan")),
        ("camp_share", 1.5),
        ("population_sampled_share", -0.01),
        ("topic_share", 2.0),
        ("noise_sd", float("inf")),
        ("notes_per_post_weights", (0.0, 0.0, 0.0)),
        ("notes_per_post_weights", (1.0, 1.0)),
        ("seed", -1),
        ("seed_status_history", 1),
    ],
)
def test_out_of_range_value_names_the_field(field: str, value: Any) -> None:
    with pytest.raises(ConfigError) as exc:
        kwargs: dict[str, Any] = {field: value}
        replace(SimConfig(), **kwargs)
    assert exc.value.field == field
    assert field in str(exc.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("n_members", 0),
        ("n_targets", 0),
        ("camp", 0),
        ("goal", "promote"),
        ("account_age_days", 0.0),
        ("organic_ratings", -1),
        ("max_reaction_minutes", 0.0),
    ],
)
def test_brigade_out_of_range_value_names_the_field(field: str, value: Any) -> None:
    with pytest.raises(ConfigError) as exc:
        kwargs: dict[str, Any] = {field: value}
        replace(BrigadeConfig(), **kwargs)
    assert exc.value.field == field


def test_brigade_older_than_the_window_is_rejected() -> None:
    with pytest.raises(ConfigError) as exc:
        SimConfig(days=10.0, brigades=(BrigadeConfig(account_age_days=11.0),))
    assert exc.value.field == "brigades[0].account_age_days"


def test_describe_is_json_ready() -> None:
    config = SimConfig(brigades=(BrigadeConfig(goal=BrigadeGoal.SUPPRESS),))
    described = json.loads(json.dumps(config.describe()))
    assert described["brigades"][0]["goal"] == "suppress"
    assert described["n_notes"] == config.n_notes
