"""The reference's own optimiser for the harassment model: full-batch Adam, in numba.

scoring-core.md §3.3 with the §4.6 learning rate: Adam (β = (0.9, 0.999), ε = 1e-8) at lr 2.0
on the mean loss L = S/|R| (``problem`` module), the gradient clipped to global L2 norm 1.0
before every step, and the loop "compute L; repeat: prev = L, step, recompute L, epoch += 1;
while |L − prev| > 1e-7 and not (epoch > 100 and L > prev)". On the flat, non-convex
harassment objective this stop fires long before a stationary point (typically just after
epoch 100, when the large steps first raise the loss), and different solvers reach different
optima; running the same procedure is what reproduces the reference's intercepts. One pass over
the ratings per epoch; the plain-numpy twin is ``reference.solve_adam``.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

from bridgewatch.scoring.harassment.config import HarassmentConfig
from bridgewatch.scoring.harassment.problem import (
    HarassmentParams,
    HarassmentProblem,
    SolverOutcome,
)

__all__ = ["solve_adam_fast"]

# numba dispatch objects are untyped; Any is the honest annotation at that boundary.
_njit: Any = numba.njit(cache=True, nogil=True)


@_njit
def _loss_grad(note_c, rater_c, y, c, th, n_notes, n_raters, lams, grad):  # type: ignore[no-untyped-def]
    """S(θ) and ∇S into ``grad``; θ packed as (i_n, f_n, i_u, f_u, μ)."""
    grad[:] = 0.0
    a = n_notes
    b = 2 * n_notes
    e = b + n_raters
    g_end = e + n_raters
    mu = th[g_end]
    loss = 0.0
    for k in range(note_c.shape[0]):
        n = note_c[k]
        u = rater_c[k]
        x = mu + th[b + u] + th[n] + th[e + u] * th[a + n]
        if x >= 0.0:
            loss += c[k] * (x + np.log1p(np.exp(-x)) - y[k] * x)
        else:
            loss += c[k] * (np.log1p(np.exp(x)) - y[k] * x)
        d = c[k] * (1.0 / (1.0 + np.exp(-x)) - y[k])
        grad[n] += d
        grad[a + n] += d * th[e + u]
        grad[b + u] += d
        grad[e + u] += d * th[a + n]
        grad[g_end] += d
    for i in range(th.shape[0]):
        if i < a:
            lam = lams[0]
        elif i < b:
            lam = lams[1]
        elif i < e:
            lam = lams[2]
        elif i < g_end:
            lam = lams[3]
        else:
            lam = lams[4]
        loss += lam * th[i] * th[i]
        grad[i] += 2.0 * lam * th[i]
    return loss


@_njit
def _adam_loop(  # type: ignore[no-untyped-def]
    note_c, rater_c, y, c, th, n_notes, n_raters, lams, lr, clip, tol, rise_after, max_epochs
):
    scale = 1.0 / note_c.shape[0]
    grad = np.zeros_like(th)
    m = np.zeros_like(th)
    v = np.zeros_like(th)
    loss = _loss_grad(note_c, rater_c, y, c, th, n_notes, n_raters, lams, grad) * scale
    epoch = 0
    while epoch < max_epochs:
        prev = loss
        norm = 0.0
        for i in range(th.shape[0]):
            norm += (grad[i] * scale) ** 2
        coef = clip / (np.sqrt(norm) + 1e-6)
        gscale = scale * coef if coef < 1.0 else scale
        step = epoch + 1
        step_size = lr / (1.0 - 0.9**step)
        bc2_sqrt = np.sqrt(1.0 - 0.999**step)
        for i in range(th.shape[0]):
            g = grad[i] * gscale
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g * g
            th[i] -= step_size * m[i] / (np.sqrt(v[i]) / bc2_sqrt + 1e-8)
        loss = _loss_grad(note_c, rater_c, y, c, th, n_notes, n_raters, lams, grad) * scale
        epoch += 1
        if not (abs(loss - prev) > tol and not (epoch > rise_after and loss > prev)):
            return epoch, True
    return epoch, False


def solve_adam_fast(
    problem: HarassmentProblem, params: HarassmentParams, config: HarassmentConfig
) -> SolverOutcome:
    """Run the reference's Adam loop (module docstring) on ``params`` in place.

    Uses ``config.adam_learning_rate``, ``adam_clip_norm``, ``adam_loss_tolerance``,
    ``adam_rise_check_after`` and ``adam_max_epochs`` (a safety cap; the reference has none).
    """
    if problem.n_ratings == 0:
        return SolverOutcome(0, True)
    theta = params.pack()
    lams = np.array(
        [problem.lam_note_intercept, problem.lam_note_factor, problem.lam_rater_intercept,
         problem.lam_rater_factor, problem.lam_global]
    )  # fmt: skip
    epochs, stopped = _adam_loop(
        problem.note_c, problem.rater_c, problem.y, problem.c, theta,
        problem.n_notes, problem.n_raters, lams, config.adam_learning_rate,
        config.adam_clip_norm, config.adam_loss_tolerance, config.adam_rise_check_after,
        config.adam_max_epochs,
    )  # fmt: skip
    best = HarassmentParams.unpack(theta, problem.n_notes, problem.n_raters)
    params.note_intercepts[:] = best.note_intercepts
    params.note_factors[:] = best.note_factors
    params.rater_intercepts[:] = best.rater_intercepts
    params.rater_factors[:] = best.rater_factors
    params.global_intercept = best.global_intercept
    return SolverOutcome(int(epochs), bool(stopped))
