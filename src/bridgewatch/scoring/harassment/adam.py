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

from bridgewatch.scoring._logit_passes import LogitPasses, rater_major
from bridgewatch.scoring.harassment.config import HarassmentConfig
from bridgewatch.scoring.harassment.problem import (
    HarassmentParams,
    HarassmentProblem,
    SolverOutcome,
)

__all__ = ["solve_adam_fast", "solve_adam_vectorized"]

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
        ex = np.exp(-x)  # shared by the loss (x >= 0) and the sigmoid: one exp per rating
        if x >= 0.0:
            loss += c[k] * (x + np.log1p(ex) - y[k] * x)
        else:
            loss += c[k] * (np.log1p(np.exp(x)) - y[k] * x)
        d = c[k] * (1.0 / (1.0 + ex) - y[k])
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


@_njit
def _regularize(th, grad, bounds, lams):  # type: ignore[no-untyped-def]
    """Add Σ λ_k·θ² of every group to the loss and 2λ_k·θ to ``grad``; returns the former."""
    total = 0.0
    for k in range(lams.shape[0]):
        lam = lams[k]
        s = 0.0
        for i in range(bounds[k], bounds[k + 1]):
            s += th[i] * th[i]
            grad[i] += 2.0 * lam * th[i]
        total += lam * s
    return total


@_njit
def _clipped_adam_step(th, grad, m, v, bounds, scale, clip, lr, step):  # type: ignore[no-untyped-def]
    """One Adam step on the gradient ``grad·scale`` clipped to global L2 norm ``clip``.

    The parameters are the ranges ``bounds[2j]:bounds[2j + 1]``; the rest of ``th`` is fixed.
    """
    norm = 0.0
    for k in range(0, bounds.shape[0], 2):
        for i in range(bounds[k], bounds[k + 1]):
            norm += (grad[i] * scale) ** 2
    coef = clip / (np.sqrt(norm) + 1e-6)
    gscale = scale * coef if coef < 1.0 else scale
    step_size = lr / (1.0 - 0.9**step)
    bc2_sqrt = np.sqrt(1.0 - 0.999**step)
    for k in range(0, bounds.shape[0], 2):
        for i in range(bounds[k], bounds[k + 1]):
            g = grad[i] * gscale
            m[i] = 0.9 * m[i] + 0.1 * g
            v[i] = 0.999 * v[i] + 0.001 * g * g
            th[i] -= step_size * m[i] / (np.sqrt(v[i]) / bc2_sqrt + 1e-8)


def solve_adam_vectorized(
    problem: HarassmentProblem, params: HarassmentParams, config: HarassmentConfig
) -> SolverOutcome:
    """:func:`solve_adam_fast`'s loop with the per-epoch pass of ``_logit_passes``.

    The harassment logit ``μ + i_u + i_n + f_u·f_n`` is the low-diligence one with ρ_u = 1,
    so the same gather / SIMD ``exp`` / scatter passes (two rater ranges in parallel threads,
    fixed summation order) give S(θ) and ∇S; the clipped Adam step then runs over the groups
    (f_n, i_n, f_u, i_u, μ) — ρ_u is not a parameter here and never moves. Same results as
    :func:`solve_adam_fast` up to rounding (tests/scoring/harassment).
    """
    if problem.n_ratings == 0:
        return SolverOutcome(0, True)
    nn, nu = problem.n_notes, problem.n_raters
    ptr, note_c, (y, c) = rater_major(
        problem.note_c, problem.rater_c, problem.y, problem.c, n_raters=nu
    )
    # theta in the passes' layout [f_n, b_n = i_n, f_u, b_u = i_u, ρ_u = 1, μ]
    theta = np.concatenate(
        [params.note_factors, params.note_intercepts, params.rater_factors,
         params.rater_intercepts, np.ones(nu), [params.global_intercept]]
    ).astype(config.adam_dtype)  # fmt: skip
    o = np.cumsum([0, nn, nn, nu, nu, nu, 1])
    # the trained ranges: everything but ρ_u
    bounds = np.array([o[0], o[4], o[5], o[6]], dtype=np.int64)
    groups = np.array([o[0], o[1], o[2], o[3], o[4], o[5], o[6]], dtype=np.int64)
    lams = np.array(
        [problem.lam_note_factor, problem.lam_note_intercept, problem.lam_rater_factor,
         problem.lam_rater_intercept, 0.0, problem.lam_global]
    )  # fmt: skip
    grad = np.zeros_like(theta)
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    scale = 1.0 / problem.n_ratings

    def loss_and_grad(passes: LogitPasses) -> float:
        data = passes.run(theta, grad, note_factors=True, note_intercepts=True, with_loss=True)
        grad[o[4] : o[5]] = 0.0  # ρ_u is fixed
        return (data + float(_regularize(theta, grad, groups, lams))) * scale

    epoch = 0
    stopped = False
    with LogitPasses(ptr, note_c, y, c, nn, nu, dtype=config.adam_dtype) as passes:
        loss = loss_and_grad(passes)
        while epoch < config.adam_max_epochs:
            prev = loss
            _clipped_adam_step(
                theta, grad, m, v, bounds, scale, config.adam_clip_norm,
                config.adam_learning_rate, epoch + 1,
            )  # fmt: skip
            loss = loss_and_grad(passes)
            epoch += 1
            if not (
                abs(loss - prev) > config.adam_loss_tolerance
                and not (epoch > config.adam_rise_check_after and loss > prev)
            ):
                stopped = True
                break
    params.note_factors[:] = theta[o[0] : o[1]]
    params.note_intercepts[:] = theta[o[1] : o[2]]
    params.rater_factors[:] = theta[o[2] : o[3]]
    params.rater_intercepts[:] = theta[o[3] : o[4]]
    params.global_intercept = float(theta[o[5]])
    return SolverOutcome(epoch, stopped)
