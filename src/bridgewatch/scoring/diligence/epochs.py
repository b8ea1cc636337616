"""Accelerated Adam round of the low-diligence model: three vectorizable passes per epoch.

The fused scalar kernel (``kernels.adam_round``) spends most of its time in one libm ``exp``
per rating and epoch. Here each epoch is split into

1. a numba gather pass writing ``-x_r`` for every rating (ratings sorted rater-major, so the
   rater's parameters are loaded once per rater);
2. ``numpy.exp`` over that array, which numpy evaluates with SIMD (several ratings per
   instruction);
3. a numba pass that turns ``e_r = exp(-x_r)`` into ``d_r = w_r·(σ(x_r) − y_r)``, scatters it
   to the note gradients and sums the rater gradients in registers (one store per rater), and
   adds the data loss on the epochs whose loss the stopping test reads (its
   ``log1p(exp(−|x|))`` term also computed by numpy over the whole array);

followed by one Adam step over the concatenated parameter vector. All parameters live in one
float64 vector ``theta = [f_n, b_n, f_u, b_u, ρ_u, μ]``; the caller's arrays are views into it.
Every sum runs in a fixed order, so the result is bit-identical from run to run; it agrees with
the fused kernel and the numpy reference up to rounding (tests/scoring/diligence).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["adam_round_vectorized"]

_njit: Any = numba.njit(cache=True, nogil=True)


@_njit
def _neg_logits(rptr, note_c, theta, nn, nu, neg_x):  # type: ignore[no-untyped-def]
    f_n = theta[0:nn]
    b_n = theta[nn : 2 * nn]
    f_u = theta[2 * nn : 2 * nn + nu]
    b_u = theta[2 * nn + nu : 2 * nn + 2 * nu]
    rep = theta[2 * nn + 2 * nu : 2 * nn + 3 * nu]
    mu = theta[2 * nn + 3 * nu]
    for u in range(nu):
        fu = f_u[u]
        ru = rep[u]
        c = b_u[u] + mu
        for r in range(rptr[u], rptr[u + 1]):
            n = note_c[r]
            neg_x[r] = -(f_n[n] * fu + b_n[n] * ru + c)


@_njit
def _gradient(rptr, note_c, y, w, neg_x, e, lse, theta, nn, nu, grad, t_fn, t_bn, with_loss):  # type: ignore[no-untyped-def]
    f_n = theta[0:nn]
    b_n = theta[nn : 2 * nn]
    f_u = theta[2 * nn : 2 * nn + nu]
    rep = theta[2 * nn + 2 * nu : 2 * nn + 3 * nu]
    g_fn = grad[0:nn]
    g_bn = grad[nn : 2 * nn]
    g_fu = grad[2 * nn : 2 * nn + nu]
    g_bu = grad[2 * nn + nu : 2 * nn + 2 * nu]
    g_rep = grad[2 * nn + 2 * nu : 2 * nn + 3 * nu]
    g_fn[:] = 0.0
    g_bn[:] = 0.0
    loss = 0.0
    g_mu = 0.0
    for u in range(nu):
        fu = f_u[u]
        ru = rep[u]
        a_fu = 0.0
        a_bu = 0.0
        a_rep = 0.0
        for r in range(rptr[u], rptr[u + 1]):
            n = note_c[r]
            er = e[r]
            # σ(x) = 1/(1 + e^-x); e = inf for x < -709 gives 0
            d = w[r] * (1.0 / (1.0 + er) - y[r])
            if t_fn:
                g_fn[n] += d * fu
            if t_bn:
                g_bn[n] += d * ru
            a_fu += d * f_n[n]
            a_bu += d
            a_rep += d * b_n[n]
            if with_loss:
                # softplus(x) − y·x with softplus(x) = max(x, 0) + log1p(exp(−|x|))
                x = -neg_x[r]
                loss += w[r] * (max(x, 0.0) + lse[r] - y[r] * x)
        g_fu[u] = a_fu
        g_bu[u] = a_bu
        g_rep[u] = a_rep
        g_mu += a_bu
    grad[2 * nn + 3 * nu] = g_mu
    return loss


@_njit
def _adam_step(  # type: ignore[no-untyped-def]
    theta, grad, m, v, bounds, trainable, reg_grad, inv_r, b1, b2, step_size, bc2_sqrt, eps
):
    for k in range(trainable.shape[0]):
        if not trainable[k]:
            continue
        c = reg_grad[k]
        for i in range(bounds[k], bounds[k + 1]):
            g = grad[i] * inv_r + c * theta[i]
            m[i] = b1 * m[i] + (1.0 - b1) * g
            v[i] = b2 * v[i] + (1.0 - b2) * g * g
            theta[i] -= step_size * m[i] / (np.sqrt(v[i]) / bc2_sqrt + eps)


@_njit
def _reg_loss(theta, bounds, reg_loss):  # type: ignore[no-untyped-def]
    total = 0.0
    for k in range(reg_loss.shape[0]):
        s = 0.0
        for i in range(bounds[k], bounds[k + 1]):
            s += theta[i] * theta[i]
        total += reg_loss[k] * s
    return total


def adam_round_vectorized(
    rater_ptr: NDArray[np.int64],
    note_c: NDArray[np.int32],
    y: NDArray[np.float64],
    w: NDArray[np.float64],
    theta: NDArray[np.float64],
    n_notes: int,
    n_raters: int,
    trainable: NDArray[np.bool_],
    reg_grad: NDArray[np.float64],
    reg_loss: NDArray[np.float64],
    *,
    lr: float,
    b1: float,
    b2: float,
    eps: float,
    max_epochs: int,
    period: int,
    convergence: float,
) -> tuple[int, float, bool]:
    """One Adam round on ``theta`` in place; same contract as ``kernels.adam_round``.

    Parameters
    ----------
    rater_ptr : int64 array of shape (n_raters + 1,)
        Ratings of compact rater u are rows ``rater_ptr[u]:rater_ptr[u + 1]`` (rater-major).
    note_c : int32 array of shape (n_ratings,)
        Compact note of each rating.
    y, w : float64 arrays of shape (n_ratings,)
        Targets in {0, 1} and rating weights.
    theta : float64 array of shape (2·n_notes + 3·n_raters + 1,)
        ``[f_n, b_n, f_u, b_u, ρ_u, μ]``, updated in place.
    n_notes, n_raters : int
    trainable : bool array of shape (6,)
        Per group of ``theta``, in that order.
    reg_grad, reg_loss : float64 arrays of shape (6,)
        Coefficient c of each group's L2 gradient c·θ and of its loss value c·Σθ².
    lr, b1, b2, eps : float
        Adam hyperparameters.
    max_epochs, period : int
        At most ``max_epochs + 1`` steps; the loss is checked every ``period`` epochs.
    convergence : float
        The round stops when the checked loss changed by less than this.

    Returns
    -------
    (steps, loss, converged)
    """
    nn, nu = n_notes, n_raters
    m_ratings = note_c.shape[0]
    bounds = np.cumsum([0, nn, nn, nu, nu, nu, 1]).astype(np.int64)
    grad = np.zeros_like(theta)
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    neg_x = np.empty(m_ratings)
    e = np.empty(m_ratings)
    lse = np.empty(m_ratings)
    inv_r = 1.0 / m_ratings
    t_fn, t_bn = bool(trainable[0]), bool(trainable[1])
    prior = 0.0
    have_prior = False
    loss = float("nan")
    epoch = 0
    while epoch <= max_epochs:
        check = epoch % period == 0
        _neg_logits(rater_ptr, note_c, theta, nn, nu, neg_x)
        np.exp(neg_x, out=e)
        if check:  # log1p(exp(−|x|)), vectorized like exp
            np.abs(neg_x, out=lse)
            np.negative(lse, out=lse)
            np.exp(lse, out=lse)
            np.log1p(lse, out=lse)
        data_loss = _gradient(
            rater_ptr, note_c, y, w, neg_x, e, lse, theta, nn, nu, grad, t_fn, t_bn, check
        )
        if check:
            loss = float(data_loss) * inv_r + float(_reg_loss(theta, bounds, reg_loss))
            if have_prior and abs(prior - loss) < convergence:
                return epoch, loss, True
            prior = loss
            have_prior = True
        step = epoch + 1
        step_size = lr / (1.0 - b1**step)
        bc2_sqrt = float(np.sqrt(1.0 - b2**step))
        _adam_step(
            theta, grad, m, v, bounds, trainable, reg_grad, inv_r, b1, b2, step_size, bc2_sqrt, eps
        )
        epoch += 1
    return epoch, loss, False
