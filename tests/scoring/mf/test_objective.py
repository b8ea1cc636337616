"""The objective as the reference codes it: means over present entities (§3.2)."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.scoring.mf import MFConfig, MFParams, mf_objective
from bridgewatch.scoring.mf.objective import penalties_for


def test_mean_and_ratio_penalties() -> None:
    cfg = MFConfig(n_factors=2)
    mean = penalties_for(cfg, n_ratings=100, n_notes=4, n_raters=10)
    assert mean.note_intercept == pytest.approx(0.15 * 25)
    assert mean.note_factor == pytest.approx(0.03 * 25 / 2)  # torch .mean() over n*k entries
    assert mean.rater_intercept == pytest.approx(0.15 * 10)
    assert mean.global_intercept == pytest.approx(15.0)
    ratio = penalties_for(cfg, n_ratings=100, n_notes=4, n_raters=10, note_ratio=7.0)
    assert ratio.note_intercept == pytest.approx(0.15 * 7)
    assert ratio.note_factor == pytest.approx(0.03 * 7)
    assert ratio.rater_factor == mean.rater_factor


def test_objective_by_hand_ignores_entities_without_ratings() -> None:
    # Two ratings on note 0 by raters 0 and 1; note 1 and rater 2 have none.
    params = MFParams(
        np.array([0.1, 99.0]),
        np.array([[0.5], [99.0]]),
        np.array([0.2, -0.1, 99.0]),
        np.array([[1.0], [-1.0], [99.0]]),
        0.05,
    )
    obj = mf_objective(
        np.array([0, 0]), np.array([0, 1]), np.array([1.0, 0.0]), params=params, config=MFConfig()
    )
    e0 = 1.0 - (0.05 + 0.2 + 0.1 + 0.5)
    e1 = 0.0 - (0.05 - 0.1 + 0.1 - 0.5)
    mse = (e0**2 + e1**2) / 2
    reg = 0.15 * 0.01 + 0.03 * 0.25 + 0.15 * (0.04 + 0.01) / 2 + 0.03 * 2 / 2 + 0.15 * 0.0025
    assert obj.train_mse == pytest.approx(mse, abs=1e-15)
    assert obj.loss == pytest.approx(mse + reg, abs=1e-15)
