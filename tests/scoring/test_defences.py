"""The defences' reading of a prescoring: raters the final round left out."""

from __future__ import annotations

from types import SimpleNamespace
from typing import cast

import numpy as np

from bridgewatch.scoring.defences import _prescoring_model
from bridgewatch.scoring.prescoring import PrescoringResult


def _params(intercepts: list[float], factors: list[float]) -> SimpleNamespace:
    return SimpleNamespace(
        rater_intercepts=np.array(intercepts),
        rater_factors=np.array(factors)[:, None],
        global_intercept=0.1,
    )


def test_unproven_raters_outside_the_final_round_take_round_one_parameters() -> None:
    """Issue 15: a pool whose verdicts go against bridged outcomes fails the helpfulness
    filter and leaves the final round, yet its ratings bent round 1; the unexplained test
    must still see it. Round 1's factor sign is aligned with the final round's; an
    established rater left out stays out of the reference."""
    nan = float("nan")
    pre = SimpleNamespace(
        final_round=_params([0.1, -0.1, nan, nan], [0.5, -0.4, nan, nan]),
        round1=_params([0.2, -0.2, -0.5, 0.3], [-0.6, 0.5, 0.7, -0.2]),
    )
    established = np.array([True, True, False, True])
    model = _prescoring_model(cast(PrescoringResult, pre), established)
    np.testing.assert_allclose(model.intercepts[:3], [0.1, -0.1, -0.5])
    np.testing.assert_allclose(model.factors[:3], [0.5, -0.4, -0.7])  # sign flipped
    assert np.isnan(model.intercepts[3]) and np.isnan(model.factors[3])
    assert model.global_intercept == 0.1
