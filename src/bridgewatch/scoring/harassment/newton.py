"""Alternating per-row damped Newton solver for the harassment objective (numba).

With the rater parameters and μ fixed, S (``problem`` module) splits into one convex
2-variable logistic ridge problem per note in (i_n, f_n), and symmetrically per rater; μ is a
1-variable convex problem. One sweep takes one Newton step for every note, then every rater,
then μ. Each step solves the 2×2 Newton system in closed form and backtracks (Armijo) on that
row's own objective, so every step decreases S. After each sweep a 1-D Newton line search along
the sweep's step (``_extrapolate``) speeds up the slow directions of alternating updates.
Sweeps repeat until no parameter moves more than the tolerance, at a stationary point of S
(scoring-core.md §4.6, §12). The objective is non-convex and flat: on weakly determined data
this is not the point where the reference's capped Adam stops (see the ``adam`` module).
Loops run in rating order within fixed CSR layouts, so results are deterministic.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from bridgewatch.scoring.harassment.config import HarassmentConfig
from bridgewatch.scoring.harassment.problem import (
    HarassmentParams,
    HarassmentProblem,
    SolverOutcome,
)

__all__ = ["solve_newton"]

# numba dispatch objects are untyped; Any is the honest annotation at that boundary.
_njit: Any = numba.njit(cache=True, nogil=True)

_ARMIJO = 1e-4
_MAX_HALVINGS = 40


@_njit
def _bce(x, y):  # type: ignore[no-untyped-def]
    if x >= 0.0:
        return x + np.log1p(np.exp(-x)) - y * x
    return np.log1p(np.exp(x)) - y * x


@_njit
def _row_loss(a, b, other, y, c, oth_i, oth_f, mu, i_row, f_row, lam_i, lam_f):  # type: ignore[no-untyped-def]
    loss = lam_i * i_row * i_row + lam_f * f_row * f_row
    for k in range(a, b):
        o = other[k]
        x = mu + oth_i[o] + i_row + f_row * oth_f[o]
        loss += c[k] * _bce(x, y[k])
    return loss


@_njit
def _newton_rows(indptr, other, y, c, own_i, own_f, oth_i, oth_f, mu, lam_i, lam_f):  # type: ignore[no-untyped-def]
    """One damped Newton step for every row; updates own_i, own_f; returns the max change."""
    max_change = 0.0
    for row in range(indptr.shape[0] - 1):
        a = indptr[row]
        b = indptr[row + 1]
        if a == b:
            continue
        i0 = own_i[row]
        f0 = own_f[row]
        g0 = 2.0 * lam_i * i0
        g1 = 2.0 * lam_f * f0
        h00 = 2.0 * lam_i
        h01 = 0.0
        h11 = 2.0 * lam_f
        loss0 = lam_i * i0 * i0 + lam_f * f0 * f0
        for k in range(a, b):
            o = other[k]
            af = oth_f[o]
            x = mu + oth_i[o] + i0 + f0 * af
            s = 1.0 / (1.0 + np.exp(-x))
            d = c[k] * (s - y[k])
            h = c[k] * s * (1.0 - s)
            g0 += d
            g1 += d * af
            h00 += h
            h01 += h * af
            h11 += h * af * af
            loss0 += c[k] * _bce(x, y[k])
        det = h00 * h11 - h01 * h01
        if not det > 0.0:
            continue
        di = -(h11 * g0 - h01 * g1) / det
        df = -(h00 * g1 - h01 * g0) / det
        slope = g0 * di + g1 * df
        t = 1.0
        accepted = False
        for _ in range(_MAX_HALVINGS):
            loss1 = _row_loss(
                a, b, other, y, c, oth_i, oth_f, mu, i0 + t * di, f0 + t * df, lam_i, lam_f
            )
            # the last term absorbs rounding once the step is at machine precision
            if loss1 <= loss0 + _ARMIJO * t * slope + 1e-13 * abs(loss0):
                accepted = True
                break
            t *= 0.5
        if not accepted:
            continue
        own_i[row] = i0 + t * di
        own_f[row] = f0 + t * df
        change = max(abs(t * di), abs(t * df))
        if change > max_change:
            max_change = change
    return max_change


@_njit
def _data_terms(note_c, rater_c, y, c, n_i, n_f, r_i, r_f, mu):  # type: ignore[no-untyped-def]
    loss = 0.0
    g = 0.0
    h = 0.0
    for k in range(note_c.shape[0]):
        x = mu + r_i[rater_c[k]] + n_i[note_c[k]] + r_f[rater_c[k]] * n_f[note_c[k]]
        s = 1.0 / (1.0 + np.exp(-x))
        g += c[k] * (s - y[k])
        h += c[k] * s * (1.0 - s)
        loss += c[k] * _bce(x, y[k])
    return loss, g, h


@_njit
def _newton_global(note_c, rater_c, y, c, n_i, n_f, r_i, r_f, mu, lam):  # type: ignore[no-untyped-def]
    loss0, g, h = _data_terms(note_c, rater_c, y, c, n_i, n_f, r_i, r_f, mu)
    loss0 += lam * mu * mu
    g += 2.0 * lam * mu
    h += 2.0 * lam
    if not h > 0.0:
        return mu
    step = -g / h
    t = 1.0
    for _ in range(_MAX_HALVINGS):
        mu1 = mu + t * step
        loss1, _g, _h = _data_terms(note_c, rater_c, y, c, n_i, n_f, r_i, r_f, mu1)
        loss1 += lam * mu1 * mu1
        if loss1 <= loss0 + _ARMIJO * t * step * g + 1e-13 * abs(loss0):
            return mu1
        t *= 0.5
    return mu


@_njit
def _line_terms(  # type: ignore[no-untyped-def]
    note_c, rater_c, y, c, n_i, n_f, r_i, r_f, mu, dn_i, dn_f, dr_i, dr_f, dmu, alpha
):
    """Data loss and its first two derivatives along θ + α·Δ (x is quadratic in α)."""
    loss = 0.0
    g = 0.0
    h = 0.0
    for k in range(note_c.shape[0]):
        n = note_c[k]
        u = rater_c[k]
        fn = n_f[n] + alpha * dn_f[n]
        fu = r_f[u] + alpha * dr_f[u]
        x = mu + alpha * dmu + r_i[u] + alpha * dr_i[u] + n_i[n] + alpha * dn_i[n] + fu * fn
        dx = dmu + dr_i[u] + dn_i[n] + dr_f[u] * fn + fu * dn_f[n]
        ddx = 2.0 * dr_f[u] * dn_f[n]
        s = 1.0 / (1.0 + np.exp(-x))
        d = c[k] * (s - y[k])
        loss += c[k] * _bce(x, y[k])
        g += d * dx
        h += c[k] * s * (1.0 - s) * dx * dx + d * ddx
    return loss, g, h


def _extrapolate(
    problem: HarassmentProblem,
    params: HarassmentParams,
    previous: HarassmentParams,
    max_alpha: float = 1000.0,
) -> float:
    """Move ``params`` to the best point on θ + α·(θ − θ_prev), α >= 0 (in place).

    Alternating updates converge linearly along weakly determined directions (how a common
    offset splits between μ and the intercepts, the scale of the factors); the last sweep's
    step points along them, and a 1-D Newton search along it removes most of that slack.
    Returns the α taken (0 when no point improves S).
    """
    base = (params.note_intercepts, params.note_factors, params.rater_intercepts,
            params.rater_factors)  # fmt: skip
    prev = (previous.note_intercepts, previous.note_factors, previous.rater_intercepts,
            previous.rater_factors)  # fmt: skip
    deltas = tuple(b - q for b, q in zip(base, prev, strict=True))
    dmu = params.global_intercept - previous.global_intercept
    lams = (problem.lam_note_intercept, problem.lam_note_factor, problem.lam_rater_intercept,
            problem.lam_rater_factor)  # fmt: skip
    # ridge terms along the line: Σ Λ(θ + αΔ)² + Λ_μ(μ + αΔμ)² = q0 + q1·α + q2·α²
    q0 = sum(lam * float(b @ b) for lam, b in zip(lams, base, strict=True))
    q0 += problem.lam_global * params.global_intercept**2
    q1 = sum(2 * lam * float(b @ d) for lam, b, d in zip(lams, base, deltas, strict=True))
    q1 += 2 * problem.lam_global * params.global_intercept * dmu
    q2 = sum(lam * float(d @ d) for lam, d in zip(lams, deltas, strict=True))
    q2 += problem.lam_global * dmu * dmu
    if q2 == 0.0 and not any(np.any(d) for d in deltas):
        return 0.0

    def terms(alpha: float) -> tuple[float, float, float]:
        loss, g, h = _line_terms(
            problem.note_c, problem.rater_c, problem.y, problem.c, *base,
            params.global_intercept, *deltas, dmu, alpha,
        )  # fmt: skip
        return (
            float(loss) + q0 + q1 * alpha + q2 * alpha * alpha,
            float(g) + q1 + 2 * q2 * alpha,
            float(h) + 2 * q2,
        )

    alpha = 0.0
    f0, g, h = terms(0.0)
    f = f0
    for _ in range(8):
        step = -g / h if h > 0.0 else (max(1.0, alpha) if g < 0.0 else -0.5 * alpha)
        step = min(max(step, -alpha), max_alpha - alpha)
        for _ in range(20):
            f_new, g_new, h_new = terms(alpha + step)
            if f_new < f:
                break
            step *= 0.5
        else:
            break
        alpha += step
        f, g, h = f_new, g_new, h_new
        if abs(step) <= 1e-3 * max(1.0, alpha):
            break
    if not (alpha > 0.0 and f < f0):
        return 0.0
    for b, d in zip(base, deltas, strict=True):
        b += alpha * d
    params.global_intercept += alpha * dmu
    return alpha


def _csr(rows: NDArray[np.int32], n_rows: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Stable order that groups ratings by row, and the row pointer array."""
    order = np.argsort(rows, kind="stable")
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    return order, indptr


