"""The numba loss/gradient pass equals the numpy reference and the analytic derivative."""

from __future__ import annotations

import numpy as np
import pytest

from bridgewatch.scoring.diligence import data_loss_and_grad, data_loss_and_grad_reference
from bridgewatch.scoring.diligence.kernels import DiligenceParams


def _params(rng: np.random.Generator, n: int, u: int) -> DiligenceParams:
    return DiligenceParams(
        rng.standard_normal(n), rng.standard_normal(n), rng.standard_normal(u),
        rng.standard_normal(u), rng.random(u) + 0.5, np.array([rng.standard_normal()]),
    )  # fmt: skip


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numba_pass_equals_numpy_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    m, n, u = 500, 20, 30
    note = rng.integers(0, n, m).astype(np.int32)
    rater = rng.integers(0, u, m).astype(np.int32)
    y = (rng.random(m) < 0.3).astype(np.float64)
    w = rng.random(m) * 10
    p = _params(rng, n, u)
    fast, ref = (
        data_loss_and_grad(note, rater, y, w, p),
        data_loss_and_grad_reference(note, rater, y, w, p),
    )
    assert fast.loss_sum == pytest.approx(ref.loss_sum, rel=1e-12)
    assert fast.global_intercept == pytest.approx(ref.global_intercept, rel=1e-12)
    for name in (
        "note_factors",
        "note_intercepts",
        "rater_factors",
        "rater_intercepts",
        "rater_reputations",
    ):
        np.testing.assert_allclose(getattr(fast, name), getattr(ref, name), rtol=1e-12, atol=1e-12)


def test_gradient_matches_finite_difference_of_loss() -> None:
    rng = np.random.default_rng(9)
    note = np.array([0, 0, 1], dtype=np.int32)
    rater = np.array([0, 1, 1], dtype=np.int32)
    y = np.array([1.0, 0.0, 1.0])
    w = np.array([100.0, 1.0, 100.0])
    p = _params(rng, 2, 2)
    grad = data_loss_and_grad(note, rater, y, w, p)
    eps = 1e-6
    q = p.copy()
    q.rater_reputations[1] += eps
    up = data_loss_and_grad(note, rater, y, w, q).loss_sum
    q.rater_reputations[1] -= 2 * eps
    down = data_loss_and_grad(note, rater, y, w, q).loss_sum
    assert grad.rater_reputations[1] == pytest.approx((up - down) / (2 * eps), rel=1e-6)


def test_loss_of_a_zero_logit_is_weighted_log2() -> None:
    p = DiligenceParams(np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1), np.ones(1), np.zeros(1))
    one = np.zeros(1, dtype=np.int32)
    g = data_loss_and_grad(one, one, np.array([1.0]), np.array([100.0]), p)
    assert g.loss_sum == pytest.approx(100 * np.log(2))
    assert g.global_intercept == pytest.approx(100 * (0.5 - 1.0))
