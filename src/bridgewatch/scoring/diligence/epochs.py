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

followed by one Adam step over the concatenated parameter vector ``theta = [f_n, b_n, f_u,
b_u, ρ_u, μ]``. The three passes run on ``N_CHUNKS`` fixed rater ranges of about equal rating
counts, in parallel threads (numba and numpy release the GIL); each range sums its own note
gradients, and the ranges' sums are added in range order. The split does not depend on the
number of threads, so every sum runs in the same order on any machine and the result is
bit-identical from run to run; it agrees with the fused kernel and the numpy reference up to
rounding (tests/scoring/diligence).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

__all__ = ["adam_round_vectorized"]

_njit: Any = numba.njit(cache=True, nogil=True)

# The ratings are always split into this many rater ranges, whatever the number of threads,
# so that every sum runs in the same order: results do not depend on the machine's cores.
N_CHUNKS = 2
# Below this many ratings the passes run in the calling thread (thread hand-off costs more).
PARALLEL_MIN = 50_000


@_njit
def _neg_logits(rptr, note_c, theta, nn, nu, u_lo, u_hi, neg_x):  # type: ignore[no-untyped-def]
    f_n = theta[0:nn]
    b_n = theta[nn : 2 * nn]
    f_u = theta[2 * nn : 2 * nn + nu]
    b_u = theta[2 * nn + nu : 2 * nn + 2 * nu]
    rep = theta[2 * nn + 2 * nu : 2 * nn + 3 * nu]
    mu = theta[2 * nn + 3 * nu]
    for u in range(u_lo, u_hi):
        fu = f_u[u]
        ru = rep[u]
        c = b_u[u] + mu
        for r in range(rptr[u], rptr[u + 1]):
            n = note_c[r]
            neg_x[r] = -(f_n[n] * fu + b_n[n] * ru + c)


@_njit
def _gradient(  # type: ignore[no-untyped-def]
    rptr, note_c, y, w, neg_x, e, lse, theta, nn, nu, u_lo, u_hi, grad, note_grad, t_fn, t_bn,
    with_loss,
):  # fmt: skip
    """Gradient sums of raters u_lo..u_hi-1: rater entries into ``grad`` (disjoint per chunk),
    note entries into this chunk's own ``note_grad`` (2·nn: f_n then b_n); returns
    (data loss, μ gradient) of the chunk."""
    f_n = theta[0:nn]
    b_n = theta[nn : 2 * nn]
    f_u = theta[2 * nn : 2 * nn + nu]
    rep = theta[2 * nn + 2 * nu : 2 * nn + 3 * nu]
    g_fn = note_grad[0:nn]
    g_bn = note_grad[nn : 2 * nn]
    g_fu = grad[2 * nn : 2 * nn + nu]
    g_bu = grad[2 * nn + nu : 2 * nn + 2 * nu]
    g_rep = grad[2 * nn + 2 * nu : 2 * nn + 3 * nu]
    g_fn[:] = 0.0
    g_bn[:] = 0.0
    loss = 0.0
    g_mu = 0.0
    for u in range(u_lo, u_hi):
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
    return loss, g_mu


@_njit
def _combine_notes(grad, note_grads, nn):  # type: ignore[no-untyped-def]
    """Note gradient = the chunks' sums added in chunk order (fixed, so deterministic)."""
    for i in range(2 * nn):
        total = 0.0
        for c in range(note_grads.shape[0]):
            total += note_grads[c, i]
        grad[i] = total


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


def _rater_chunks(rater_ptr: NDArray[np.int64], n_chunks: int) -> list[tuple[int, int]]:
    """``n_chunks`` consecutive rater ranges holding about equal numbers of ratings."""
    n_raters = rater_ptr.shape[0] - 1
    total = int(rater_ptr[-1])
    cuts = [0]
    for c in range(1, n_chunks):
        cuts.append(max(cuts[-1], int(np.searchsorted(rater_ptr, total * c // n_chunks))))
    cuts.append(n_raters)
    return [(cuts[c], max(cuts[c], min(cuts[c + 1], n_raters))) for c in range(n_chunks)]


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
    chunks = _rater_chunks(rater_ptr, N_CHUNKS)
    note_grads = np.zeros((len(chunks), 2 * nn))
    inv_r = 1.0 / m_ratings
    t_fn, t_bn = bool(trainable[0]), bool(trainable[1])

    def chunk_pass(c: int, with_loss: bool) -> tuple[float, float]:
        u_lo, u_hi = chunks[c]
        r_lo, r_hi = int(rater_ptr[u_lo]), int(rater_ptr[u_hi])
        _neg_logits(rater_ptr, note_c, theta, nn, nu, u_lo, u_hi, neg_x)
        np.exp(neg_x[r_lo:r_hi], out=e[r_lo:r_hi])
        if with_loss:  # log1p(exp(−|x|)), vectorized like exp
            part = lse[r_lo:r_hi]
            np.abs(neg_x[r_lo:r_hi], out=part)
            np.negative(part, out=part)
            np.exp(part, out=part)
            np.log1p(part, out=part)
        loss_c, g_mu_c = _gradient(
            rater_ptr, note_c, y, w, neg_x, e, lse, theta, nn, nu, u_lo, u_hi, grad,
            note_grads[c], t_fn, t_bn, with_loss,
        )  # fmt: skip
        return float(loss_c), float(g_mu_c)

    workers = min(len(chunks), max(1, os.cpu_count() or 1)) if m_ratings >= PARALLEL_MIN else 1
    pool = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
    prior = 0.0
    have_prior = False
    loss = float("nan")
    epoch = 0
    try:
        while epoch <= max_epochs:
            check = epoch % period == 0
            if pool is None:
                parts = [chunk_pass(c, check) for c in range(len(chunks))]
            else:
                parts = list(pool.map(chunk_pass, range(len(chunks)), [check] * len(chunks)))
            _combine_notes(grad, note_grads, nn)
            data_loss = 0.0
            g_mu = 0.0
            for loss_c, g_mu_c in parts:  # chunk order: deterministic
                data_loss += loss_c
                g_mu += g_mu_c
            grad[2 * nn + 3 * nu] = g_mu
            if check:
                loss = data_loss * inv_r + float(_reg_loss(theta, bounds, reg_loss))
                if have_prior and abs(prior - loss) < convergence:
                    return epoch, loss, True
                prior = loss
                have_prior = True
            step = epoch + 1
            step_size = lr / (1.0 - b1**step)
            bc2_sqrt = float(np.sqrt(1.0 - b2**step))
            _adam_step(
                theta, grad, m, v, bounds, trainable, reg_grad, inv_r, b1, b2, step_size,
                bc2_sqrt, eps,
            )  # fmt: skip
            epoch += 1
    finally:
        if pool is not None:
            pool.shutdown()
    return epoch, loss, False
