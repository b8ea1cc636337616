"""The harassment objective and its analytic gradient."""

from __future__ import annotations

import numpy as np

from bridgewatch.scoring.harassment import HarassmentParams, HarassmentProblem
from bridgewatch.scoring.harassment import objective_and_gradient as objective


def _problem() -> HarassmentProblem:
    note = np.array([0, 0, 1, 1, 2], dtype=np.int32)
    rater = np.array([0, 1, 0, 1, 1], dtype=np.int32)
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.0])
    return HarassmentProblem(
        note, rater, y, np.where(y == 1, 1.5, 1.0), 3, 2, 0.1, 0.2, 0.3, 0.4, 0.5
    )


def test_gradient_matches_finite_differences() -> None:
    problem = _problem()
    theta = np.random.default_rng(3).standard_normal(2 * 3 + 2 * 2 + 1)
    _, grad = objective(problem, theta)
    eps = 1e-6
    numeric = np.array(
        [
            (objective(problem, theta + eps * e)[0] - objective(problem, theta - eps * e)[0])
            / (2 * eps)
            for e in np.eye(theta.shape[0])
        ]
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_objective_at_zero_is_weighted_log2() -> None:
    problem = _problem()
    value, _ = objective(problem, np.zeros(11))
    # every logit is 0: each rating costs c·log 2
    assert np.isclose(value, np.log(2.0) * (1.5 * 2 + 3))


def test_pack_round_trips() -> None:
    p = HarassmentParams(
        np.arange(3.0), np.arange(3.0) + 3, np.arange(2.0) + 6, np.arange(2.0) + 8, 10.0
    )
    q = HarassmentParams.unpack(p.pack(), 3, 2)
    assert q.pack().tolist() == list(range(11))
