"""Plain reference solvers of the harassment objective, twins of the production solver.

* :func:`solve_lbfgs`: scipy's L-BFGS-B on the exact objective S (``problem`` module) with an
  analytic numpy gradient, run to a tight tolerance.
* :func:`solve_adam`: the reference scorer's own procedure (scoring-core.md §3.3): full-batch
  Adam on L = S/|R| (lr 2.0 for this model), global gradient-norm clipping at 1.0, and the
  loop "continue while |L − prev| > 1e-7 and not (epoch > 100 and L > prev)".
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from bridgewatch.scoring.harassment.config import HarassmentConfig
from bridgewatch.scoring.harassment.problem import (
    HarassmentParams,
    HarassmentProblem,
    SolverOutcome,
    objective_and_gradient,
)

__all__ = ["solve_adam", "solve_lbfgs"]


def _write_back(params: HarassmentParams, best: HarassmentParams) -> None:
    params.note_intercepts[:] = best.note_intercepts
    params.note_factors[:] = best.note_factors
    params.rater_intercepts[:] = best.rater_intercepts
    params.rater_factors[:] = best.rater_factors
    params.global_intercept = best.global_intercept


def solve_lbfgs(
    problem: HarassmentProblem, params: HarassmentParams, config: HarassmentConfig
) -> SolverOutcome:
    """Minimise S with L-BFGS-B from ``params`` (updated in place).

    ``config.tolerance`` bounds the projected gradient of the mean loss S/|R|;
    ``config.max_sweeps`` caps the iterations.
    """
    tolerance, max_iter = config.tolerance, config.max_sweeps
    scale = 1.0 / max(problem.n_ratings, 1)

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = objective_and_gradient(problem, theta)
        return value * scale, grad * scale

    res = minimize(
        fun,
        params.pack(),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iter, "gtol": tolerance, "ftol": 0.0, "maxcor": 30},
    )
    _write_back(params, HarassmentParams.unpack(res.x, problem.n_notes, problem.n_raters))
    return SolverOutcome(int(res.nit), bool(res.success))


def solve_adam(
    problem: HarassmentProblem, params: HarassmentParams, config: HarassmentConfig
) -> SolverOutcome:
    """The reference's full-batch Adam loop (§3.3) on L = S/|R|; updates ``params`` in place.

    Plain-numpy twin of ``adam.solve_adam_fast``, with the same ``config.adam_*`` settings.
    """
    tolerance, max_iter = config.adam_loss_tolerance, config.adam_max_epochs
    learning_rate, clip_norm = config.adam_learning_rate, config.adam_clip_norm
    scale = 1.0 / max(problem.n_ratings, 1)
    theta = params.pack()
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    b1, b2, eps = 0.9, 0.999, 1e-8
    value, grad = objective_and_gradient(problem, theta)
    loss = value * scale
    epoch = 0
    stopped = False
    while epoch < max_iter:
        prev = loss
        g = grad * scale
        norm = float(np.sqrt(g @ g))
        coef = clip_norm / (norm + 1e-6)
        if coef < 1.0:
            g = g * coef
        step = epoch + 1
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta = theta - (learning_rate / (1 - b1**step)) * m / (
            np.sqrt(v) / np.sqrt(1 - b2**step) + eps
        )
        value, grad = objective_and_gradient(problem, theta)
        loss = value * scale
        epoch += 1
        rise = epoch > config.adam_rise_check_after and loss > prev
        if not (abs(loss - prev) > tolerance and not rise):
            stopped = True
            break
    _write_back(params, HarassmentParams.unpack(theta, problem.n_notes, problem.n_raters))
    return SolverOutcome(epoch, stopped)