def solve_newton(
    problem: HarassmentProblem, params: HarassmentParams, config: HarassmentConfig
) -> SolverOutcome:
    """Alternate per-row Newton steps until no parameter moves more than ``config.tolerance``.

    Parameters
    ----------
    problem : HarassmentProblem
    params : HarassmentParams
        Initial values; improved in place.
    config : HarassmentConfig
        ``tolerance`` (largest parameter change of a sweep at which to stop, logit units) and
        ``max_sweeps``.

    Returns
    -------
    SolverOutcome
        Sweeps run and whether the tolerance was met.
    """
    if problem.n_ratings == 0:
        return SolverOutcome(0, True)
    by_rater, rater_ptr = _csr(problem.rater_c, problem.n_raters)
    _, note_ptr = _csr(problem.note_c, problem.n_notes)  # ratings are already note-sorted
    rater_note = np.ascontiguousarray(problem.note_c[by_rater])
    rater_y = np.ascontiguousarray(problem.y[by_rater])
    rater_w = np.ascontiguousarray(problem.c[by_rater])
    tolerance, max_iter = config.tolerance, config.max_sweeps
    mu = float(params.global_intercept)
    for sweep in range(1, max_iter + 1):
        previous = HarassmentParams(
            params.note_intercepts.copy(), params.note_factors.copy(),
            params.rater_intercepts.copy(), params.rater_factors.copy(), mu,
        )  # fmt: skip
        change = _newton_rows(
            note_ptr,
            problem.rater_c,
            problem.y,
            problem.c,
            params.note_intercepts,
            params.note_factors,
            params.rater_intercepts,
            params.rater_factors,
            mu,
            problem.lam_note_intercept,
            problem.lam_note_factor,
        )
        change = max(
            change,
            _newton_rows(
                rater_ptr,
                rater_note,
                rater_y,
                rater_w,
                params.rater_intercepts,
                params.rater_factors,
                params.note_intercepts,
                params.note_factors,
                mu,
                problem.lam_rater_intercept,
                problem.lam_rater_factor,
            ),
        )
        new_mu = float(
            _newton_global(
                problem.note_c,
                problem.rater_c,
                problem.y,
                problem.c,
                params.note_intercepts,
                params.note_factors,
                params.rater_intercepts,
                params.rater_factors,
                mu,
                problem.lam_global,
            )
        )
        change = max(change, abs(new_mu - mu))
        mu = new_mu
        params.global_intercept = mu
        if change <= tolerance:
            return SolverOutcome(sweep, True)
        if sweep >= 2:
            _extrapolate(problem, params, previous)
            mu = params.global_intercept
    return SolverOutcome(max_iter, False)
