"""The "liked by people with different perspectives" rule."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.analysis.perspectives import PerspectiveRule, liked_by_different_perspectives
from bridgewatch.errors import ConfigError


def test_needs_enough_helpful_ratings_and_a_helpful_majority_on_both_sides() -> None:
    got = liked_by_different_perspectives(
        np.array([2, 1, 2, 3]),  # helpful left
        np.array([2, 1, 5, 4]),  # ratings left
        np.array([2, 5, 2, 2]),  # helpful right
        np.array([3, 5, 2, 4]),  # ratings right
    )
    assert got.tolist() == [True, False, False, True]
    assert liked_by_different_perspectives(1, 1, 1, 1, PerspectiveRule(min_side_helpful=1))


def test_rule_names_the_bad_field() -> None:
    with pytest.raises(ConfigError, match="min_side_share"):
        PerspectiveRule(min_side_share=2.0)
